"""Conflicts of interest (利害関係): who may never review, coordinate or decide a case.

Two kinds: belonging to an organisation the case is about (the proposing group, or a
group that applied to a call and has not withdrawn), and having declared a conflict on
the case. Both are answered here, for the engine's authorization (``in_reach``), for the
choice of reviewers and for who still owes a review; the declaration itself is an
effect of the definition's transition.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import exists, insert, select
from sqlalchemy.orm import aliased
from sqlmodel import Session

from db.models import CallApplication, ConflictDeclaration, Membership

if TYPE_CHECKING:
    from workflow.actors import Actor
    from workflow.engine.context import Case

MEMBER = "member"
DECLARED = "declared"


def involved_organisations(session: Session, proposal) -> set[int]:
    """The organisations whose members have an interest in the case: the proposer, every active applicant."""
    orgs = set(session.execute(
        select(CallApplication.organisation_id).where(
            CallApplication.proposal_id == proposal.id, CallApplication.withdrawn.is_(False))
    ).scalars())
    if proposal.organisation_id is not None:
        orgs.add(proposal.organisation_id)
    return orgs


def conflict_of(session: Session, actor: Actor, proposal) -> str | None:
    """Why the actor may take no part in the case (``MEMBER`` or ``DECLARED``), or None."""
    if actor.organisation_ids:
        if proposal.organisation_id in actor.organisation_ids:
            return MEMBER
        if proposal.organisation_id is None and session.execute(
            select(CallApplication.id).where(
                CallApplication.proposal_id == proposal.id, CallApplication.withdrawn.is_(False),
                CallApplication.organisation_id.in_(list(actor.organisation_ids)))
        ).first() is not None:
            return MEMBER
    if session.execute(
        select(ConflictDeclaration.id).where(ConflictDeclaration.proposal_id == proposal.id,
                                             ConflictDeclaration.user_id == actor.user_id)
    ).first() is not None:
        return DECLARED
    return None


def conflicted_people(session: Session, proposal, user_ids) -> list[int]:
    """Those of ``user_ids`` who belong to an involved organisation or declared a conflict on the case."""
    ids = list(user_ids)
    members = set(session.execute(
        select(Membership.user_id).where(
            Membership.user_id.in_(ids), Membership.organisation_id.in_(involved_organisations(session, proposal)))
    ).scalars())
    declared = set(session.execute(
        select(ConflictDeclaration.user_id).where(
            ConflictDeclaration.proposal_id == proposal.id, ConflictDeclaration.user_id.in_(ids))
    ).scalars())
    return sorted(members | declared)


def has_declared(proposal_id: Any, user_id: Any):
    """SQL: the person (a column or id) declared a conflict on the case (a column or id)."""
    d = aliased(ConflictDeclaration)
    return exists().where(d.proposal_id == proposal_id, d.user_id == user_id)


# --- effect


def record_conflict(case: Case):
    """Keep the declaration; from now on the engine keeps the person out of the case.

    A reviewer who declares keeps their assignment until the secretariat replaces them
    (the replacement records who came instead); a review already submitted stays on record.
    """
    case.session.execute(insert(ConflictDeclaration).values(
        proposal_id=case.proposal_id, user_id=case.actor.user_id, role=case.role,
        reason=case.values["conflict_reason"], declared_at=case.now))


EFFECTS = {f.__name__: f for f in (record_conflict,)}
