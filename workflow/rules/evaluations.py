"""The mutual evaluation of Article 15: after every fiscal year end of a multi-year project
and after the end, by the city and the partner, then published.

An evaluation is about a fiscal year when the trigger names one, else about the whole
project (the final one). An annual evaluation opened before the project ended can still
be submitted and published afterwards.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from db.models import Contract, Evaluation, EvaluationPeriod
from workflow.calendar.clock import japan_today
from workflow.calendar.japan import fiscal_year, fiscal_year_end
from workflow.rules import notes

if TYPE_CHECKING:
    from workflow.engine.context import Case

_PERIOD = EvaluationPeriod.__table__
_EVALUATION = Evaluation.__table__
_CONTRACT = Contract.__table__
# Built once.
_OPEN_PERIOD = select(_PERIOD.c.id, _PERIOD.c.published_at).where(_PERIOD.c.proposal_id == bindparam("pid"),
                                                                 _PERIOD.c.period == bindparam("period"))
_START_PERIOD = insert(_PERIOD)
_EVALUATION_FIELDS = ("results", "role_sharing_assessment", "comments", "effect", "submitted_by", "submitted_at")


def _upsert(dialect):
    """A side's evaluation, written or corrected in one statement (one row per period and side)."""
    stmt = dialect.insert(_EVALUATION)
    return stmt.on_conflict_do_update(index_elements=[_EVALUATION.c.period_id, _EVALUATION.c.side],
                                      set_={k: stmt.excluded[k] for k in _EVALUATION_FIELDS})


_RECORD_EVALUATION = {"postgresql": _upsert(postgresql), "sqlite": _upsert(sqlite)}
_PUBLISH = update(_PERIOD).where(_PERIOD.c.id == bindparam("period_id"))
_CONTRACT_PERIOD = select(_CONTRACT.c.period_start, _CONTRACT.c.period_end).where(
    _CONTRACT.c.proposal_id == bindparam("pid"))
_SIDES = select(_EVALUATION.c.side).where(_EVALUATION.c.period_id == bindparam("period_id"))
_ANNUAL_UNPUBLISHED = select(_PERIOD.c.id).where(
    _PERIOD.c.proposal_id == bindparam("pid"), _PERIOD.c.period.like("FY%"), _PERIOD.c.published_at.is_(None))


def period_key(case: Case) -> str:
    fy = case.values.get("fiscal_year")
    return f"FY{fy}" if fy is not None else "final"


def open_period(case: Case):
    """The evaluation period a trigger is about, read once per trigger (conditions and effects share it)."""
    if "evaluation_period" not in case.memo:
        case.memo["evaluation_period"] = case.db.execute(
            _OPEN_PERIOD, {"pid": case.proposal_id, "period": period_key(case)}).first()
    return case.memo["evaluation_period"]


def _start_period(case: Case, key: str, fy: int) -> None:
    case.db.execute(_START_PERIOD, dict(proposal_id=case.proposal_id, period=key, fiscal_year=fy,
                                             opened_at=case.now))


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
    case.db.execute(_RECORD_EVALUATION[case.db.dialect.name], dict(period_id=period_id, side=side, **fields))


def record_publication(case: Case):
    case.db.execute(_PUBLISH, {"period_id": open_period(case).id, "published_at": case.now})


def fiscal_year_completed(case: Case) -> bool:
    fy = case.values["fiscal_year"]
    if fiscal_year_end(fy) >= japan_today(case.clock):
        return False
    period = case.db.execute(_CONTRACT_PERIOD, {"pid": case.proposal_id}).first()
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
    sides = set(case.db.execute(_SIDES, {"period_id": row.id}).scalars())
    return sides == {"city", "partner"}


EFFECTS = {"open_evaluation": open_evaluation, "finish_project": finish_project,
           "record_evaluation": record_evaluation, "record_publication": record_publication}
def annual_evaluations_published(case: Case) -> bool:
    """No fiscal year's evaluation of the case is left unpublished (Art. 15(2))."""
    return case.db.execute(_ANNUAL_UNPUBLISHED, {"pid": case.proposal_id}).first() is None


CONDITIONS = {f.__name__: f for f in (fiscal_year_completed, evaluation_open, both_sides_evaluated,
                                      annual_evaluations_published)}
