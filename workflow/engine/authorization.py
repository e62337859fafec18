"""Who may fire a trigger on which case: the role, and the role's reach.

A role alone is not enough: a proposer acts only for its own organisation, a reviewer
only on proposals assigned to them (and never on their own organisation's), department
staff only on their department's cases. A case with no organisation yet (a city's call
for partners before its selection) is open to every group while its state accepts
applications (the state's tag in ``states/``), and afterwards to the groups that applied.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session

from db.models import ReviewAssignment
from states import Transition, get_lifecycle
from states.roles import ROLES
from workflow.actors import Actor
from workflow.errors import NotAllowed
from workflow.rules.calls import applied

# The tag of a state in which any group may apply to the case (a call open for applications).
ACCEPTING = "accepting_applications"


def in_reach(session: Session, actor: Actor, role: str, proposal) -> bool:
    if role == "proposer":
        if proposal.organisation_id is None:
            # The organisation the trigger names is checked against the actor's by the effect.
            if ACCEPTING in get_lifecycle(proposal.lifecycle).state(proposal.state).tags:
                return bool(actor.organisation_ids)
            return applied(session, proposal.id, actor.organisation_ids)
        return proposal.organisation_id in actor.organisation_ids
    if role == "reviewer":
        if proposal.organisation_id in actor.organisation_ids:
            return False  # a conflict of interest: nobody reviews their own group
        return session.execute(
            select(ReviewAssignment.reviewer_id).where(
                ReviewAssignment.proposal_id == proposal.id,
                ReviewAssignment.reviewer_id == actor.user_id,
            )
        ).first() is not None
    if role == "department":
        return proposal.department_id is not None and proposal.department_id == actor.department_id
    return not ROLES[role].scoped


def choose_role(session: Session, actor: Actor, t: Transition, proposal) -> str:
    """The role the actor acts in for ``t``, or NotAllowed saying who may."""
    held = [r for r in t.roles if r in actor.roles]
    for role in held:
        if in_reach(session, actor, role, proposal):
            return role
    who_ja = "、".join(ROLES[r].label_ja for r in t.roles)
    who_en = ", ".join(ROLES[r].label_en for r in t.roles)
    if not held:
        raise NotAllowed(
            f"「{t.label_ja}」は{who_ja}が行う操作です。",
            f"{t.trigger} may be done by: {who_en}",
            allowed_roles=t.roles,
        )
    raise NotAllowed(
        f"この提案について「{t.label_ja}」を行う権限がありません（担当外です）。",
        f"you are not assigned to this proposal as {', '.join(held)} for {t.trigger}",
        allowed_roles=t.roles,
    )


def creator_role(actor: Actor, t: Transition) -> str:
    """The role in which the actor creates a case (the effect checks the organisation or department)."""
    for role in t.roles:
        if role in actor.roles:
            return role
    who_ja = "、".join(ROLES[r].label_ja for r in t.roles)
    who_en = ", ".join(ROLES[r].label_en for r in t.roles)
    raise NotAllowed(f"「{t.label_ja}」は{who_ja}が行う操作です。", f"{t.trigger} may be done by: {who_en}",
                     allowed_roles=t.roles)


def can_see(session: Session, actor: Actor, proposal) -> bool:
    """Whether the actor may read a case at all (a case still in its first state belongs to its authors)."""
    scoped = any(in_reach(session, actor, r, proposal) for r in actor.roles if ROLES[r].scoped)
    if proposal.state == get_lifecycle(proposal.lifecycle).initial:
        return scoped
    return scoped or bool(actor.roles & {"secretariat", "approver", "admin"})
