"""Words of the review panel (審査委員会) of a round's public presentation.

key → (Japanese, English), merged into web.messages.MESSAGES. Every key starts with
``panel_`` so that it cannot clash with the words of other parts.
"""

MESSAGES: dict[str, tuple[str, str]] = {
    "panel_nav": ("公開プレゼンテーションの採点", "Presentation scoring"),
    # the secretariat's page
    "panel_title": ("審査委員会と公開プレゼンテーション", "Review panel and public presentations"),
    "panel_lead": ("この募集の審査委員を定め、公開プレゼンテーションの日程を設定します。審査委員は各提案をすべての審査基準で採点し、"
                   "利害関係のある委員は採点せず、集計から除かれます。採点の結果は、結果の公表まで非公開です。",
                   "Name the round's review panel and schedule each public presentation. Panel members score every "
                   "criterion of each proposal; a member with a conflict of interest does not score it and is left "
                   "out of its totals. Scores stay confidential until the results are published."),
    "panel_back": ("募集の画面へ戻る", "Back to the round"),
    "panel_members": ("審査委員", "Panel members"),
    "panel_no_members": ("審査委員はまだ登録されていません。", "No panel member yet."),
    "panel_add_member": ("審査委員を追加する", "Add a panel member"),
    "panel_person": ("利用者", "Person"),
    "panel_add": ("追加する", "Add"),
    "panel_remove": ("外す", "Take off the panel"),
    "panel_schedule_title": ("公開プレゼンテーションの日程", "Presentation schedule"),
    "panel_no_proposals": ("公開プレゼンテーションに進んだ提案はまだありません。",
                           "No proposal of this round has reached its public presentation yet."),
    "panel_starts_at": ("開始日時（日本時間）", "Starts (Japan time)"),
    "panel_place": ("会場", "Place"),
    "panel_online_url": ("オンライン参加のURL", "Online link"),
    "panel_position": ("発表順", "Order"),
    "panel_slot_help": ("会場とオンライン参加のURLの少なくとも一方を入力してください。保存すると提案団体に日程を通知します。",
                        "Give a place, an online link or both. Saving tells the group."),
    "panel_schedule": ("日程を保存して通知する", "Save and tell the group"),
    "panel_not_scheduled": ("未設定", "Not scheduled"),
    "panel_table": ("採点の集計（非公開）", "Panel scores (confidential)"),
    "panel_table_help": ("各委員の合計は100点満点の加重合計です。平均は利害関係のない委員のうち採点を終えた委員の平均で、"
                         "合格点（{pass_mark}点）以上で合格です。小数第3位以下は切り捨てて表示しています。",
                         "Each member's total is the weighted total out of 100. The mean is that of the members without "
                         "a conflict who have scored; a mean of at least the pass mark ({pass_mark}) passes. Shown to two "
                         "decimals, cut."),
    "panel_proposal": ("提案", "Proposal"),
    "panel_mean": ("平均", "Mean"),
    "panel_rank": ("順位", "Rank"),
    "panel_result": ("判定", "Result"),
    "panel_pass": ("合格", "Pass"),
    "panel_fail": ("不合格", "Fail"),
    "panel_recused": ("利害関係により除外", "Recused (conflict)"),
    "panel_not_scored": ("未採点", "Not scored"),
    "panel_recorded": ("記録済み", "Recorded"),
    "panel_at_presentation": ("プレゼンテーション中", "At presentation"),
    # a member's pages
    "panel_my_title": ("公開プレゼンテーションの採点", "Scoring the public presentations"),
    "panel_my_lead": ("審査委員を務める募集の提案です。各提案について、すべての審査基準を採点してください。"
                      "公開プレゼンテーションの結果が記録されるまでは修正できます。採点の内容は非公開です。",
                      "The proposals of the rounds whose panel you sit on. Score every criterion of each one; you can "
                      "correct your scores until the presentation is recorded. Scores are confidential."),
    "panel_my_none": ("採点する提案は今はありません。", "There is nothing for you to score now."),
    "panel_criteria": ("審査基準と配点", "Criteria and weights"),
    "panel_criterion": ("審査基準", "Criterion"),
    "panel_weight": ("配点", "Weight"),
    "panel_max_points": ("評点の範囲", "Points"),
    "panel_slot": ("日時・会場", "When and where"),
    "panel_status": ("採点", "Your scores"),
    "panel_done": ("採点済み", "Scored"),
    "panel_todo": ("未採点", "To score"),
    "panel_score": ("採点する", "Score"),
    "panel_correct": ("採点を修正する", "Correct"),
    "panel_you_are_recused": ("この提案について利害関係があるため（提案団体に所属しているか、利害関係を申し出ています）、採点できません。"
                              "この提案の集計からは除かれます。",
                              "You have a conflict of interest on this proposal (you belong to the proposing group or "
                              "declared a conflict): you do not score it and are left out of its totals."),
    "panel_score_title": ("提案の採点", "Scoring a proposal"),
    "panel_points_help": ("0から{max}までの整数", "a whole number from 0 to {max}"),
    "panel_save": ("採点を保存する", "Save the scores"),
    "panel_my_back": ("採点する提案の一覧へ戻る", "Back to the proposals to score"),
    "panel_purpose": ("事業の目的", "Purpose"),
    "panel_content": ("事業の内容", "Content"),
    "panel_roles": ("役割分担", "Proposed roles"),
    "panel_organisation": ("提案団体", "Proposing group"),
    # The note record_presentation keeps (states/citizen_proposal_v2.py): the case page names
    # every note by its kind, and had no words for this one (a recorded presentation made it fail).
    "note_presentation": ("公開プレゼンテーションの記録", "Public presentation record"),
}
