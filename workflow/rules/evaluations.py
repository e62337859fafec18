"""The mutual evaluation of Article 15: after every fiscal year end of a multi-year project
and after the end, by the city and the partner, then published.

An evaluation is about a fiscal year when the trigger names one, else about the whole
project (the final one). An annual evaluation opened before the project ended can still
be submitted and published afterwards.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import insert, select, update

from db.models import Contract, Evaluation, EvaluationPeriod
from workflow.calendar.clock import japan_today
from workflow.calendar.japan import fiscal_year, fiscal_year_end
from workflow.rules import notes

if TYPE_CHECKING:
    from workflow.engine.context import Case


def period_key(case: Case) -> str:
    fy = case.values.get("fiscal_year")
    return f"FY{fy}" if fy is not None else "final"


def open_period(case: Case):
    """The evaluation period a trigger is about, read once per trigger (conditions and effects share it)."""
    if "evaluation_period" not in case.memo:
        case.memo["evaluation_period"] = case.session.execute(
            select(EvaluationPeriod.id, EvaluationPeriod.published_at).where(
                EvaluationPeriod.proposal_id == case.proposal_id, EvaluationPeriod.period == period_key(case))
        ).first()
    return case.memo["evaluation_period"]


def _start_period(case: Case, key: str, fy: int) -> None:
    case.session.execute(insert(EvaluationPeriod).values(
        proposal_id=case.proposal_id, period=key, fiscal_year=fy, opened_at=case.now))


def open_evaluation(case: Case):
    _start_period(case, period_key(case), case.values["fiscal_year"])


def finish_project(case: Case):
    """Completion or cancellation: its report or reasons kept, the final evaluation opened."""
    notes.keep_transition_note(case)
    _start_period(case, "final", fiscal_year(japan_today(case.clock)))
    return {"cancelled": True} if case.transition.outcome == "cancelled" else None


def record_evaluation(case: Case):
    side = "partner" if case.role == "proposer" else "city"
    period_id = open_period(case).id
    fields = dict(
        results=case.values["evaluation_results"], role_sharing_assessment=case.values["role_sharing_assessment"],
        comments=case.values["evaluation_comments"], effect=case.values.get("collaboration_effect", ""),
        submitted_by=case.actor.user_id, submitted_at=case.now,
    )
    # A side may correct its evaluation until it is published.
    done = case.session.execute(
        update(Evaluation).where(Evaluation.period_id == period_id, Evaluation.side == side).values(**fields)
    ).rowcount
    if not done:
        case.session.execute(insert(Evaluation).values(period_id=period_id, side=side, **fields))


def record_publication(case: Case):
    case.session.execute(
        update(EvaluationPeriod).where(EvaluationPeriod.id == open_period(case).id).values(published_at=case.now))


def fiscal_year_completed(case: Case) -> bool:
    fy = case.values["fiscal_year"]
    if fiscal_year_end(fy) >= japan_today(case.clock):
        return False
    period = case.session.execute(
        select(Contract.period_start, Contract.period_end).where(Contract.proposal_id == case.proposal_id)).first()
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
    sides = set(case.session.execute(select(Evaluation.side).where(Evaluation.period_id == row.id)).scalars())
    return sides == {"city", "partner"}


EFFECTS = {"open_evaluation": open_evaluation, "finish_project": finish_project,
           "record_evaluation": record_evaluation, "record_publication": record_publication}
def annual_evaluations_published(case: Case) -> bool:
    """No fiscal year's evaluation of the case is left unpublished (Art. 15(2))."""
    return case.session.execute(
        select(EvaluationPeriod.id).where(
            EvaluationPeriod.proposal_id == case.proposal_id, EvaluationPeriod.period.like("FY%"),
            EvaluationPeriod.published_at.is_(None))
    ).first() is None


CONDITIONS = {f.__name__: f for f in (fiscal_year_completed, evaluation_open, both_sides_evaluated,
                                      annual_evaluations_published)}
