"""Inputs, conditions and deadline presets shared by every lifecycle.

The citizen proposal (Article 10) and the city's call for partners (Article 9) share the
contract, implementation and evaluation stages, so their vocabulary is declared once here.
"""

from __future__ import annotations

from states.model import Condition, DeadlinePolicy, InputSpec, State, Transition

CONTRACT_FORMS = ("entrustment", "subsidy", "contribution")
CONTRACT_FORM_LABELS = {
    "entrustment": ("委託", "Entrustment (委託)"),
    "subsidy": ("補助", "Subsidy (補助)"),
    "contribution": ("負担金", "Shared-cost contribution (負担金)"),
}

# Article 12(2): what a collaboration contract must fix before it can be concluded.
CONTRACT_TERMS = (
    "contract_form",
    "partner_ids",
    "purpose",
    "process",
    "role_sharing",
    "cost_sharing",
    "responsibility_sharing",
    "period_start",
    "period_end",
    "amount_yen",
)

REVIEW_CRITERIA = ("score_technique", "score_expertise", "score_quality", "score_capability")

EVALUATION_FIELDS = ("evaluation_results", "role_sharing_assessment", "evaluation_comments")
# Not required by Article 15, but part 5 of the published project report.
EVALUATION_OPTIONAL = ("collaboration_effect",)

INPUTS: tuple[InputSpec, ...] = (
    InputSpec("reviewer_ids", "審査員", "Reviewers", "ids"),
    InputSpec("leaving_reviewer_id", "交代する審査員（外れる方）", "Reviewer leaving the review", "id",
              help_ja="まだ審査結果を登録していない審査員に限ります。",
              help_en="only a reviewer who has not submitted any review yet"),
    InputSpec("incoming_reviewer_id", "新しい審査員", "Incoming reviewer", "id"),
    InputSpec("replacement_reason", "交代の理由", "Reason for the change",
              help_ja="病気、利害関係など。記録に残ります。", help_en="illness, a conflict of interest …; kept on record"),
    InputSpec("conflict_reason", "利害関係の内容", "The conflict of interest",
              help_ja="申し出た後は、この案件の審査・調整・決定に加わることはできません。",
              help_en="once declared, you take no further part in reviewing, coordinating or deciding this case"),
    InputSpec("department_id", "所管課", "Department in charge", "id"),
    InputSpec("score_technique", "技術", "Technique", "score", help_ja="1〜5", help_en="1 to 5"),
    InputSpec("score_expertise", "専門性", "Expertise", "score", help_ja="1〜5", help_en="1 to 5"),
    InputSpec("score_quality", "サービスの質", "Quality of service", "score", help_ja="1〜5", help_en="1 to 5"),
    InputSpec("score_capability", "遂行能力", "Capability to deliver", "score", help_ja="1〜5", help_en="1 to 5"),
    InputSpec("review_comment", "審査コメント", "Review comment"),
    InputSpec("note", "記録内容", "Note"),
    InputSpec("revision_request", "修正を依頼する内容", "What to revise"),
    InputSpec("revision_note", "修正内容の説明", "What was revised"),
    InputSpec("budget_note", "予算の成立の記録（議決日、予算額、予算科目など）",
              "The budget as passed (date of the council's vote, amount, budget line)"),
    InputSpec("department_opinion", "所管課の意見", "Department's opinion"),
    InputSpec("reasons", "理由", "Reasons"),
    InputSpec("contract_form", "契約形態", "Contract form", "choice", choices=CONTRACT_FORMS),
    InputSpec("partner_ids", "協働契約の相手方", "Partner organisations", "ids"),
    InputSpec("purpose", "事業目的", "Purpose"),
    InputSpec("process", "事業の進め方", "How the project proceeds"),
    InputSpec("role_sharing", "役割分担", "Sharing of roles"),
    InputSpec("cost_sharing", "費用分担", "Sharing of costs"),
    InputSpec("responsibility_sharing", "責任分担", "Sharing of responsibility"),
    InputSpec("period_start", "契約期間（開始）", "Contract period (start)", "date"),
    InputSpec("period_end", "契約期間（終了）", "Contract period (end)", "date"),
    InputSpec("amount_yen", "契約金額（円）", "Amount (yen)", "int"),
    InputSpec("exemption_reason", "軽易なものとして契約を省略する理由", "Why the contract is waived as a minor case"),
    InputSpec("amendment_reason", "変更の理由", "Reason for the amendment"),
    InputSpec("new_period_end", "変更後の契約期間（終了）", "New end of the period", "date"),
    InputSpec("new_amount_yen", "変更後の契約金額（円）", "New amount (yen)", "int"),
    InputSpec("new_terms", "変更後の契約条項", "New terms"),
    InputSpec("own_project_title", "自主事業の名称", "Own project's title"),
    InputSpec("own_project_start", "自主事業の開始日", "Own project's start date", "date"),
    InputSpec("own_project_id", "自主事業", "Own project", "id"),
    InputSpec("own_project_end", "自主事業の終了日", "Own project's end date", "date"),
    InputSpec("progress_report", "進捗報告", "Progress report"),
    InputSpec("completion_report", "完了報告", "Completion report"),
    InputSpec("cancel_reason", "中止の理由", "Reason for cancellation"),
    InputSpec("withdrawal_reason", "取下げの理由", "Reason for withdrawal"),
    InputSpec("fiscal_year", "年度", "Fiscal year", "fiscal_year"),
    InputSpec("evaluation_results", "事業の成果", "Results of the project"),
    InputSpec("role_sharing_assessment", "役割分担についての評価", "Assessment of the role sharing"),
    InputSpec("evaluation_comments", "その他の評価・意見", "Other comments"),
    InputSpec("collaboration_effect", "協働で事業を行った効果", "Effect of collaborating"),
    # The case's own content (title, purpose, content …), checked as a whole by the
    # content rules; given when a case is created and with every saved revision.
    InputSpec("content", "提案書の内容", "Content of the proposal", "content"),
    InputSpec("organisation_id", "団体", "Organisation", "id"),
    InputSpec("file", "添付ファイル", "Attached file", "upload"),
    InputSpec("attachment_id", "添付ファイル", "Attachment", "id"),
)

