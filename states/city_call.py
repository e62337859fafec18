"""The city's call for partners (市の発意による協働事業の公募), Article 9, then Articles 11, 12, 15.

A department prepares a call with its selection criteria and closing date and opens it
(公募); organisations apply until the closing date; after it the applications are closed
and reviewers score every application on the Article 9(2) criteria (technique,
expertise, quality of service, capability to deliver); the approver selects the partner
with written reasons, every score kept, which is the fair method Article 9(1) requires,
and the selected applicant and every other applicant are notified. From ``contracting``
on the case is the same as an adopted citizen proposal (``states/stages.py``), with the
selected applicant as its partner. If no applicant is suitable the call is cancelled
with reasons.

A call is a case (a ``Proposal`` row) whose organisation is empty until the selection.
State names are stable identifiers stored in the database: never rename one.
"""

from __future__ import annotations

from states.common import (
    CALL_CONDITIONS,
    CALL_INPUTS,
    CONDITIONS,
    DEADLINES,
    INPUTS,
    REVIEW_CRITERIA,
    conflict_declarations,
    content_edits,
)
from states.model import DeadlinePolicy, Lifecycle, Notify, State, Transition
from states.roles import ROLES
from states.stages import (
    ENTRY_STATE,
    IMPLEMENTATION_DEADLINES,
    IMPLEMENTATION_STATES,
    IMPLEMENTATION_TRANSITIONS,
)

BEFORE_SELECTION = ("open", "reviewing", "awaiting_selection")

STATES = (
    State("draft", "公募準備中", "Draft call",
          "所管課が公募の内容・選定基準・応募締切日を準備しています。",
          "The department prepares the call: its content, selection criteria and closing date.",
          editable_by=("department",)),
    State("open", "公募中", "Open for applications",
          "応募締切日まで、団体からの応募を受け付けています。",
          "Organisations may apply until the closing date.",
          waits_on=("department",), deadline="applications",
          public_label_ja="公募中", public_label_en="Open for applications", public_view="call",
          tags=frozenset({"accepting_applications"})),
    State("reviewing", "選定審査中", "Selection review",
          "審査員がすべての応募を技術・専門性・サービスの質・遂行能力で審査しています。",
          "Reviewers score every application on technique, expertise, quality of service and capability.",
          waits_on=("reviewer",), deadline="call_review",
          public_label_ja="選定中", public_label_en="Selecting a partner", public_view="call"),
    State("awaiting_selection", "決裁待ち（選定）", "Awaiting selection",
          "審査結果にもとづき、理由を付して協働の相手方を選定します。",
          "The approver selects the partner from the reviewed applications, with written reasons.",
          waits_on=("approver",), deadline="selection_pending",
          public_label_ja="選定中", public_label_en="Selecting a partner", public_view="call"),
    State("call_cancelled", "公募中止（選定なし）", "Cancelled (no partner selected)",
          "適当な応募がなく、協働の相手方を選定せずに公募を終了しました。理由は通知のとおりです。",
          "No suitable applicant: the call ended without a partner; the reasons were notified.",
          final=True, public_label_ja="選定なし", public_label_en="No partner selected", public_view="call"),
    *IMPLEMENTATION_STATES,
)

CALL_DEADLINES = DEADLINES + (
    # Applications are accepted up to and including the closing date; the department is
    # reminded on that day and from the next business day until it closes them for review.
    DeadlinePolicy("applications", "応募の締切（締切後に審査へ）", "Closing of applications (then review)",
                   waits_on="department", rule="date_input", date_field="closing_on",
                   remind_before=(), remind_on_day=True, remind_every_after=1, escalate_after=3,
                   escalate_to=("secretariat",), article="第9条第1項"),
    DeadlinePolicy("call_review", "応募の選定審査", "Review of the applications", waits_on="reviewer",
                   days=10, article="第9条第2項"),
    DeadlinePolicy("selection_pending", "相手方の選定（決裁）", "Selection of the partner", waits_on="approver",
                   days=5, remind_before=(2,), escalate_to=("secretariat", "department_head"),
                   article="第9条第1項"),
    *IMPLEMENTATION_DEADLINES,
)

_p = ("proposer",)
_dept = ("department",)

_told = (Notify("call_selected", "proposer"), Notify("call_selected", "department"),
         Notify("call_not_selected", "unselected_applicants"))

