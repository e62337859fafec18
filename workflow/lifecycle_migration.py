"""Running a migration plan: every running case checked, then moved one by one through the engine.

``dry_run`` lists every case on the plan's old version with where it would go, why, and
how its open deadlines would change, and the problems that refuse the plan: a case in a
state the plan does not know, a case whose open deadline the new version does not
declare (a duty it has incurred would be dropped). ``run`` refuses the plan on any such
problem, then moves each case in its own transaction (``workflow.engine.core.migrate``):
an interrupted run leaves each case either moved or not, and running it again moves the
rest. Two runs at once move each case once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from sqlalchemy import select
from sqlmodel import Session

from config import Settings, get_settings
from db.models import Notice, Proposal
from db.models.notices import PENDING, QUEUED, SENDING
from states import get_lifecycle
from states.migration_plan import MigrationPlan, problems as plan_problems
from states.plans import PLANS
from states.registry import BY_VERSION
from workflow.actors import Actor
from workflow.calendar.clock import Clock, SystemClock, japan_today
from workflow.engine import deadlines
from workflow.engine.core import migrate
from workflow.errors import Conflict, InvalidInput, KyodoError


class PlanRefused(KyodoError):
    code = "plan_refused"


@dataclass(frozen=True)
class PlannedMove:
    proposal_id: int
    title: str
    from_state: str
    to_state: str | None  # None: stays on the old version
    reason_ja: str
    reason_en: str
    deadlines: tuple[deadlines.Recomputed, ...] = ()
    notices_owed: int = 0  # notices not yet delivered: they stay in the outbox and are delivered
    problems: tuple[str, ...] = ()


@dataclass
class RunReport:
    plan: MigrationPlan
    moved: list[int] = field(default_factory=list)
    stayed: list[int] = field(default_factory=list)
    already: list[int] = field(default_factory=list)


def plan_named(name: str) -> MigrationPlan:
    plan = PLANS.get(name)
    if plan is None:
        known = ", ".join(PLANS) or "なし / none"
        raise InvalidInput("plan", f"移行計画「{name}」はありません。既知の計画：{known}",
                           f"no migration plan {name!r}; known: {known}")
    return plan


def dry_run(session: Session, plan: MigrationPlan, clock: Clock, settings: Settings) -> list[PlannedMove]:
    found = plan_problems(plan, BY_VERSION)
    if found:
        raise PlanRefused("移行計画に誤りがあります：" + "／".join(found), "; ".join(found))
    old = get_lifecycle(plan.lifecycle, plan.from_version)
    new = get_lifecycle(plan.lifecycle, plan.to_version)
    today = japan_today(clock)
    rows = session.execute(select(Proposal.id, Proposal.title, Proposal.state)
                           .where(Proposal.lifecycle == plan.lifecycle,
                                  Proposal.lifecycle_version == plan.from_version)
                           .order_by(Proposal.id)).all()
    out = []
    for pid, title, state in rows:
        move = plan.moves.get(state)
        if move is None:
            out.append(PlannedMove(pid, title, state, None, "", "", problems=(
                f"state {state!r} is not one of version {old.version}'s",)))
            continue
        owed = session.execute(select(Notice.id).where(Notice.proposal_id == pid,
                                                   Notice.status.in_((PENDING, QUEUED, SENDING)))).all()
        if move.stays:
            out.append(PlannedMove(pid, title, state, None, move.reason_ja, move.reason_en, notices_owed=len(owed)))
            continue
        changes, missing = deadlines.recompute(deadlines.open_duties(session, pid), new, today, settings)
        problems = tuple(f"open deadline {key!r} has no policy in version {new.version}" for key in missing)
        out.append(PlannedMove(pid, title, state, move.to, move.reason_ja, move.reason_en, tuple(changes),
                               len(owed), problems))
    session.rollback()
    return out


def run(session: Session, plan: MigrationPlan, actor: Actor, *, clock: Clock | None = None,
        settings: Settings | None = None, progress: Callable[[PlannedMove], None] | None = None) -> RunReport:
    """Check every case, then move those the plan moves; refuses the whole plan on any problem."""
    clock = clock or SystemClock()
    settings = settings or get_settings()
    planned = dry_run(session, plan, clock, settings)
    refused = [p for p in planned if p.problems]
    if refused:
        lines = [f"#{p.proposal_id}: {'; '.join(p.problems)}" for p in refused]
        raise PlanRefused(f"{len(refused)}件の案件が移行できないため、計画を実行しません：" + "／".join(lines),
                          f"{len(refused)} case(s) cannot move, so nothing is moved: " + "; ".join(lines))
    report = RunReport(plan)
    for p in planned:
        if p.to_state is None:
            report.stayed.append(p.proposal_id)
            continue
        try:
            done = migrate(session, p.proposal_id, plan, actor, clock=clock, settings=settings)
        except Conflict:
            # Someone changed the case (or another run moved it) since the check: look again.
            done = migrate(session, p.proposal_id, plan, actor, clock=clock, settings=settings)
        (report.moved if done else report.already).append(p.proposal_id)
        if progress:
            progress(p)
    return report
