"""The citizen proposal (市民協働事業の提案), Articles 10, 11, 12 and 15.

A citizen group proposes (Art. 10(1)); the city reviews it on the Article 9(2) criteria
and decides with reasons, promptly (Art. 10(2)); an adopted project gets a collaboration
contract or a recorded minor-case exemption (Art. 12); it runs, with own-project notices
(Art. 11); both sides evaluate each other after the end and after every fiscal year end
of a multi-year project, and the evaluation is published (Art. 15).

State names are stable identifiers stored in the database: never rename one.
Deadline defaults (business days) are the city's service standard and are overridden by
``KYODO_DEADLINE_<KEY>_DAYS`` settings.
"""

from __future__ import annotations

from states.common import (
    CONDITIONS,
    CONTRACT_TERMS,
    DEADLINES,
    EVALUATION_FIELDS,
    INPUTS,
    REVIEW_CRITERIA,
)
from states.model import DeadlinePolicy, Lifecycle, State, Transition
from states.roles import ROLES

BEFORE_DECISION = ("submitted", "under_review", "in_coordination", "revision_requested", "awaiting_decision")

STATES = (
    State("draft", "下書き", "Draft",
          "提案団体が提案書を作成しています。", "The group is writing its proposal."),
    State("submitted", "受付", "Submitted",
          "提案を受け付けました。事務局が審査員と所管課を決めます。",
          "The proposal was received; the secretariat assigns reviewers and the department.",
          waits_on=("secretariat",), deadline="receipt", public_label_ja=None),
    State("under_review", "審査中", "Under review",
          "審査員が技術・専門性・サービスの質・遂行能力を審査しています。",
          "Reviewers score technique, expertise, quality of service and capability.",
          waits_on=("reviewer",), deadline="review"),
    State("in_coordination", "所管課調整中", "Department coordination",
          "所管課と提案団体が提案内容を調整しています。",
          "The department in charge and the group adjust the proposal together.",
          waits_on=("department",), deadline="coordination"),
    State("revision_requested", "修正依頼中", "Revision requested",
          "提案団体に提案書の修正をお願いしています。", "The group is asked to revise its proposal.",
          waits_on=("proposer",), deadline="revision"),
    State("awaiting_decision", "決裁待ち", "Awaiting decision",
          "採用の可否を決定します（理由を付して通知します）。",
          "The city decides whether to adopt it, with written reasons.",
          waits_on=("approver",), deadline="decision_pending"),
    State("not_adopted", "不採用", "Not adopted",
          "提案は採用されませんでした。理由は決定通知のとおりです。",
          "The proposal was not adopted; the reasons are in the decision notice.", final=True),
    State("withdrawn", "取下げ", "Withdrawn", "提案団体が提案を取り下げました。",
          "The group withdrew its proposal.", final=True),
    State("contracting", "協働契約準備中", "Contracting",
          "採用された事業の協働契約（第12条）を準備しています。",
          "The Article 12 collaboration contract is being prepared.",
          waits_on=("department",), deadline="contracting",
          public_label_ja="採用（契約準備中）", public_label_en="Adopted (contracting)", tags=frozenset({"adopted"})),
    State("in_progress", "事業実施中", "In progress",
          "協働事業を実施しています。", "The collaboration project is running.",
          waits_on=("department", "proposer"), deadline="implementation",
          public_label_ja="実施中", public_label_en="In progress", tags=frozenset({"adopted"})),
    State("evaluating", "相互評価中", "Mutual evaluation",
          "市と相手方が事業を相互に評価しています（第15条）。",
          "The city and the partner evaluate each other (Article 15).",
          waits_on=("department", "proposer"), deadline="final_evaluation",
          public_label_ja="評価中", public_label_en="Being evaluated", tags=frozenset({"adopted"})),
    State("closed", "終了（評価公表済）", "Closed (evaluation published)",
          "評価を公表し、事業を終了しました。", "The evaluation is published and the case is closed.",
          final=True, public_label_ja="評価公表済", public_label_en="Evaluation published",
          tags=frozenset({"adopted"})),
)

