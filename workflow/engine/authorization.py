"""Who may fire a trigger on which case: the role, and the role's reach.

A role alone is not enough: a proposer acts only for its own organisation, a reviewer
only on proposals assigned to them (while the assignment lasts), department staff only
on their department's cases. A case with no organisation yet (a city's call for
partners before its selection) is open to every group while its state accepts
applications (the state's tag in ``states/``), and afterwards to the groups that applied.

Nobody reviews, coordinates or decides a case they have an interest in: a member of the
proposing group or of an applicant, or someone who declared a conflict of interest on
the case, is out of reach in every role but the group's own — approvers and the
secretariat included.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlmodel import Session

from db.models import ReviewAssignment
from states import Transition, lifecycle_of
from states.roles import CITY_ROLES, ROLES
from workflow.actors import Actor
from workflow.errors import NotAllowed
from workflow.rules.calls import applied
from workflow.rules.conflicts import MEMBER, conflict_of

# The tag of a state in which any group may apply to the case (a call open for applications).
ACCEPTING = "accepting_applications"
# The roles that review, coordinate or decide: never held on a case one has an interest in.
IMPARTIAL = ("reviewer",) + CITY_ROLES

_RA = ReviewAssignment.__table__
_ASSIGNED = select(_RA.c.reviewer_id).where(_RA.c.proposal_id == bindparam("pid"),
                                            _RA.c.reviewer_id == bindparam("uid"), _RA.c.ended_at.is_(None))


@dataclass(frozen=True)
class ActorOnCase:
    """What was read about the actor with the case, in the same transaction: whether they
    are an active reviewer of it, and whether they declared a conflict of interest on it."""

    assigned: bool
    declared: bool


def _reach(session: Session, actor: Actor, role: str, proposal, known: ActorOnCase | None = None) -> bool:
    """The role's reach, leaving conflicts of interest aside."""
    if role == "proposer":
        if proposal.organisation_id is None:
            # The organisation the trigger names is checked against the actor's by the effect.
            if ACCEPTING in lifecycle_of(proposal).state(proposal.state).tags:
                return bool(actor.organisation_ids)
            return applied(session, proposal.id, actor.organisation_ids)
        return proposal.organisation_id in actor.organisation_ids
    if role == "reviewer":
        if known is not None:
            return known.assigned
        return session.execute(_ASSIGNED, {"pid": proposal.id, "uid": actor.user_id}).first() is not None
    if role == "department":
        return proposal.department_id is not None and proposal.department_id == actor.department_id
    return not ROLES[role].scoped


def in_reach(session: Session, actor: Actor, role: str, proposal) -> bool:
    if not _reach(session, actor, role, proposal):
        return False
    return role not in IMPARTIAL or conflict_of(session, actor, proposal) is None


def _conflict_refusal(reason: str, t: Transition) -> NotAllowed:
    if reason == MEMBER:
        return NotAllowed(
            f"この案件の提案団体・応募団体に所属しているため、「{t.label_ja}」はできません。"
            "利害関係のある方は、審査・調整・決定に加わることができません。",
            f"you belong to the proposing or an applying organisation of this case, so you cannot "
            f"{t.label_en.lower()}: nobody reviews, coordinates or decides a case they have an interest in",
            "ほかの担当の方に依頼してください。", "ask a colleague without a conflict of interest",
            allowed_roles=t.roles,
        )
    return NotAllowed(
        f"この案件について利害関係を申し出ているため、「{t.label_ja}」はできません。",
        f"you declared a conflict of interest on this case, so you cannot {t.label_en.lower()}",
        "ほかの担当の方に依頼してください。", "ask a colleague without a conflict of interest",
        allowed_roles=t.roles,
    )


def choose_role(session: Session, actor: Actor, t: Transition, proposal, known: ActorOnCase | None = None) -> str:
    """The role the actor acts in for ``t``, or NotAllowed saying who may.

    ``known``: the actor's standing on the case when it was read with the case row, so
    that it is not read again.
    """
    held = [r for r in t.roles if r in actor.roles]
    conflict = None
    for role in held:
        if not _reach(session, actor, role, proposal, known):
            continue
        if role in IMPARTIAL:
            conflict = conflict or conflict_of(session, actor, proposal,
                                               declared=known.declared if known is not None else None)
            if conflict:
                continue
        return role
    if conflict:
        raise _conflict_refusal(conflict, t)
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
    if proposal.state == lifecycle_of(proposal).initial:
        return scoped
    return scoped or bool(actor.roles & {"secretariat", "approver", "admin"})
