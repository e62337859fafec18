"""The stage every collaboration project goes through once its partner is decided.

After adoption of a citizen proposal (Art. 10(2)) or selection of a partner by a city's
call (Art. 9): the collaboration contract or a recorded minor-case exemption (Art. 12),
implementation with own-project notices (Art. 11), contract amendments and progress
reports, then the mutual evaluation after every fiscal year end and after the end, and
its publication (Art. 15). Declared once here; both lifecycles append it unchanged, so a
case reads the same from ``contracting`` on whichever way it came in.

State names are stable identifiers stored in the database: never rename one.
"""

from __future__ import annotations

from states.common import CONTRACT_TERMS, EVALUATION_FIELDS, EVALUATION_OPTIONAL
from states.model import DeadlinePolicy, Notify, State, Transition

# The state a lifecycle's decision (adopt, select) leads to.
ENTRY_STATE = "contracting"

IMPLEMENTATION_STATES = (
    State("contracting", "協働契約準備中", "Contracting",
          "採用された事業の協働契約（第12条）を準備しています。",
          "The Article 12 collaboration contract is being prepared.",
          waits_on=("department",), deadline="contracting",
          public_label_ja="採用（契約準備中）", public_label_en="Adopted (contracting)", public_view="project",
          tags=frozenset({"adopted"})),
    State("in_progress", "事業実施中", "In progress",
          "協働事業を実施しています。", "The collaboration project is running.",
          waits_on=("department", "proposer"), deadline="implementation",
          public_label_ja="実施中", public_label_en="In progress", public_view="project", tags=frozenset({"adopted"})),
    State("evaluating", "相互評価中", "Mutual evaluation",
          "市と相手方が事業を相互に評価しています（第15条）。",
          "The city and the partner evaluate each other (Article 15).",
          waits_on=("department", "proposer"), deadline="final_evaluation",
          public_label_ja="評価中", public_label_en="Being evaluated", public_view="project",
          tags=frozenset({"adopted"})),
    State("closed", "終了（評価公表済）", "Closed (evaluation published)",
          "評価を公表し、事業を終了しました。", "The evaluation is published and the case is closed.",
          final=True, public_label_ja="評価公表済", public_label_en="Evaluation published", public_view="project",
          tags=frozenset({"adopted"})),
)

IMPLEMENTATION_DEADLINES = (
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

_to_both = (Notify("evaluation_requested", "proposer", "final_evaluation"),
            Notify("evaluation_requested", "department", "final_evaluation"))

IMPLEMENTATION_TRANSITIONS = (
    Transition("conclude_contract", ("contracting",), "in_progress", _dept, "協働契約を締結する",
               "Conclude the collaboration contract", "第12条", inputs=CONTRACT_TERMS,
               conditions=("contract_terms_valid", "contract_in_project_year"), notify=(Notify("contract_concluded", "proposer"),),
               effect="record_contract", outcome="concluded", page="contract"),
    Transition("exempt_contract", ("contracting",), "in_progress", _dept,
               "軽易なものとして契約を省略する", "Waive the contract as a minor case", "第12条第1項",
               inputs=("exemption_reason", "period_start", "period_end"),
               conditions=("contract_terms_valid", "contract_in_project_year"), notify=(Notify("contract_concluded", "proposer"),),
               effect="record_contract", outcome="exempt", page="contract"),
    Transition("amend_contract", ("in_progress",), "in_progress", _dept, "契約を変更する",
               "Amend the contract", "第12条", inputs=("amendment_reason",),
               optional_inputs=("new_period_end", "new_amount_yen", "new_terms"),
               conditions=("amendment_changes_something",),
               closes=("implementation",), opens=("implementation",), effect="record_amendment", page="contract"),
    Transition("notify_own_project_start", ("in_progress",), "in_progress", _p,
               "自主事業の開始を届け出る", "Notify the start of an own project", "第11条第2項",
               inputs=("own_project_title", "own_project_start"), opens=("own_project_end_notice",),
               notify=(Notify("own_project_received", "proposer"), Notify("own_project_received", "department")),
               effect="record_own_project_start"),
    *(
        Transition("notify_own_project_end", (state,), state, _p,
                   "自主事業の終了を届け出る", "Notify the end of an own project", "第11条第2項",
                   inputs=("own_project_id", "own_project_end"), conditions=("own_project_open",),
                   closes=("own_project_end_notice",),
                   notify=(Notify("own_project_received", "proposer"), Notify("own_project_received", "department")),
                   effect="record_own_project_end")
        for state in ("in_progress", "evaluating")
    ),
    Transition("report_progress", ("in_progress",), "in_progress", _p + _dept, "進捗を報告する",
               "Report progress", inputs=("progress_report",), effect="record_note",
               note=("progress", "progress_report")),
    Transition("open_annual_evaluation", ("in_progress",), "in_progress", ("secretariat",) + _dept,
               "年度評価を開始する", "Open the evaluation of a completed fiscal year", "第15条第1項",
               inputs=("fiscal_year",), conditions=("fiscal_year_completed",), opens=("annual_evaluation",),
               notify=(Notify("evaluation_requested", "proposer", "annual_evaluation"),
                       Notify("evaluation_requested", "department", "annual_evaluation")),
               effect="open_evaluation"),
    *(
        Transition("submit_evaluation", (state,), state, _p + _dept, "年度評価を提出する",
                   "Submit the annual evaluation", "第15条第1項", inputs=("fiscal_year",) + EVALUATION_FIELDS,
                   optional_inputs=EVALUATION_OPTIONAL, conditions=("evaluation_open",),
                   effect="record_evaluation")
        for state in ("in_progress", "evaluating")
    ),
    *(
        Transition("publish_evaluation", (state,), state, ("secretariat",),
                   "年度評価を公表する", "Publish the annual evaluation", "第15条第2項", inputs=("fiscal_year",),
                   conditions=("evaluation_open", "both_sides_evaluated"), closes=("annual_evaluation",),
                   notify=(Notify("evaluation_published", "proposer"), Notify("evaluation_published", "department")),
                   effect="record_publication")
        for state in ("in_progress", "evaluating")
    ),
    Transition("complete", ("in_progress",), "evaluating", _dept, "事業の完了を確認する",
               "Confirm the project is completed", "第15条第1項", inputs=("completion_report",),
               notify=_to_both, effect="finish_project", note=("completion", "completion_report")),
    Transition("cancel", ("in_progress",), "evaluating", _dept + ("approver",),
               "事業を中止する", "Cancel the project", "第15条第1項", inputs=("cancel_reason",),
               notify=_to_both, effect="finish_project", note=("cancellation", "cancel_reason"),
               outcome="cancelled", confirm=True),
    Transition("submit_final_evaluation", ("evaluating",), "evaluating", _p + _dept, "相互評価を提出する",
               "Submit the evaluation", "第15条第1項", inputs=EVALUATION_FIELDS,
               optional_inputs=EVALUATION_OPTIONAL, conditions=("evaluation_open",), effect="record_evaluation"),
    # An annual evaluation opened before the project ended is published before the case
    # closes: a closed case accepts nothing, and the evaluation would stay unpublished.
    Transition("publish_final_evaluation", ("evaluating",), "closed", ("secretariat",),
               "評価を公表して終了する", "Publish the evaluation and close", "第15条第2項",
               conditions=("both_sides_evaluated", "annual_evaluations_published"),
               notify=(Notify("evaluation_published", "proposer"), Notify("evaluation_published", "department")),
               effect="record_publication"),
)
