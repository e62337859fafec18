"""Questions people ask of the cases: what is there, what happened, what can I do now."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlmodel import Session

from db.models import (
    AuditEvent,
    Contract,
    ContractAmendment,
    Deadline,
    Decision,
    Department,
    Organisation,
    Proposal,
    User,
)
from config import Settings, get_settings
from states import Lifecycle, Transition, lifecycle_of  # noqa: F401  (lifecycle_of: for the case pages)
from workflow.actors import Actor
from workflow.calendar.clock import Clock, SystemClock
from workflow.engine.authorization import in_reach
from workflow.engine.context import Case
from workflow.rules.catalogue import rules_for


@dataclass(frozen=True)
class ProposalLine:
    id: int
    title: str
    organisation: str
    state: str
    department: str | None
    next_due: object | None
    version: int
    lifecycle: str
    lifecycle_version: int


def next_due():
    """Each case's nearest open deadline (a subquery with ``proposal_id`` and ``due``)."""
    return (select(Deadline.proposal_id, func.min(Deadline.due_on).label("due"))
            .where(Deadline.closed_at.is_(None)).group_by(Deadline.proposal_id).subquery())


def nearest_due(case_id):
    """The case's nearest open deadline, as a scalar subquery correlated to ``case_id``.

    For a page of cases: it is asked once per row shown, through the open deadlines'
    index on ``proposal_id``, where ``next_due`` groups every open deadline of the city
    before the page can be cut (300 ms at 100,000 cases).
    """
    return (select(func.min(Deadline.due_on)).where(Deadline.proposal_id == case_id, Deadline.closed_at.is_(None))
            .correlate_except(Deadline).scalar_subquery())


def list_proposals(session: Session, *, state: str | None = None, limit: int = 200) -> list[ProposalLine]:
    q = (
        select(Proposal.id, Proposal.title, Organisation.name, Proposal.state, Department.name_ja,
               nearest_due(Proposal.id), Proposal.version, Proposal.lifecycle, Proposal.lifecycle_version)
        .outerjoin(Organisation, Organisation.id == Proposal.organisation_id)
        .outerjoin(Department, Department.id == Proposal.department_id)
        .order_by(Proposal.id)
        .limit(limit)
    )
    if state:
        q = q.where(Proposal.state == state)
    return [ProposalLine(*row) for row in session.execute(q)]


def history(session: Session, proposal_id: int) -> list:
    return list(
        session.execute(
            select(AuditEvent, User.name)
            .join(User, User.id == AuditEvent.actor_id)
            .where(AuditEvent.proposal_id == proposal_id)
            .order_by(AuditEvent.seq)
        )
    )


def deadlines(session: Session, proposal_id: int) -> list[Deadline]:
    return list(
        session.execute(
            select(Deadline).where(Deadline.proposal_id == proposal_id).order_by(Deadline.opened_at, Deadline.id)
        ).scalars()
    )


def decision(session: Session, proposal_id: int) -> Decision | None:
    return session.execute(select(Decision).where(Decision.proposal_id == proposal_id)).scalar()


def contract(session: Session, proposal_id: int) -> tuple[Contract | None, list[ContractAmendment]]:
    c = session.execute(select(Contract).where(Contract.proposal_id == proposal_id)).scalar()
    if c is None:
        return None, []
    amendments = session.execute(
        select(ContractAmendment).where(ContractAmendment.contract_id == c.id).order_by(ContractAmendment.seq)
    ).scalars()
    return c, list(amendments)


@dataclass(frozen=True)
class Offer:
    """A transition the actor may be offered now, in the role they would act in.

    ``unmet`` lists the conditions that can be answered before a form is sent (those that
    do not read the person's inputs) and do not hold now, with what a page says of each;
    an offer with unmet conditions is shown as not yet possible, never as a form.
    """

    transition: Transition
    role: str
    unmet: tuple[tuple[str, str, str], ...] = ()

    @property
    def ready(self) -> bool:
        return not self.unmet


def _unmet(lc: Lifecycle, t: Transition, case) -> tuple[tuple[str, str, str], ...]:
    predicates = rules_for(lc.name).conditions
    out = []
    for name in t.conditions:
        c = lc.condition(name)
        if c.on_inputs or c.hides or predicates[name](case):
            continue
        said = case.memo.get(("unmet", name))  # what a rule could say with the case's own facts (a date)
        if said:
            out.append((name, *said))
            continue
        fill = {"required_reviews": case.settings.required_reviews}
        ja = (c.unmet_ja or f"条件を満たしていません：{c.label_ja}").format(**fill)
        en = (c.unmet_en or f"Not yet possible: {c.label_en}").format(**fill)
        out.append((name, ja, en))
    return tuple(out)


def offers(session: Session, lc: Lifecycle, proposal, actor: Actor, *, clock: Clock | None = None,
           settings: Settings | None = None) -> list[Offer]:
    """What the actor may do on the case now: role, state and reach allow it; unmet conditions said."""
    clock = clock or SystemClock()
    settings = settings or get_settings()
    out = []
    reach: dict[str, bool] = {}  # per role, asked once per case: a conflict check is a query

    def reached(role: str) -> bool:
        if role not in reach:
            reach[role] = in_reach(session, actor, role, proposal)
        return reach[role]

    for t in lc.available_from(proposal.state):
        role = next((r for r in t.roles if r in actor.roles and reached(r)), None)
        if role is None:
            continue
        case = Case(session, lc, t, proposal, actor, role, {}, clock, settings, clock.now())
        if not applies(lc, t, case):
            continue
        out.append(Offer(t, role, _unmet(lc, t, case)))
    return out


def applicable(session: Session, lc: Lifecycle, proposal, transitions, *, clock: Clock | None = None,
               settings: Settings | None = None) -> list[Transition]:
    """Those of ``transitions`` that are for this case at all (see ``applies``), whoever acts."""
    clock = clock or SystemClock()
    settings = settings or get_settings()
    now = clock.now()
    return [t for t in transitions
            if applies(lc, t, Case(session, lc, t, proposal, None, "", {}, clock, settings, now))]


def applies(lc: Lifecycle, t: Transition, case) -> bool:
    """False when a condition that hides its transition (``Condition.hides``) does not hold for the case."""
    predicates = rules_for(lc.name).conditions
    return all(predicates[name](case) for name in t.conditions if lc.condition(name).hides)


def possible_triggers(session: Session, lc: Lifecycle, proposal, actor: Actor | None = None) -> list[Transition]:
    """The triggers open from the case's state; for an actor, only those they may fire now."""
    if actor is None:
        return list(lc.available_from(proposal.state))
    return [o.transition for o in offers(session, lc, proposal, actor) if o.ready]