TRANSITIONS = (
    Transition("open_call", ("draft",), "open", _dept, "公募を開始する", "Open the call for partners",
               "第9条第1項", optional_inputs=("closing_on",), conditions=("call_ready",), effect="set_closing_date"),
    # Any group may apply, for one of its own organisations (the organisation is an input;
    # the engine refuses a person who is not its member).
    Transition("submit_application", ("open",), "open", _p, "応募する", "Apply to the call", "第9条第1項",
               inputs=("organisation_id", "application_summary"), optional_inputs=("proposed_amount_yen",),
               conditions=("call_accepting", "organisation_has_not_applied"), effect="record_application"),
    *(
        Transition("withdraw_application", (state,), state, _p, "応募を取り下げる", "Withdraw an application",
                   inputs=("application_id",), optional_inputs=("withdrawal_reason",),
                   conditions=("application_active",), effect="mark_application_withdrawn", confirm=True)
        for state in BEFORE_SELECTION
    ),
    Transition("close_applications", ("open",), "reviewing", _dept + ("secretariat",),
               "応募を締め切り選定審査を始める（審査員の決定）", "Close applications and start the review (assign reviewers)",
               "第9条第2項", inputs=("reviewer_ids",), conditions=("closing_date_passed", "has_applications"),
               notify=(Notify("call_review_assigned", "reviewer", "call_review"),), effect="assign_reviewers"),
    Transition("review_application", ("reviewing",), "reviewing", ("reviewer",), "応募を審査する",
               "Review an application", "第9条第2項",
               inputs=("application_id",) + REVIEW_CRITERIA + ("review_comment",),
               conditions=("application_reviewable",), effect="record_review", page="review"),
    # A reviewer who falls ill or has a conflict of interest is replaced, or more are asked,
    # so that every application can get its reviews; the newcomer is asked like the others.
    Transition("add_reviewer", ("reviewing",), "reviewing", _dept + ("secretariat",), "審査員を追加する",
               "Add reviewers", "第9条第2項", inputs=("reviewer_ids",),
               notify=(Notify("call_review_assigned", "new_reviewers", "call_review"),),
               effect="assign_more_reviewers"),
    Transition("replace_reviewer", ("reviewing",), "reviewing", _dept + ("secretariat",), "審査員を交代する",
               "Replace a reviewer", "第9条第2項",
               inputs=("leaving_reviewer_id", "incoming_reviewer_id", "replacement_reason"),
               notify=(Notify("call_review_assigned", "new_reviewers", "call_review"),), effect="hand_over_review"),
    Transition("refer_for_selection", ("reviewing",), "awaiting_selection", _dept,
               "選定の決裁に回す", "Refer for selection", "第9条第2項", inputs=("department_opinion",),
               conditions=("has_applications", "applications_reviewed"), effect="record_note",
               note=("department_opinion", "department_opinion")),
    Transition("select", ("awaiting_selection",), ENTRY_STATE, ("approver",), "協働の相手方を選定する",
               "Select the partner", "第9条第1項", inputs=("selected_application_id", "reasons"),
               conditions=("applications_reviewed", "application_selectable"),
               notify=_told, effect="record_decision", outcome="adopted", page="decision"),
    Transition("cancel_call", ("draft",), "call_cancelled", _dept + ("approver",), "公募を中止する",
               "Cancel the call", inputs=("reasons",), effect="record_note", note=("call_cancelled", "reasons"),
               confirm=True),
    Transition("cancel_call", BEFORE_SELECTION, "call_cancelled", ("approver",),
               "選定せずに公募を終了する", "End the call without selecting a partner", "第9条第1項",
               inputs=("reasons",), notify=(Notify("call_not_selected", "unselected_applicants"),),
               effect="record_decision", outcome="not_adopted", page="decision", confirm=True),
    *content_edits(STATES),
    # Everyone who reviews, coordinates or decides may declare a conflict of interest.
    *conflict_declarations(STATES),
    *IMPLEMENTATION_TRANSITIONS,
)

CREATION = Transition("create", (), "draft", _dept, "公募を作成する", "Create a call for partners", "第9条第1項",
                      inputs=("content", "selection_criteria", "closing_on"), effect="create_case",
                      page="editor")

CITY_CALL = Lifecycle(
    name="city_call",
    label_ja="市の発意による協働事業の公募（第9条）",
    label_en="City's call for partners (Article 9)",
    initial="draft",
    states=STATES,
    transitions=TRANSITIONS,
    deadlines=CALL_DEADLINES,
    inputs=INPUTS + CALL_INPUTS,
    conditions=CONDITIONS + CALL_CONDITIONS,
    roles=tuple(ROLES),
    creation=CREATION,
)
