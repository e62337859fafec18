"""What the notices of a city's call for partners (Article 9) say, gathered at the change.

``call_review_assigned`` asks the reviewers to score every application;
``call_selected`` tells the selected applicant (and the department) the selection with
its reasons; ``call_not_selected`` tells every other applicant the result, addressed to
its own organisation and with its own scores and rank, so each group can see that the
method was fair. Reasons are copied verbatim at the moment of the decision.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from db.models import Department, Membership, Organisation, User
from workflow.call_records import MAX_REVIEW_TOTAL, call_terms, score_table, unselected_applicants
from workflow.clock import japan_today
from workflow.context import Case
from workflow.notices import _due, enqueue
from workflow.recipients import Recipient

ARTICLE = "第9条第1項"


def _decision_context(case: Case) -> dict[str, Any]:
    s, p = case.session, case.proposal
    dept = s.get(Department, p.department_id) if p.department_id else None
    return {
        "document_number": case.facts["document_number"],
        "decided_on": japan_today(case.clock),
        "reasons": case.values["reasons"],
        "article": ARTICLE,
        "mayor_title": case.settings.mayor_title,
        "contact": {
            "section": dept.name_ja if dept else case.settings.sender_section,
            "email": case.settings.contact_email,
            "phone": case.settings.contact_phone,
        },
    }


def kind_context(case: Case, kind: str, role: str) -> dict[str, Any]:
    s, p = case.session, case.proposal
    if kind == "call_review_assigned":
        table = score_table(s, p.id)
        return {
            "due_on": _due(s, p.id, "call_review"),
            "criteria": call_terms(s, p.id).criteria,
            "applications": [{"id": a.application_id, "organisation": a.organisation_name}
                             for a in table if not a.withdrawn],
        }
    if kind == "call_selected":
        return _decision_context(case)
    if kind == "call_not_selected":
        selected = None
        if case.transition.trigger == "select":
            app_id = case.facts["selected_application_id"]
            selected = next(a.organisation_name for a in score_table(s, p.id) if a.application_id == app_id)
        return {**_decision_context(case), "partner_selected": selected is not None,
                "selected_organisation": {"name": selected} if selected else None}
    raise KeyError(f"no context for notice kind {kind!r}")


def _own_result(table, organisation_id: int) -> dict[str, Any] | None:
    mine = next((a for a in table if a.organisation_id == organisation_id), None)
    if mine is None or not mine.reviews:
        return None
    return {
        "application_id": mine.application_id,
        "average_total": mine.average_total,
        "max_total": MAX_REVIEW_TOTAL,
        "rank": mine.rank,
        "ranked": sum(1 for a in table if a.rank is not None),
        "reviews": len(mine.reviews),
    }


def enqueue_per_applicant(case: Case, proposal, kind: str, context: dict[str, Any]) -> None:
    """One notice per unselected applicant, addressed to that organisation, to its contacts."""
    s = case.session
    table = score_table(s, proposal.id)
    orgs = s.execute(
        select(Organisation).where(Organisation.id.in_(unselected_applicants(proposal.id))).order_by(Organisation.id)
    ).scalars().all()
    for org in orgs:
        contacts = s.execute(
            select(User.id, User.name, User.email, User.language)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.organisation_id == org.id, Membership.is_contact.is_(True), User.active.is_(True))
            .order_by(User.id)
        ).all()
        own = {
            "organisation": {"name": org.name, "representative_title": org.representative_title,
                             "representative_name": org.representative_name},
            "own_result": _own_result(table, org.id),
        }
        enqueue(s, kind=kind, recipients=[Recipient(*c) for c in contacts], context={**context, **own},
                proposal_id=proposal.id, now=case.now,
                dedupe=f"t:{proposal.id}:{proposal.version}:{kind}:o{org.id}")
