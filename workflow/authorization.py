"""Who may fire a trigger on which case: the role, and the role's reach.

A role alone is not enough: a proposer acts only for its own organisation, a reviewer
only on proposals assigned to them (and never on their own organisation's), department
staff only on their department's cases. On a city's call for partners before the
selection, the case has no organisation yet: any group may apply for one of its own.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session

from db.models import CallApplication, ReviewAssignment
from states import Transition
from states.roles import ROLES
from workflow.actors import Actor
from workflow.errors import NotAllowed


def in_reach(session: Session, actor: Actor, role: str, proposal) -> bool:
    if role == "proposer":
        if proposal.organisation_id is None and getattr(proposal, "lifecycle", None) == "city_call":
            # A call for partners (Art. 9) before its selection: while it is open any group
            # may apply, for its own organisation only (checked against the organisation
            # the trigger names, in workflow/call_effects.py); afterwards only applicants.
            if proposal.state == "open":
                return True
            return bool(actor.organisation_ids) and session.execute(
                select(CallApplication.id).where(
                    CallApplication.proposal_id == proposal.id,
                    CallApplication.organisation_id.in_(actor.organisation_ids),
                )
            ).first() is not None
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


def can_see(session: Session, actor: Actor, proposal) -> bool:
    """Whether the actor may read a case at all (drafts belong to their group)."""
    if actor.roles & {"secretariat", "approver", "admin"}:
        return proposal.state != "draft" or proposal.organisation_id in actor.organisation_ids
    return any(in_reach(session, actor, r, proposal) for r in actor.roles if ROLES[r].scoped)