CONDITIONS: tuple[Condition, ...] = (
    Condition("proposal_complete", "提案書の必須項目（事業名・目的・内容・分野・役割分担）がすべて記入されていること",
              "every required field of the proposal (title, purpose, content, field, proposed roles) is filled in", "第10条第1項",
              unmet_ja="提案書の必須項目（事業名・目的・内容・分野・役割分担）に未記入のものがあります。",
              unmet_en="Some required fields of the proposal (title, purpose, content, field, roles) are empty."),
    Condition("revised_since_request", "修正依頼の後に提案書が修正されていること",
              "the proposal has been revised since the revision was requested",
              unmet_ja="修正依頼の後、提案書がまだ修正されていません。",
              unmet_en="The proposal has not been revised since the revision was requested."),
    Condition("reviewer_has_not_reviewed", "この審査員がまだ審査していないこと",
              "this reviewer has not yet reviewed this proposal",
              unmet_ja="この提案の審査結果は登録済みです。", unmet_en="You have already reviewed this proposal."),
    Condition("reviews_complete", "必要な数の審査が完了していること",
              "the required number of reviews are in", "第10条第2項",
              unmet_ja="審査結果が{required_reviews}件そろっていません。",
              unmet_en="The {required_reviews} required reviews are not all in yet."),
    Condition("department_assigned", "所管課が決まっていること", "a department in charge is assigned",
              unmet_ja="所管課がまだ決まっていません。", unmet_en="No department in charge is assigned yet."),
    Condition("contract_terms_valid", "契約期間・金額・相手方が正しいこと（終了日が開始日以降、金額が0円以上、相手方が登録団体）",
              "the period, amount and partners are valid (end not before start, amount not negative, partners registered)", "第12条第2項",
              on_inputs=True),
    Condition("amendment_changes_something", "変更後の期間・金額・条項のいずれかが示されていること",
              "the amendment changes the period, the amount or the terms", on_inputs=True),
    Condition("own_project_open", "届出済みでまだ終了していない自主事業であること",
              "the own project was notified and has not ended yet", "第11条第2項", on_inputs=True),
    Condition("fiscal_year_completed", "その年度が終了しており、事業期間中の年度で、まだ評価を始めていないこと",
              "the fiscal year has ended, falls within the project, and its evaluation has not been opened yet", "第15条第1項",
              on_inputs=True),
    Condition("evaluation_open", "評価の対象年度が開始済みで、まだ公表されていないこと",
              "the evaluation for that fiscal year is open and not yet published", "第15条第1項", on_inputs=True),
    Condition("both_sides_evaluated", "市と相手方の双方の評価がそろっていること",
              "both the city and the partner have submitted their evaluation", "第15条第2項", on_inputs=True),
    # A proposal made in a round (募集) is received only inside the round's window, and,
    # where the round asks for it, after a prior consultation (事前相談) with the secretariat.
    # A proposal outside any round is received whenever it comes (Art. 10(1)).
    Condition("round_window_open", "募集に応募する提案は、募集期間内（受付開始日から受付終了日まで、日本時間）であること",
              "a proposal made in a round is submitted within the round's window (first to last day, Japan time)",
              unmet_ja="募集期間外のため提出できません。募集期間は、提案書の編集画面の「応募する募集」で確認できます。",
              unmet_en="The round is not accepting applications now; its window is shown in the proposal editor "
                       "under “Round applied to”."),
    Condition("round_consultation_held", "事前相談を求める募集では、提出の前に事前相談を済ませていること",
              "where the round requires a prior consultation, the group has had one before submitting",
              unmet_ja="この募集に応募するには、事前に市民協働推進課との事前相談が必要です。団体のページから事前相談を申し込んでください。",
              unmet_en="This round requires a prior consultation with the secretariat before you apply; "
                       "request one from your group's page."),
    # A round's public presentation is scored by its review panel (審査委員会) on the round's
    # weighted criteria; it is recorded only once every panel member without a conflict of
    # interest has scored every criterion. A proposal outside any round has no panel.
    Condition("panel_scores_complete", "募集の審査委員（利害関係のある委員を除く）全員が、すべての審査基準を採点していること",
              "every member of the round's review panel without a conflict of interest has scored every criterion",
              "第10条第2項",
              unmet_ja="審査委員の採点がそろっていません。利害関係のない委員全員が、すべての審査基準を採点してから記録してください。",
              unmet_en="The review panel's scores are not all in: every member without a conflict of interest must "
                       "score every criterion first."),
    # A round's adopted project runs in the fiscal year its theme says, usually the next one
    # (翌年度事業化): it is adopted, then waits for that year's budget (予算化) before its
    # contract. Which of the two adoptions a case has is decided by that year, so each rule
    # hides the other adoption rather than showing it as not yet possible.
    Condition("budget_in_hand", "事業を実施する年度が始まっていること（募集外の提案、または今年度に実施する事業）",
              "the project's fiscal year has begun (a proposal outside a round, or a project run this year)",
              "第10条第2項", hides=True),
    Condition("budget_awaited", "募集の事業を実施する年度がまだ始まっていないこと（予算化を待って契約する）",
              "the round project's fiscal year has not begun yet (the contract waits for its budget)",
              "第10条第2項", hides=True),
    Condition("contract_in_project_year", "募集の事業は、テーマの事業年度に開始し、テーマの予算上限を超えない契約であること",
              "a round project's contract starts in the theme's fiscal year and stays within the theme's budget ceiling",
              "第12条第2項", on_inputs=True),
    Condition("annual_evaluations_published", "開始した年度評価がすべて公表されていること",
              "every annual evaluation that was opened has been published", "第15条第2項",
              unmet_ja="公表されていない年度評価があります。年度評価を公表してから終了してください。",
              unmet_en="An annual evaluation is not published yet; publish it before closing the case."),
)

