"""Opening the evaluation of every completed fiscal year of a running project (Art. 15(1)).

A multi-year project is evaluated after each fiscal year end while it continues. The beat
runs this daily: for each case still in progress whose contract runs past a fiscal year
that has ended, and whose evaluation for that year was never opened, it fires the
transition that opens an evaluation (the one whose effect is ``open_evaluation`` in the
case's own lifecycle) through the engine as the system account — which opens the
deadline (and so its reminders) and asks both sides for their evaluation.
"""

from __future__ import annotations

from sqlalchemy import and_, false, or_, select
from sqlmodel import Session

from config import Settings
from states import LIFECYCLES
from db.models import Contract, EvaluationPeriod, Proposal
from workflow import engine
from workflow.calendar.japan import fiscal_year, fiscal_year_end
from workflow.calendar.clock import Clock, japan_today
from workflow.directory import system_actor
from workflow.errors import KyodoError


OPENS_EVALUATION = "open_evaluation"  # the effect that opens a fiscal year's evaluation


def _openers() -> dict[tuple[str, str], str]:
    """(lifecycle, state) → the trigger that opens a fiscal year's evaluation there."""
    return {(lc.name, src): t.trigger for lc in LIFECYCLES.values() for t in lc.transitions
            if t.effect == OPENS_EVALUATION for src in t.sources}


def open_due(session: Session, clock: Clock, settings: Settings) -> list[tuple[int, int]]:
    """Open every annual evaluation that is due; returns the (case, fiscal year) pairs opened."""
    last_ended = fiscal_year(japan_today(clock)) - 1
    openers = _openers()
    where_open = or_(*(and_(Proposal.lifecycle == lc, Proposal.state == st) for lc, st in openers)) \
        if openers else false()
    running = session.execute(
        select(Proposal.id, Contract.period_start, Contract.period_end, Proposal.lifecycle, Proposal.state)
        .join(Contract, Contract.proposal_id == Proposal.id)
        .where(where_open, Contract.period_start <= fiscal_year_end(last_ended))
    ).all()
    opened_before = {
        (pid, fy) for pid, fy in session.execute(
            select(EvaluationPeriod.proposal_id, EvaluationPeriod.fiscal_year)
            .where(EvaluationPeriod.proposal_id.in_([r.id for r in running] or [-1]),
                   EvaluationPeriod.period.like("FY%"))
        )
    }
    session.rollback()
    actor, opened = None, []
    for pid, start, end, lifecycle, state in running:
        for fy in range(fiscal_year(start), last_ended + 1):
            if (pid, fy) in opened_before or not fiscal_year_end(fy) < end:
                continue
            actor = actor or system_actor(session)
            try:
                engine.apply(session, pid, openers[(lifecycle, state)], actor, {"fiscal_year": fy},
                             clock=clock, settings=settings)
            except KyodoError:
                continue  # someone opened it or the case moved on meanwhile: nothing is owed
            opened.append((pid, fy))
    return opened
