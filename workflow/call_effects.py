"""What the triggers of a city's call for partners (Article 9) record besides the state.

Applications, reviewer assignments, the reviews on the Article 9(2) criteria, and the
selection: the selected application is marked, the case's partner is set to its
organisation, the decision is recorded with its reasons and a document number, and the
whole score sheet is kept with it as a note (the reviews themselves are never changed).
Registered on ``workflow.effects.EFFECTS`` with the ``@effect`` decorator; runs inside
the engine's transaction after the conditions passed.
"""

from __future__ import annotations

from sqlalchemy import insert, select, update

from db.models import (
    ApplicationReview,
    CallApplication,
    CaseNote,
    Decision,
    Membership,
    Organisation,
    ReviewAssignment,
    UserRole,
)
from states.common import REVIEW_CRITERIA
from workflow.call_conditions import closing_on
from workflow.call_records import note_closing_date, score_table, selection_record
from workflow.calendar import fiscal_year
from workflow.clock import japan_today
from workflow.context import Case
from workflow.effects import effect
from workflow.errors import InvalidInput, NotAllowed
from workflow.numbering import format_number, next_serial


def _note(case: Case, kind: str, text: str) -> None:
    case.session.execute(insert(CaseNote).values(
        proposal_id=case.proposal_id, kind=kind, text=text, author_id=case.actor.user_id, created_at=case.now))


def _not_member() -> NotAllowed:
    return NotAllowed("応募・取下げは、所属する団体の名前でのみできます。",
                      "you can apply or withdraw only for an organisation you belong to",
                      allowed_roles=("proposer",))


def _application(case: Case, input_name: str) -> CallApplication:
    return case.session.execute(
        select(CallApplication).where(
            CallApplication.id == case.values[input_name], CallApplication.proposal_id == case.proposal_id
        )
    ).scalar_one()


@effect("open_call")
def open_call(case: Case):
    given = case.values.get("closing_on")
    if given is not None:
        note_closing_date(case.session, case.proposal_id, given, case.actor.user_id, case.now)
    # The deadline "applications" is due on this date (its policy reads the fact).
    case.facts["closing_on"] = closing_on(case)


@effect("submit_application")
def record_application(case: Case):
    v = case.values
    if v["organisation_id"] not in case.actor.organisation_ids:
        raise _not_member()
    if case.session.get(Organisation, v["organisation_id"]) is None:
        raise InvalidInput("organisation_id", f"団体 {v['organisation_id']} は登録されていません。",
                           f"no organisation {v['organisation_id']}")
    case.facts["application_id"] = case.session.execute(
        insert(CallApplication).values(
            proposal_id=case.proposal_id, organisation_id=v["organisation_id"], summary=v["application_summary"],
            proposed_amount_yen=v.get("proposed_amount_yen"), submitted_by=case.actor.user_id,
            submitted_at=case.now,
        ).returning(CallApplication.id)
    ).scalar_one()


@effect("withdraw_application")
def withdraw_application(case: Case):
    app = _application(case, "application_id")
    if app.organisation_id not in case.actor.organisation_ids:
        raise _not_member()
    case.session.execute(update(CallApplication).where(CallApplication.id == app.id).values(withdrawn=True))
    reason = case.values.get("withdrawal_reason", "")
    _note(case, "application_withdrawn", f"応募{app.id}の取下げ" + (f"：{reason}" if reason else ""))


@effect("close_applications")
def assign_call_reviewers(case: Case):
    session, ids = case.session, case.values["reviewer_ids"]
    reviewers = set(session.execute(
        select(UserRole.user_id).where(UserRole.user_id.in_(ids), UserRole.role == "reviewer")
    ).scalars())
    not_reviewers = sorted(set(ids) - reviewers)
    if not_reviewers:
        raise InvalidInput("reviewer_ids", f"審査員として登録されていない利用者です：{not_reviewers}",
                           f"not reviewers: {not_reviewers}")
    # Every reviewer scores every application: a member of any applicant would be judging
    # their own group against its competitors.
    applicants = select(CallApplication.organisation_id).where(
        CallApplication.proposal_id == case.proposal_id, CallApplication.withdrawn.is_(False))
    conflicted = sorted(set(session.execute(
        select(Membership.user_id).where(Membership.user_id.in_(ids), Membership.organisation_id.in_(applicants))
    ).scalars()))
    if conflicted:
        raise InvalidInput("reviewer_ids", f"応募団体の構成員は審査員になれません：{conflicted}",
                           f"members of an applying organisation cannot review the call: {conflicted}")
    session.execute(
        insert(ReviewAssignment),
        [dict(proposal_id=case.proposal_id, reviewer_id=r, assigned_at=case.now) for r in ids],
    )


@effect("review_application")
def record_application_review(case: Case):
    app = _application(case, "application_id")
    member = case.session.execute(
        select(Membership.id).where(Membership.user_id == case.actor.user_id,
                                    Membership.organisation_id == app.organisation_id)
    ).first()
    if member is not None:
        raise NotAllowed("自分が所属する団体の応募は審査できません。", "nobody reviews their own group's application",
                         allowed_roles=("reviewer",))
    case.session.execute(insert(ApplicationReview).values(
        application_id=app.id, reviewer_id=case.actor.user_id, comment=case.values["review_comment"],
        submitted_at=case.now, **{c: case.values[c] for c in REVIEW_CRITERIA},
    ))


@effect("refer_for_selection")
def record_department_opinion(case: Case):
    _note(case, "department_opinion", case.values["department_opinion"])


def _decide(case: Case, outcome: str) -> str:
    fy = fiscal_year(japan_today(case.clock))
    prefix = case.settings.document_prefix
    serial = next_serial(case.session, prefix, fy)
    number = format_number(prefix, serial)
    case.session.execute(insert(Decision).values(
        proposal_id=case.proposal_id, outcome=outcome, reasons=case.values["reasons"],
        decided_by=case.actor.user_id, document_prefix=prefix, fiscal_year=fy, serial=serial,
        document_number=number, decided_at=case.now,
    ))
    case.facts["document_number"] = number
    return number


@effect("select")
def record_selection(case: Case):
    app = _application(case, "selected_application_id")
    case.session.execute(update(CallApplication).where(CallApplication.id == app.id).values(selected=True))
    # The selection is the case's decision: "adopted" with this partner, like an adopted
    # proposal, so every reader of decisions sees it the same way.
    _decide(case, "adopted")
    _note(case, "selection_record", selection_record(score_table(case.session, case.proposal_id)))
    case.facts["selected_application_id"] = app.id
    return {"organisation_id": app.organisation_id, "decided_at": case.now}


@effect("cancel_call")
def record_cancellation(case: Case):
    updates = {"closed_at": case.now}
    if case.proposal.state == "draft":
        _note(case, "call_cancelled", case.values["reasons"])
        return updates
    _decide(case, "not_adopted")
    _note(case, "selection_record", selection_record(score_table(case.session, case.proposal_id)))
    return {**updates, "decided_at": case.now}