DEADLINES: tuple[DeadlinePolicy, ...] = (
    # Article 11(2): the end of an own project must be notified; we expect it by the
    # contract's end at the latest.
    DeadlinePolicy("own_project_end_notice", "自主事業終了の届出", "Own project end notice",
                   waits_on="proposer", rule="date_input", date_field="period_end",
                   escalate_to=("department",), article="第11条第2項",
                   scope_by="own_project_id"),
    # Article 15(1): a multi-year project is evaluated after every fiscal year end; three
    # months leaves the books of the year closed (出納整理期間 ends 31 May) plus a month.
    DeadlinePolicy("annual_evaluation", "年度評価の実施・公表", "Annual evaluation and publication",
                   waits_on="department", rule="after_fiscal_year_end", days=91,
                   remind_before=(10, 3), escalate_to=("secretariat",), article="第15条",
                   scope_by="fiscal_year"),
)

# --- The city's call for partners (Article 9): what its triggers ask and check.

CALL_INPUTS: tuple[InputSpec, ...] = (
    InputSpec("closing_on", "応募締切日", "Closing date for applications", "date",
              help_ja="この日まで応募を受け付けます", help_en="applications are accepted up to and including this day"),
    InputSpec("selection_criteria", "選定基準", "Selection criteria",
              help_ja="第9条第2項の基準（技術・専門性・サービスの質・遂行能力）に加えて重視する点",
              help_en="what the call weighs besides the Article 9(2) criteria"),
    InputSpec("application_summary", "応募内容（提案の概要）", "Application (summary of the proposal)"),
    InputSpec("proposed_amount_yen", "提案金額（円）", "Proposed amount (yen)", "int"),
    InputSpec("application_id", "応募", "Application", "id"),
    InputSpec("selected_application_id", "選定する応募", "Application selected", "id"),
)

