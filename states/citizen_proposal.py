"""The citizen proposal (市民協働事業の提案), Articles 10, 11, 12 and 15.

A citizen group proposes (Art. 10(1)); the city reviews it on the Article 9(2) criteria
and decides with reasons, promptly (Art. 10(2)); an adopted project gets a collaboration
contract or a recorded minor-case exemption (Art. 12); it runs, with own-project notices
(Art. 11); both sides evaluate each other after the end and after every fiscal year end
of a multi-year project, and the evaluation is published (Art. 15).

The stage from ``contracting`` on is shared with the city's call for partners (Art. 9)
and declared once in ``states/stages.py``.

State names are stable identifiers stored in the database: never rename one.
Deadline defaults (business days) are the city's service standard and are overridden by
``KYODO_DEADLINE_<KEY>_DAYS`` settings.
"""

from __future__ import annotations

from states.common import CONDITIONS, DEADLINES, INPUTS, REVIEW_CRITERIA, conflict_declarations, content_edits
from states.model import DeadlinePolicy, Lifecycle, Notify, State, Transition
from states.roles import ROLES
from states.stages import (
    ENTRY_STATE,
    IMPLEMENTATION_DEADLINES,
    IMPLEMENTATION_STATES,
    IMPLEMENTATION_TRANSITIONS,
)

BEFORE_DECISION = ("submitted", "under_review", "in_coordination", "revision_requested", "awaiting_decision")

STATES = (
    State("draft", "下書き", "Draft",
          "提案団体が提案書を作成しています。", "The group is writing its proposal.", editable_by=("proposer",)),
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
          waits_on=("proposer",), deadline="revision", editable_by=("proposer",)),
    State("awaiting_decision", "決裁待ち", "Awaiting decision",
          "採用の可否を決定します（理由を付して通知します）。",
          "The city decides whether to adopt it, with written reasons.",
          waits_on=("approver",), deadline="decision_pending"),
    State("awaiting_budget", "予算化待ち", "Awaiting the budget",
          "採用された事業を実施する年度の予算の成立を待っています。予算が成立したら協働契約の準備に進みます。",
          "The adopted project waits for the budget of the fiscal year it runs in; once passed, the contract is prepared.",
          waits_on=("department",), deadline="budget",
          public_label_ja="採用（予算化待ち）", public_label_en="Adopted (awaiting the budget)", public_view="project",
          tags=frozenset({"adopted"})),
    State("not_adopted", "不採用", "Not adopted",
          "提案は採用されませんでした。理由は決定通知のとおりです。",
          "The proposal was not adopted; the reasons are in the decision notice.", final=True),
    State("withdrawn", "取下げ", "Withdrawn", "提案団体が提案を取り下げました。",
          "The group withdrew its proposal.", final=True),
    *IMPLEMENTATION_STATES,
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
    # The budget of the project's year is passed by the council before that year begins;
    # the department records it, at the latest on the year's first business day.
    DeadlinePolicy("budget", "予算の成立（事業年度の開始まで）", "Budget passed (by the start of the project's year)",
                   waits_on="department", rule="date_input", date_field="project_year_start",
                   remind_before=(20, 5), escalate_to=("secretariat", "department_head")),
    *IMPLEMENTATION_DEADLINES,
)

_p = ("proposer",)
_dept = ("department",)

_decision = (Notify("decision", "proposer"), Notify("decision", "department"))

