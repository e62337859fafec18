"""Words of a round's results: deciding them together and publishing them together.

key → (Japanese, English), merged into web.messages.MESSAGES. Every key starts with
``results_`` so that it cannot clash with the words of other parts.
"""

MESSAGES: dict[str, tuple[str, str]] = {
    "results_decide_title": ("募集の採否を一括で決定する", "Decide a round's proposals together"),
    "results_decide_lead": ("この募集で決裁を待っている提案を、審査結果とあわせて一覧にしています。提案ごとに採用・不採用を選び、"
                            "それぞれの理由を入力してください。すべての提案を一度に決定します。1件でも決定できないときは、"
                            "どの提案も決定しません。",
                            "Every proposal of this round waiting for a decision is listed with its screening results. "
                            "Choose adopt or do not adopt for each and give its own reasons: all are decided at once, "
                            "and if one cannot be decided, none is."),
    "results_rounds_title": ("一括決定を待っている募集", "Rounds waiting for a decision"),
    "results_rounds_lead": ("決裁を待っている提案がある募集です。募集を選ぶと、提案をまとめて決定できます。",
                            "Rounds with proposals waiting for your decision; open one to decide its proposals together."),
    "results_rounds_none": ("一括決定を待っている募集はありません。", "No round is waiting for a decision."),
    "results_n_waiting": ("決裁待ち {n}件", "{n} waiting"),
    "results_queue_link": ("募集ごとに採否を一括で決定する", "Decide a round's proposals together"),
    "results_none_waiting": ("この募集で決裁を待っている提案はありません。", "No proposal of this round is waiting for a decision."),
    "results_document_reviews": ("書類審査の結果", "Document screening"),
    "results_panel": ("審査委員会の評価", "Review panel"),
    "results_panel_none": ("審査委員会の評点はありません。", "No panel scores."),
    "results_mean": ("平均点", "Mean"),
    "results_rank": ("順位", "Rank"),
    "results_pass": ("合否", "Pass mark"),
    "results_passed": ("合格点以上", "Reached"),
    "results_failed": ("合格点未満", "Not reached"),
    "results_member_totals": ("委員ごとの合計点", "Totals by member"),
    "results_member": ("委員{n}", "Member {n}"),
    "results_decision": ("決定", "Decision"),
    "results_reasons": ("理由", "Reasons"),
    "results_submit": ("すべての提案を決定する", "Decide all proposals"),
    "results_done": ("{n}件の提案を決定しました。結果は公表日（{on}）に公開されます。",
                     "{n} proposals were decided; the results are published on {on}."),
    "results_done_no_date": ("{n}件の提案を決定しました。結果の公表日はまだ定められていません。",
                             "{n} proposals were decided; no publication date is set yet."),
    "results_public_title": ("審査結果", "Results"),
    "results_public_lead": ("この募集の審査結果を公表します（公表日：{on}）。審査委員の氏名は公表していません。",
                            "The results of this round (published on {on}). Panel members are not named."),
    "results_adopted": ("採用された提案", "Adopted proposals"),
    "results_not_adopted": ("採用されなかった提案", "Proposals not adopted"),
    "results_none_adopted": ("採用された提案はありません。", "No proposal was adopted."),
    "results_organisation": ("提案団体", "Proposing group"),
    "results_title_confidential": ("（非公開）", "(confidential)"),
    "results_document_number": ("文書番号", "Document number"),
    "results_link": ("審査結果", "Results"),
}