CALL_CONDITIONS: tuple[Condition, ...] = (
    Condition("call_ready", "公募の必須項目（事業名・目的・内容・分野・選定基準）がそろい、応募締切日が今日より後であること",
              "the call states its title, purpose, content, field and selection criteria, and closes after today",
              "第9条第1項", on_inputs=True),
    Condition("call_accepting", "応募締切日を過ぎていないこと", "the closing date has not passed", "第9条第1項",
              unmet_ja="応募締切日を過ぎたため、応募を受け付けていません。",
              unmet_en="The closing date has passed; applications are no longer accepted."),
    Condition("organisation_has_not_applied", "この団体がまだこの公募に応募していないこと",
              "this organisation has not applied to this call yet", on_inputs=True),
    Condition("closing_date_passed", "応募締切日を過ぎていること", "the closing date has passed", "第9条第1項",
              unmet_ja="応募締切日を過ぎるまで、応募を締め切ることはできません。",
              unmet_en="Applications can be closed only after the closing date."),
    Condition("has_applications", "取り下げられていない応募が1件以上あること",
              "at least one application that has not been withdrawn",
              unmet_ja="取り下げられていない応募がありません。", unmet_en="There is no application that was not withdrawn."),
    Condition("application_active", "この公募への応募で、取り下げられていないこと",
              "the application belongs to this call and has not been withdrawn", on_inputs=True),
    Condition("application_reviewable", "取り下げられていない応募で、この審査員がまだ審査していないこと",
              "the application is active and this reviewer has not reviewed it yet", "第9条第2項", on_inputs=True),
    Condition("applications_reviewed", "取り下げられていないすべての応募について、必要な数の審査がそろっていること",
              "every application not withdrawn has the required number of reviews", "第9条第2項",
              unmet_ja="審査結果が{required_reviews}件そろっていない応募があります。",
              unmet_en="Some applications do not have their {required_reviews} reviews yet."),
    Condition("application_selectable", "選定する応募がこの公募への応募で、取り下げられていないこと",
              "the selected application belongs to this call and has not been withdrawn", "第9条第1項",
              on_inputs=True),
)


# Who may declare a conflict of interest on a case: everyone who reviews, coordinates or
# decides it. Once declared, the engine keeps them out of it (``in_reach``).
CONFLICT_ROLES = ("reviewer", "department", "approver", "secretariat")


def conflict_declarations(states: tuple[State, ...]) -> tuple[Transition, ...]:
    """Declaring a conflict of interest (利害関係の申出): a loop in each of ``states`` not final.

    Declared per state from the states themselves, so a state added to a lifecycle offers it too.
    """
    return tuple(
        Transition("declare_conflict", (st.name,), st.name, CONFLICT_ROLES, "利害関係を申し出る",
                   "Declare a conflict of interest", inputs=("conflict_reason",), effect="record_conflict",
                   confirm=True, then="queue")
        for st in states if not st.final
    )


# The triggers of the edits every editable state offers: named once here, because the
# editor and the attachments section are pages of their own, not generated forms.
SAVE_REVISION = "save_revision"
ADD_ATTACHMENT = "add_attachment"
REMOVE_ATTACHMENT = "remove_attachment"


def content_edits(states: tuple[State, ...]) -> tuple[Transition, ...]:
    """Saving a revision and adding or removing attachments, in every state someone may edit.

    Declared per state (a loop each) from ``State.editable_by``, so the states a group may
    still change are written once, on the states themselves.
    """
    out: list[Transition] = []
    for st in states:
        if not st.editable_by:
            continue
        out += [
            Transition(SAVE_REVISION, (st.name,), st.name, st.editable_by, "提案書を修正する", "Save a revision",
                       inputs=("content",), optional_inputs=("revision_note",), effect="record_revision",
                       page="editor"),
            Transition(ADD_ATTACHMENT, (st.name,), st.name, st.editable_by, "ファイルを添付する",
                       "Attach a file", inputs=("file",), effect="record_attachment", page="attachments"),
            Transition(REMOVE_ATTACHMENT, (st.name,), st.name, st.editable_by, "添付ファイルを削除する",
                       "Remove an attachment", inputs=("attachment_id",), effect="mark_attachment_removed",
                       page="attachments", confirm=True),
        ]
    return tuple(out)
