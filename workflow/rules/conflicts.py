"""Conflicts of interest (利害関係): who may never review, coordinate or decide a case.

Two kinds: belonging to an organisation the case is about (the proposing group, or a
group that applied to a call and has not withdrawn), and having declared a conflict on
the case. Both are answered here, for the engine's authorization (``in_reach``), for the
choice of reviewers and for who still owes a review; the declaration itself is an
effect of the definition's transition.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, exists, insert, or_, select
from sqlmodel import Session

from db.models import CallApplication, ConflictDeclaration, Membership, User

if TYPE_CHECKING:
    from workflow.actors import Actor
    from workflow.engine.context import Case

MEMBER = "member"
DECLARED = "declared"

_APP = CallApplication.__table__
_DECL = ConflictDeclaration.__table__
_MEMBERSHIP = Membership.__table__
_USER = User.__table__


def _active_applicants(proposal_id: Any):
    return select(_APP.c.organisation_id).where(_APP.c.proposal_id == proposal_id, _APP.c.withdrawn.is_(False))


def has_declared(proposal_id: Any, user_id: Any):
    """SQL: the person (a column or id) declared a conflict on the case (a column or id)."""
    d = _DECL.alias()
    return exists().where(d.c.proposal_id == proposal_id, d.c.user_id == user_id)


def interested_sql(proposal_id: Any, organisation_id: Any, user_id: Any):
    """SQL: the person (a column or id) belongs to the proposing organisation (``organisation_id``,
    which may be NULL) or to an active applicant of the case, or declared a conflict on it."""
    m = _MEMBERSHIP.alias()
    member = exists().where(m.c.user_id == user_id, or_(m.c.organisation_id == organisation_id,
                                                        m.c.organisation_id.in_(_active_applicants(proposal_id))))
    return or_(member, has_declared(proposal_id, user_id))


# Built once: each reads with bound values only.
_INVOLVED = _active_applicants(bindparam("pid"))
_APPLIED_AS = select(_APP.c.id).where(_APP.c.proposal_id == bindparam("pid"), _APP.c.withdrawn.is_(False),
                                      _APP.c.organisation_id.in_(bindparam("orgs", expanding=True)))
_DECLARED = select(_DECL.c.id).where(_DECL.c.proposal_id == bindparam("pid"), _DECL.c.user_id == bindparam("uid"))


def involved_organisations(session: Session, proposal) -> set[int]:
    """The organisations whose members have an interest in the case: the proposer, every active applicant."""
    orgs = set(session.execute(_INVOLVED, {"pid": proposal.id}).scalars())
    if proposal.organisation_id is not None:
        orgs.add(proposal.organisation_id)
    return orgs


def conflict_of(session: Session, actor: Actor, proposal, *, declared: bool | None = None) -> str | None:
    """Why the actor may take no part in the case (``MEMBER`` or ``DECLARED``), or None.

    ``declared``: whether the actor declared a conflict on the case, when that was read
    already in this transaction (with the case row).
    """
    if actor.organisation_ids:
        if proposal.organisation_id in actor.organisation_ids:
            return MEMBER
        if proposal.organisation_id is None and session.execute(
            _APPLIED_AS, {"pid": proposal.id, "orgs": list(actor.organisation_ids)}
        ).first() is not None:
            return MEMBER
    if declared is None:
        declared = session.execute(_DECLARED, {"pid": proposal.id, "uid": actor.user_id}).first() is not None
    return DECLARED if declared else None


_CONFLICTED = (select(_USER.c.id)
               .where(_USER.c.id.in_(bindparam("ids", expanding=True)),
                      interested_sql(bindparam("pid"), bindparam("org"), _USER.c.id))
               .order_by(_USER.c.id))


def conflicted_people(session: Session, proposal, user_ids) -> list[int]:
    """Those of ``user_ids`` who belong to an involved organisation or declared a conflict on the case."""
    ids = list(user_ids)
    if not ids:
        return []
    return list(session.execute(_CONFLICTED, {"ids": ids, "pid": proposal.id,
                                              "org": proposal.organisation_id}).scalars())


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