TRANSITIONS = (
    Transition("submit", ("draft",), "submitted", _p, "提案する", "Submit the proposal", "第10条第1項",
               # The window first: after the close nothing else matters, and the refusal is logged.
               conditions=("round_window_open", "round_consultation_held", "proposal_complete"), opens=("decision",),
               notify=(Notify("receipt", "proposer", "decision"),), effect="mark_submitted"),
    Transition("start_review", ("submitted",), "under_review", ("secretariat",),
               "審査を開始する（審査員・所管課の決定）", "Start the review (assign reviewers and department)",
               "第10条第2項", inputs=("reviewer_ids", "department_id"),
               notify=(Notify("review_assigned", "reviewer", "review"),), effect="assign_reviewers"),
    Transition("submit_review", ("under_review",), "under_review", ("reviewer",), "審査結果を登録する",
               "Submit a review", "第9条第2項", inputs=REVIEW_CRITERIA + ("review_comment",),
               conditions=("reviewer_has_not_reviewed",), effect="record_review", page="review", then="queue"),
    # A reviewer who falls ill or has a conflict of interest is replaced, or more are asked,
    # so that the review can always finish; the newcomer is asked like the others were.
    Transition("add_reviewer", ("under_review",), "under_review", ("secretariat",), "審査員を追加する",
               "Add reviewers", "第10条第2項", inputs=("reviewer_ids",),
               notify=(Notify("review_assigned", "new_reviewers", "review"),), effect="assign_more_reviewers"),
    Transition("replace_reviewer", ("under_review",), "under_review", ("secretariat",), "審査員を交代する",
               "Replace a reviewer", "第10条第2項",
               inputs=("leaving_reviewer_id", "incoming_reviewer_id", "replacement_reason"),
               notify=(Notify("review_assigned", "new_reviewers", "review"),), effect="hand_over_review"),
    Transition("finish_review", ("under_review",), "in_coordination", ("secretariat",),
               "審査を終え所管課調整に進める", "Close the review and start coordination", "第10条第2項",
               conditions=("reviews_complete", "department_assigned")),
    Transition("log_coordination", ("in_coordination",), "in_coordination", _dept + ("secretariat",),
               "調整の記録を残す", "Record a coordination note", inputs=("note",), effect="record_note",
               note=("coordination", "note")),
    Transition("request_revision", ("in_coordination",), "revision_requested", _dept + ("secretariat",),
               "修正を依頼する", "Request a revision", inputs=("revision_request",),
               notify=(Notify("revision_requested", "proposer", "revision"),), effect="record_note",
               note=("revision_request", "revision_request")),
    Transition("resubmit", ("revision_requested",), "in_coordination", _p, "修正した提案を再提出する",
               "Resubmit the revised proposal", "第10条第1項", optional_inputs=("revision_note",),
               conditions=("proposal_complete", "revised_since_request"), effect="record_note",
               note=("resubmission", "revision_note")),
    Transition("refer_for_decision", ("in_coordination",), "awaiting_decision", _dept,
               "決裁に回す", "Refer for decision", inputs=("department_opinion",),
               conditions=("reviews_complete",), effect="record_note",
               note=("department_opinion", "department_opinion")),
    Transition("return_to_coordination", ("awaiting_decision",), "in_coordination", ("approver",),
               "所管課調整に差し戻す", "Return to coordination", inputs=("note",), effect="record_note",
               note=("returned_by_approver", "note"), page="decision"),
    Transition("adopt", ("awaiting_decision",), ENTRY_STATE, ("approver",), "採用を決定する",
               "Adopt", "第10条第2項", inputs=("reasons",), conditions=("reviews_complete", "budget_in_hand"),
               closes=("decision",), notify=_decision, effect="record_decision", outcome="adopted",
               page="decision"),
    Transition("adopt_for_budget", ("awaiting_decision",), "awaiting_budget", ("approver",),
               "採用を決定する（事業年度の予算化を待つ）", "Adopt (the project waits for its year's budget)",
               "第10条第2項", inputs=("reasons",), conditions=("reviews_complete", "budget_awaited"),
               closes=("decision",), notify=_decision, effect="record_decision", outcome="adopted",
               page="decision"),
    Transition("record_budget", ("awaiting_budget",), ENTRY_STATE, _dept + ("secretariat",),
               "予算の成立を記録し契約の準備に進む", "Record the budget as passed and prepare the contract",
               inputs=("budget_note",), effect="record_note", note=("budget", "budget_note")),
    Transition("reject", ("awaiting_decision",), "not_adopted", ("approver",), "不採用を決定する",
               "Do not adopt", "第10条第2項", inputs=("reasons",), conditions=("reviews_complete",),
               closes=("decision",), notify=_decision, effect="record_decision", outcome="not_adopted",
               page="decision", confirm=True),
    Transition("withdraw", ("draft",) + BEFORE_DECISION, "withdrawn", _p, "提案を取り下げる",
               "Withdraw the proposal", optional_inputs=("withdrawal_reason",), closes=("decision",),
               effect="record_note", note=("withdrawal", "withdrawal_reason"), confirm=True),
    *content_edits(STATES),
    # Everyone who reviews, coordinates or decides may declare a conflict of interest once
    # the city has the proposal (a draft is the group's alone).
    *conflict_declarations(tuple(s for s in STATES if s.name != "draft")),
    *IMPLEMENTATION_TRANSITIONS,
)

CREATION = Transition("create", (), "draft", _p, "提案書を作成する", "Create a proposal", "第10条第1項",
                      inputs=("organisation_id",), optional_inputs=("content",), effect="create_case",
                      page="editor")

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
    creation=CREATION,
)
