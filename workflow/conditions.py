"""The yes/no rules named by ``states/`` transitions, answered from the stored case.

Each predicate takes the running ``Case``. The labels people read live with the names in
``states/common.py``; a test checks that every name declared there is answered here.
"""

from __future__ import annotations

from typing import Callable

from sqlalchemy import func, select

from db.models import (
    AuditEvent,
    Contract,
    Evaluation,
    EvaluationPeriod,
    Organisation,
    OwnProject,
    Review,
)
from workflow.calendar import fiscal_year_end
from workflow.clock import japan_today
from workflow.context import Case

REQUIRED_PROPOSAL_FIELDS = ("title", "purpose", "content", "field", "proposed_roles")


def period_key(case: Case) -> str:
    """Which evaluation a trigger is about: a fiscal year while running, else the final one."""
    if case.proposal.state == "in_progress":
        return f"FY{case.values['fiscal_year']}"
    return "final"


def open_period(case: Case):
    """The evaluation period a trigger is about, read once per trigger (conditions and effects share it)."""
    if "evaluation_period" not in case.memo:
        case.memo["evaluation_period"] = case.session.execute(
            select(EvaluationPeriod.id, EvaluationPeriod.published_at).where(
                EvaluationPeriod.proposal_id == case.proposal_id,
                EvaluationPeriod.period == period_key(case),
            )
        ).first()
    return case.memo["evaluation_period"]


def proposal_complete(case: Case) -> bool:
    p = case.proposal
    return all(getattr(p, f) not in (None, "") and str(getattr(p, f)).strip() for f in REQUIRED_PROPOSAL_FIELDS)


def revised_since_request(case: Case) -> bool:
    requested_at = case.session.execute(
        select(AuditEvent.revision)
        .where(AuditEvent.proposal_id == case.proposal_id, AuditEvent.trigger == "request_revision")
        .order_by(AuditEvent.seq.desc())
        .limit(1)
    ).scalar()
    return requested_at is None or case.proposal.revision > requested_at


def reviewer_has_not_reviewed(case: Case) -> bool:
    return case.session.execute(
        select(Review.id).where(Review.proposal_id == case.proposal_id, Review.reviewer_id == case.actor.user_id)
    ).first() is None


def reviews_complete(case: Case) -> bool:
    count = case.session.execute(
        select(func.count()).select_from(Review).where(Review.proposal_id == case.proposal_id)
    ).scalar_one()
    return count >= case.settings.required_reviews


def department_assigned(case: Case) -> bool:
    return case.proposal.department_id is not None


def contract_terms_valid(case: Case) -> bool:
    v = case.values
    if v["period_end"] < v["period_start"]:
        return False
    if v.get("amount_yen", 0) < 0:
        return False
    partners = v.get("partner_ids")
    if partners:
        found = case.session.execute(
            select(func.count()).select_from(Organisation).where(Organisation.id.in_(partners))
        ).scalar_one()
        return found == len(partners)
    return True


def amendment_changes_something(case: Case) -> bool:
    v = case.values
    if not any(k in v for k in ("new_period_end", "new_amount_yen", "new_terms")):
        return False
    if "new_period_end" in v:
        start = case.session.execute(
            select(Contract.period_start).where(Contract.proposal_id == case.proposal_id)
        ).scalar()
        return start is not None and v["new_period_end"] >= start
    return True


def own_project_open(case: Case) -> bool:
    row = case.session.execute(
        select(OwnProject.started_on, OwnProject.ended_on).where(
            OwnProject.id == case.values["own_project_id"], OwnProject.proposal_id == case.proposal_id
        )
    ).first()
    return row is not None and row.ended_on is None and case.values["own_project_end"] >= row.started_on


def fiscal_year_completed(case: Case) -> bool:
    fy = case.values["fiscal_year"]
    if fiscal_year_end(fy) >= japan_today(case.clock):
        return False
    period = case.session.execute(
        select(Contract.period_start, Contract.period_end).where(Contract.proposal_id == case.proposal_id)
    ).first()
    # Only a year the project runs past is evaluated on its own; the last one is covered
    # by the final evaluation after completion.
    if period is None or not (period.period_start <= fiscal_year_end(fy) < period.period_end):
        return False
    return open_period(case) is None


def evaluation_open(case: Case) -> bool:
    row = open_period(case)
    return row is not None and row.published_at is None


def both_sides_evaluated(case: Case) -> bool:
    row = open_period(case)
    if row is None:
        return False
    sides = set(
        case.session.execute(select(Evaluation.side).where(Evaluation.period_id == row.id)).scalars()
    )
    return sides == {"city", "partner"}


PREDICATES: dict[str, Callable[[Case], bool]] = {
    f.__name__: f
    for f in (
        proposal_complete,
        revised_since_request,
        reviewer_has_not_reviewed,
        reviews_complete,
        department_assigned,
        contract_terms_valid,
        amendment_changes_something,
        own_project_open,
        fiscal_year_completed,
        evaluation_open,
        both_sides_evaluated,
    )
}

from workflow import call_conditions  # noqa: E402,F401  (Article 9 predicates, merged into PREDICATES)