PROPOSAL_DEADLINES = DEADLINES + (
    DeadlinePolicy("receipt", "受付処理（審査員・所管課の決定）", "Receipt (assign reviewers and department)",
                   waits_on="secretariat", days=5, remind_before=(2,), article="第10条第2項"),
    DeadlinePolicy("review", "審査", "Review", waits_on="reviewer", days=10, article="第10条第2項"),
    DeadlinePolicy("coordination", "所管課調整", "Department coordination", waits_on="department",
                   days=20, remind_before=(5, 1), article="第10条第2項"),
    DeadlinePolicy("revision", "提案書の修正", "Revision of the proposal", waits_on="proposer",
                   days=15, escalate_to=("department", "secretariat")),
    DeadlinePolicy("decision_pending", "決裁", "Decision", waits_on="approver", days=5,
                   remind_before=(2,), article="第10条第2項"),
    # Article 10(2) says "promptly" (速やかに): the city's standard is a decision within
    # 40 business days (about two months) of receipt, whatever happens in between.
    DeadlinePolicy("decision", "採否の決定（速やかに）", "Decision (promptly)", waits_on="approver",
                   days=40, remind_before=(10, 3), escalate_to=("secretariat", "department_head"),
                   article="第10条第2項"),
    DeadlinePolicy("contracting", "協働契約の締結", "Concluding the contract", waits_on="department",
                   days=30, remind_before=(5,), escalate_to=("secretariat", "department_head"),
                   article="第12条"),
    DeadlinePolicy("implementation", "事業の完了（契約期間の終了日）", "Completion (end of the contract period)",
                   waits_on="department", rule="date_input", date_field="period_end",
                   remind_before=(20, 5), escalate_to=("secretariat",)),
    DeadlinePolicy("final_evaluation", "相互評価と公表", "Mutual evaluation and publication",
                   waits_on="department", days=30, remind_before=(10, 3),
                   escalate_to=("secretariat", "department_head"), article="第15条"),
)

_p = ("proposer",)
_dept = ("department",)

