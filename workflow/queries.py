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
from states import Lifecycle, Transition, get_lifecycle
from workflow.actors import Actor
from workflow.authorization import in_reach


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


def list_proposals(session: Session, *, state: str | None = None, limit: int = 200) -> list[ProposalLine]:
    next_due = (
        select(Deadline.proposal_id, func.min(Deadline.due_on).label("due"))
        .where(Deadline.closed_at.is_(None))
        .group_by(Deadline.proposal_id)
        .subquery()
    )
    q = (
        select(Proposal.id, Proposal.title, Organisation.name, Proposal.state, Department.name_ja,
               next_due.c.due, Proposal.version, Proposal.lifecycle)
        .outerjoin(Organisation, Organisation.id == Proposal.organisation_id)
        .outerjoin(Department, Department.id == Proposal.department_id)
        .outerjoin(next_due, next_due.c.proposal_id == Proposal.id)
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


def possible_triggers(session: Session, lc: Lifecycle, proposal, actor: Actor | None = None) -> list[Transition]:
    """The triggers open from the case's state; for an actor, only those they may fire."""
    out = []
    for t in lc.available_from(proposal.state):
        if actor is None or any(r in actor.roles and in_reach(session, actor, r, proposal) for r in t.roles):
            out.append(t)
    return out


def lifecycle_of(proposal) -> Lifecycle:
    return get_lifecycle(proposal.lifecycle)
