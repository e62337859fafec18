"""Words of sign-in, one-time links, the account page and the administration of people.

key → (Japanese, English), merged into web.messages.MESSAGES.
"""

MESSAGES: dict[str, tuple[str, str]] = {
    # a forgotten password
    "forgot_password": ("パスワードを忘れた方", "Forgot your password?"),
    "password_forgot_title": ("パスワードの再設定", "Reset your password"),
    "password_forgot_lead": ("ログイン名または登録したメールアドレスを入力してください。パスワードを設定し直すためのリンクをメールでお送りします（有効期限1時間、1回限り）。",
                             "Enter your login name or the e-mail address you registered. We will send you a link to "
                             "choose a new password (it works once, for one hour)."),
    "login_or_email": ("ログイン名またはメールアドレス", "Login name or e-mail address"),
    "send_reset_link": ("再設定のリンクを送る", "Send me a link"),
    "password_forgot_sent": ("入力された内容に一致するアカウントがあれば、パスワード再設定のリンクをメールでお送りしました。数分たってもメールが届かない場合は、入力内容を確かめてもう一度お試しいただくか、事務局にお問い合わせください。",
                             "If an account matches what you entered, a link to reset its password is on its way. "
                             "If nothing arrives within a few minutes, check what you entered and try again, or "
                             "contact the secretariat."),
    "back_to_login": ("ログイン画面に戻る", "Back to sign-in"),
    # the page every one-time link lands on
    "password_set_title": ("パスワードの設定", "Set your password"),
    "password_set_lead_invitation": ("{name} さん、ようこそ。ログイン名「{login}」のパスワードを設定してください。",
                                     "Welcome, {name}. Please choose a password for the login name {login}."),
    "password_set_lead_reset": ("ログイン名「{login}」の新しいパスワードを設定してください。設定すると、ほかの端末でのログインはすべて終了します。",
                                "Please choose a new password for the login name {login}. Setting it signs you out "
                                "everywhere else."),
    "set_password": ("パスワードを設定する", "Set the password"),
    "link_invalid": ("このリンクは使用済みか、有効期限が切れています。", "This link has been used already or has expired."),
    "link_invalid_hint": ("新しいリンクを請求するか、事務局に招待の再送を依頼してください。",
                          "Ask for a new link, or ask the secretariat to invite you again."),
    "ask_new_link": ("新しいリンクを請求する", "Ask for a new link"),
    # the account page: signed-in browsers
    "sessions_title": ("ログイン中の端末", "Signed-in browsers"),
    "sessions_lead": ("このアカウントでログインしている端末です。心当たりのない端末があれば、すべての端末からログアウトしてから、パスワードを変更してください。",
                      "Where this account is signed in. If you do not recognise one, sign out everywhere, then "
                      "change your password."),
    "signed_in_at": ("ログイン日時", "Signed in"),
    "client_address": ("接続元", "Address"),
    "this_browser": ("（この端末）", "(this browser)"),
    "sign_out_everywhere": ("すべての端末からログアウトする", "Sign out everywhere"),
    # the account page: API tokens, their scopes and expiry
    "token_scopes": ("できること", "What it may do"),
    "token_scope_read": ("閲覧のみ", "Read only"),
    "token_scope_read_write": ("閲覧と操作", "Read and act"),
    "token_scopes_help": ("「閲覧と操作」のトークンは、案件の作成・更新や手続の操作もできます。必要な連携にだけ作成してください。",
                          "A “Read and act” token can also create and update cases and take actions; make one "
                          "only for an integration that needs it."),
    "token_lifetime": ("有効期間", "Valid for"),
    "token_days": ("{days}日", "{days} days"),
    "token_expires": ("有効期限", "Expires"),
    "token_expired": ("期限切れ", "expired"),
    "token_scope_invalid": ("「閲覧のみ」か「閲覧と操作」のどちらかを選んでください。",
                            "Please choose “Read only” or “Read and act”."),
    "token_days_invalid": ("有効期間は30日・90日・365日のいずれかを選んでください。",
                           "Please choose 30, 90 or 365 days."),
    "token_password_note": ("パスワードを変更しても API トークンは無効になりません。使わなくなったトークンや、漏れたおそれのあるトークンは、ここで無効にしてください。",
                            "Changing your password does not revoke API tokens. Revoke here any token you no "
                            "longer use or that may have leaked."),
    # the JSON API's answers about a token
    "api_token_expired": ("この API トークンは有効期限（{when}）が切れています。",
                          "This API token expired on {when}."),
    "api_token_expired_hint": ("アカウントのページ（/account）で新しいトークンを作成し、連携先の設定を置き換えてください。",
                               "Make a new token on your account page (/account) and put it in the integration's "
                               "settings instead."),
    "api_insufficient_scope": ("この API トークンは「閲覧のみ」のため、内容を変更する操作はできません。",
                               "This API token may only read; it cannot change anything."),
    "api_insufficient_scope_hint": ("変更を伴う操作には、アカウントのページ（/account）で「閲覧と操作」のトークンを作成してください。",
                                    "To change things, make a token with “Read and act” on your account page "
                                    "(/account)."),
    # people and departments (secretariat)
    "nav_users": ("利用者の管理", "People"),
    "users_lead": ("市の職員・審査員・団体の方のアカウントです。追加した方には、パスワードを設定するためのリンクをメールでお送りできます（有効期限72時間、1回限り）。",
                   "The accounts of city staff, reviewers and citizen groups. A person you add can be sent a link "
                   "to set their password (it works once, for 72 hours)."),
    "add_person": ("利用者を追加する", "Add a person"),
    "person_language": ("通知の言語", "Language of notices"),
    "language_ja": ("日本語", "Japanese"),
    "language_en": ("英語", "English"),
    "is_head": ("所管課長（期限を過ぎた案件の連絡を受けます）", "Head of the department (told when a case is late)"),
    "send_invitation": ("パスワード設定の案内をメールで送る（有効期限72時間）", "Send an invitation to set a password (expires in 72 hours)"),
    "no_department": ("（なし）", "(none)"),
    "status_disabled": ("停止中", "disabled"),
    "status_no_password": ("パスワード未設定", "no password yet"),
    "last_sign_in": ("最終ログイン", "Last sign-in"),
    "no_people": ("該当する利用者はいません。", "Nobody matches."),
    "roles_and_department": ("役割と所管課", "Roles and department"),
    "save_roles": ("役割と所管課を保存する", "Save roles and department"),
    "account_status_title": ("利用の停止・再開", "Disable or enable"),
    "disable_account": ("利用を停止する", "Disable the account"),
    "disable_lead": ("停止すると、この方はログインできなくなり、ログイン中の端末もすべてログアウトされます。案件の記録はそのまま残ります。",
                     "A disabled person can no longer sign in, and every session of theirs ends at once. Their "
                     "records on cases stay as they are."),
    "enable_account": ("利用を再開する", "Enable the account"),
    "invitation_title": ("パスワード設定の案内", "Invitation to set a password"),
    "resend_lead": ("パスワードが未設定の方や、案内の期限が切れた方に送ります。以前に送った案内のリンクは使えなくなります。",
                    "For someone who has no password yet or whose invitation expired. Links sent earlier stop "
                    "working."),
    "send_invitation_now": ("案内を送る", "Send the invitation"),
    "self_note": ("ご自身の役割の変更と利用の停止は、ほかの担当者が行います。",
                  "Another administrator changes your own roles or disables your account."),
    "directory_trail": ("変更の記録", "Change history"),
    "trail_when": ("日時", "When"),
    "trail_what": ("内容", "What"),
    "trail_by": ("操作した人", "By"),
    "trail_by_command": ("コマンドライン・自動処理", "command line or system"),
    "dir_added": ("登録", "added"),
    "dir_invited": ("パスワード設定の案内を送信", "invitation sent"),
    "dir_disabled": ("利用を停止", "disabled"),
    "dir_enabled": ("利用を再開", "enabled"),
    "dir_roles_changed": ("役割・所管課を変更", "roles or department changed"),
    "dir_password_set": ("パスワードを設定", "password set"),
    "dir_reset_link_sent": ("パスワード再設定のリンクを送信", "reset link sent"),
    "departments_title": ("所管課", "Departments"),
    "departments_lead": ("案件を所管する課です。コードはコマンドライン（kyodo users --department）でも使います。",
                         "The departments in charge of cases. The code is what the command line "
                         "(kyodo users --department) uses."),
    "dept_code": ("コード（半角英数字）", "Code (letters and digits)"),
    "dept_name_ja": ("名称（日本語）", "Name (Japanese)"),
    "dept_name_en": ("名称（英語）", "Name (English)"),
    "owner_kind": ("区役所・局の別", "Ward office or bureau"),
    "owner_name": ("区役所・局の名称", "Name of the ward office or bureau"),
    "add_department": ("所管課を追加する", "Add a department"),
    "no_departments": ("所管課はまだ登録されていません。", "No department yet."),
    "to_departments": ("所管課の一覧・追加", "Departments"),
    "to_people": ("利用者の一覧に戻る", "Back to people"),
}