TRANSITIONS = (
    Transition("submit", ("draft",), "submitted", _p, "提案する", "Submit the proposal", "第10条第1項",
               conditions=("proposal_complete",), opens=("decision",),
               notify=(("receipt", "proposer"),)),
    Transition("start_review", ("submitted",), "under_review", ("secretariat",),
               "審査を開始する（審査員・所管課の決定）", "Start the review (assign reviewers and department)",
               "第10条第2項", inputs=("reviewer_ids", "department_id"),
               notify=(("review_assigned", "reviewer"),)),
    Transition("submit_review", ("under_review",), "under_review", ("reviewer",), "審査結果を登録する",
               "Submit a review", "第9条第2項", inputs=REVIEW_CRITERIA + ("review_comment",),
               conditions=("reviewer_has_not_reviewed",)),
    Transition("finish_review", ("under_review",), "in_coordination", ("secretariat",),
               "審査を終え所管課調整に進める", "Close the review and start coordination", "第10条第2項",
               conditions=("reviews_complete", "department_assigned")),
    Transition("log_coordination", ("in_coordination",), "in_coordination", _dept + ("secretariat",),
               "調整の記録を残す", "Record a coordination note", inputs=("note",)),
    Transition("request_revision", ("in_coordination",), "revision_requested", _dept + ("secretariat",),
               "修正を依頼する", "Request a revision", inputs=("revision_request",),
               notify=(("revision_requested", "proposer"),)),
    Transition("resubmit", ("revision_requested",), "in_coordination", _p, "修正した提案を再提出する",
               "Resubmit the revised proposal", "第10条第1項", optional_inputs=("revision_note",),
               conditions=("proposal_complete", "revised_since_request")),
    Transition("refer_for_decision", ("in_coordination",), "awaiting_decision", _dept,
               "決裁に回す", "Refer for decision", inputs=("department_opinion",),
               conditions=("reviews_complete",)),
    Transition("return_to_coordination", ("awaiting_decision",), "in_coordination", ("approver",),
               "所管課調整に差し戻す", "Return to coordination", inputs=("note",)),
    Transition("adopt", ("awaiting_decision",), "contracting", ("approver",), "採用を決定する",
               "Adopt", "第10条第2項", inputs=("reasons",), conditions=("reviews_complete",),
               closes=("decision",), notify=(("decision", "proposer"), ("decision", "department"))),
    Transition("reject", ("awaiting_decision",), "not_adopted", ("approver",), "不採用を決定する",
               "Do not adopt", "第10条第2項", inputs=("reasons",), conditions=("reviews_complete",),
               closes=("decision",), notify=(("decision", "proposer"), ("decision", "department"))),
    Transition("withdraw", ("draft",) + BEFORE_DECISION, "withdrawn", _p, "提案を取り下げる",
               "Withdraw the proposal", optional_inputs=("withdrawal_reason",), closes=("decision",)),
    Transition("conclude_contract", ("contracting",), "in_progress", _dept, "協働契約を締結する",
               "Conclude the collaboration contract", "第12条", inputs=CONTRACT_TERMS,
               conditions=("contract_terms_valid",), notify=(("contract_concluded", "proposer"),)),
    Transition("exempt_contract", ("contracting",), "in_progress", _dept,
               "軽易なものとして契約を省略する", "Waive the contract as a minor case", "第12条第1項",
               inputs=("exemption_reason", "period_start", "period_end"),
               conditions=("contract_terms_valid",), notify=(("contract_concluded", "proposer"),)),
    Transition("amend_contract", ("in_progress",), "in_progress", _dept, "契約を変更する",
               "Amend the contract", "第12条", inputs=("amendment_reason",),
               optional_inputs=("new_period_end", "new_amount_yen", "new_terms"),
               conditions=("amendment_changes_something",),
               closes=("implementation",), opens=("implementation",)),
    Transition("notify_own_project_start", ("in_progress",), "in_progress", _p,
               "自主事業の開始を届け出る", "Notify the start of an own project", "第11条第2項",
               inputs=("own_project_title", "own_project_start"), opens=("own_project_end_notice",),
               notify=(("own_project_received", "proposer"), ("own_project_received", "department"))),
    *(
        Transition("notify_own_project_end", (state,), state, _p,
                   "自主事業の終了を届け出る", "Notify the end of an own project", "第11条第2項",
                   inputs=("own_project_id", "own_project_end"), conditions=("own_project_open",),
                   closes=("own_project_end_notice",),
                   notify=(("own_project_received", "proposer"), ("own_project_received", "department")))
        for state in ("in_progress", "evaluating")
    ),
    Transition("report_progress", ("in_progress",), "in_progress", _p + _dept, "進捗を報告する",
               "Report progress", inputs=("progress_report",)),
    Transition("open_annual_evaluation", ("in_progress",), "in_progress", ("secretariat",) + _dept,
               "年度評価を開始する", "Open the evaluation of a completed fiscal year", "第15条第1項",
               inputs=("fiscal_year",), conditions=("fiscal_year_completed",), opens=("annual_evaluation",),
               notify=(("evaluation_requested", "proposer"), ("evaluation_requested", "department"))),
    Transition("submit_evaluation", ("in_progress",), "in_progress", _p + _dept, "年度評価を提出する",
               "Submit the annual evaluation", "第15条第1項", inputs=("fiscal_year",) + EVALUATION_FIELDS,
               conditions=("evaluation_open",)),
    Transition("publish_evaluation", ("in_progress",), "in_progress", ("secretariat",),
               "年度評価を公表する", "Publish the annual evaluation", "第15条第2項", inputs=("fiscal_year",),
               conditions=("evaluation_open", "both_sides_evaluated"), closes=("annual_evaluation",),
               notify=(("evaluation_published", "proposer"), ("evaluation_published", "department"))),
    Transition("complete", ("in_progress",), "evaluating", _dept, "事業の完了を確認する",
               "Confirm the project is completed", "第15条第1項", inputs=("completion_report",),
               notify=(("evaluation_requested", "proposer"), ("evaluation_requested", "department"))),
    Transition("cancel", ("in_progress",), "evaluating", _dept + ("approver",),
               "事業を中止する", "Cancel the project", "第15条第1項", inputs=("cancel_reason",),
               notify=(("evaluation_requested", "proposer"), ("evaluation_requested", "department"))),
    Transition("submit_final_evaluation", ("evaluating",), "evaluating", _p + _dept, "相互評価を提出する",
               "Submit the evaluation", "第15条第1項", inputs=EVALUATION_FIELDS,
               conditions=("evaluation_open",)),
    Transition("publish_final_evaluation", ("evaluating",), "closed", ("secretariat",),
               "評価を公表して終了する", "Publish the evaluation and close", "第15条第2項",
               conditions=("both_sides_evaluated",), notify=(("evaluation_published", "proposer"), ("evaluation_published", "department"))),
)

CITIZEN_PROPOSAL = Lifecycle(
    name="citizen_proposal",
    label_ja="市民協働事業の提案（第10条）",
    label_en="Citizen proposal (Article 10)",
    initial="draft",
    states=STATES,
    transitions=TRANSITIONS,
    deadlines=PROPOSAL_DEADLINES,
    inputs=INPUTS,
    conditions=CONDITIONS,
    roles=tuple(ROLES),
)
