"""Words of the refusals at the edge and of the error pages: key → (Japanese, English),
merged into web.messages.MESSAGES."""

MESSAGES: dict[str, tuple[str, str]] = {
    "error_internal": ("申し訳ありません。システムで予期しないエラーが発生しました。",
                       "Sorry, something went wrong in the system."),
    "error_internal_hint": ("時間をおいてもう一度お試しください。解決しない場合は、エラー番号を添えて事務局にお問い合わせください。",
                            "Please try again later. If it happens again, tell the secretariat the error reference."),
    "error_reference": ("エラー番号 {reference}", "Error reference {reference}"),
    "error_not_found": ("ページが見つかりません。", "Page not found."),
    "error_method": ("このページはその方法では利用できません。", "This page cannot be used that way."),
    "error_bad_request": ("リクエストを処理できませんでした。", "The request could not be processed."),
    "error_invalid_field": ("「{field}」の値が正しくありません。", "The value of {field} is not valid: {problem}"),
    "error_invalid_hint": ("入力した内容やアドレスを確かめてから、もう一度お試しください。",
                           "Check what you entered, or the address, and try again."),
    "error_nul": ("「{field}」に使えない文字（NUL）が含まれています。取り除いてからもう一度送信してください。",
                  "{field} contains a NUL character, which cannot be stored; remove it and send again."),
    "error_too_large": ("送信されたデータが大きすぎます（上限 {limit}）。", "The request is too large (limit {limit})."),
    "error_too_large_hint": ("文章を短くするか、大きな資料は添付ファイルとして送ってください。",
                             "Shorten the text, or send large material as an attachment."),
    "error_unauthorized": ("認証が必要です。", "Authentication required."),
}
