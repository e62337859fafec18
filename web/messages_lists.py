"""Words of the worklists, lists and public pages: key → (Japanese, English), merged into web.messages.MESSAGES."""

MESSAGES: dict[str, tuple[str, str]] = {
    # lists of every kind of case
    "case_kind": ("種類", "Kind"),
    "no_partner_yet": ("（相手方の選定前）", "(no partner selected yet)"),
    "nav_all_cases": ("すべての案件", "All cases"),
    "unknown_queue_role": ("「{role}」の対応待ちの一覧はありません。お持ちの役割から選んでください。",
                           "There is no queue for {role!r}; choose one of your roles."),
    "worklist_lead_reviewer": ("審査をお願いしている提案と公募の応募です。期限の近い順に並んでいます。",
                               "Proposals and call applications assigned to you for review, due date first."),
    "worklist_lead_department": ("所管課の対応を待っている案件（提案・公募）です。期限の近い順に並んでいます。",
                                 "Cases (proposals and calls) waiting on your department, due date first."),
    "worklist_lead_approver": ("採否の決定・相手方の選定を待っている案件です。期限の近い順に並んでいます。",
                               "Cases waiting for a decision or the selection of a partner, due date first."),
    "worklist_lead_secretariat": ("事務局の対応（審査員と所管課の決定など）を待っている案件です。期限の近い順に並んでいます。",
                                  "Cases waiting on the secretariat (reviewers and a department to assign), due date first."),
    # the compliance board
    "deadline_never_opened": ("この手続はまだ開始されていません", "this duty was never opened"),
    # the public pages
    "public_lead_all": ("市が協働の相手方を募集している公募（条例第9条）、採用された協働事業、公表された相互評価（条例第15条第2項）をご覧いただけます。",
                        "The city's calls for partners (Article 9), the adopted collaboration projects and their published evaluations (Article 15(2))."),
    "download_calls_csv": ("公募の一覧（CSV）", "Calls (CSV)"),
    "public_call_lead": ("市が協働の相手方を公募しています（条例第9条）。応募締切日までに、ログインして応募してください。",
                         "The city seeks a partner for this project (Article 9). Sign in and apply by the closing date."),
    "call_purpose": ("事業の目的", "Purpose"),
    "call_content_label": ("事業の内容", "What the project does"),
    "call_criteria_by_law": ("技術・専門性・サービスの質・遂行能力（条例第9条第2項）に加えて、次の点を重視して選定します。",
                             "Besides technique, expertise, quality of service and capability (Article 9(2)), the selection weighs:"),
    "selected_partner": ("選定された協働の相手方", "Partner selected"),
    # the front page
    "front_steps_shared": ("採用・選定の後（共通の手続）", "After adoption or selection (the same for both)"),
}
