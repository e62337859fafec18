"""Who a notice goes to: recipient roles resolved for one case.

The proposer means the proposing organisation's contact people; reviewer, the reviewers
assigned to the case who still have something to review (what "done" means is the
lifecycle's: its rules say); department, the staff of the department in charge;
department_head, its head; secretariat and approver, everyone in that role.
``unselected_applicants`` are the contacts of every applicant not selected (withdrawn
applications excepted), each organisation addressed by its own letter.

``new_reviewers`` is resolved from the change being applied, not from the case: the
reviewers its effect has just asked (``ASSIGNED`` among the change's facts, written by
``workflow/rules/reviews.py``). Adding or replacing a reviewer tells the newcomer alone;
the reviewers already at work were asked when they were assigned.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from db.models import Membership, Organisation, ReviewAssignment, User, UserRole
from workflow.rules.calls import MAX_REVIEW_TOTAL, score_table, unselected_applicants
from workflow.rules.catalogue import rules_for
from workflow.rules.reviews import ASSIGNED


@dataclass(frozen=True)
class Recipient:
    user_id: int
    name: str
    email: str
    language: str


def _users(session: Session, where) -> list[Recipient]:
    rows = session.execute(
        select(User.id, User.name, User.email, User.language).where(User.active.is_(True), *where).order_by(User.id)
    )
    return [Recipient(*r) for r in rows]


def _contacts(organisations) -> Any:
    return User.id.in_(select(Membership.user_id).where(Membership.organisation_id.in_(organisations),
                                                        Membership.is_contact.is_(True)))


def resolve(session: Session, role: str, proposal, facts: dict[str, Any] | None = None) -> list[Recipient]:
    """The people ``role`` reaches on the case; ``facts``: what the change being applied learnt."""
    if role == "new_reviewers":
        if facts is None or ASSIGNED not in facts:
            # A definition naming them on a transition whose effect asks nobody: say so
            # rather than send the letter to no one.
            raise LookupError(f"{role!r} names the reviewers a change assigns; this change assigned none")
        return _users(session, [User.id.in_(facts[ASSIGNED])])
    if role == "proposer":
        return _users(session, [_contacts([proposal.organisation_id])])
    if role == "reviewer":
        assigned = select(ReviewAssignment.reviewer_id).where(ReviewAssignment.proposal_id == proposal.id)
        pending = rules_for(proposal.lifecycle).review_pending(proposal.id, User.id)
        return _users(session, [User.id.in_(assigned), pending])
    if role == "unselected_applicants":
        return _users(session, [_contacts(unselected_applicants(proposal.id))])
    if role in ("department", "department_head"):
        if proposal.department_id is None:
            return []
        where = [User.department_id == proposal.department_id]
        if role == "department_head":
            where.append(User.is_department_head.is_(True))
        else:
            where.append(User.id.in_(select(UserRole.user_id).where(UserRole.role == "department")))
        return _users(session, where)
    return _users(session, [User.id.in_(select(UserRole.user_id).where(UserRole.role == role))])


def _own_result(table, organisation_id: int) -> dict[str, Any] | None:
    mine = next((a for a in table if a.organisation_id == organisation_id), None)
    if mine is None or not mine.reviews:
        return None
    return {"application_id": mine.application_id, "average_total": mine.average_total,
            "max_total": MAX_REVIEW_TOTAL, "rank": mine.rank,
            "ranked": sum(1 for a in table if a.rank is not None), "reviews": len(mine.reviews)}


def recipient_groups(session: Session, role: str, proposal,
                     facts: dict[str, Any] | None = None) -> list[tuple[dict[str, Any], list[Recipient], str]]:
    """(what this group's letter adds, its recipients, a key suffix) for each letter to write.

    Every role gets one letter, except the unselected applicants: each organisation gets
    its own, addressed to it and with its own scores and rank.
    """
    if role != "unselected_applicants":
        return [({}, resolve(session, role, proposal, facts), "")]
    table = score_table(session, proposal.id)
    orgs = session.execute(
        select(Organisation).where(Organisation.id.in_(unselected_applicants(proposal.id))).order_by(Organisation.id)
    ).scalars().all()
    return [
        ({"organisation": {"name": org.name, "representative_title": org.representative_title,
                           "representative_name": org.representative_name},
          "own_result": _own_result(table, org.id)},
         _users(session, [_contacts([org.id])]), f":o{org.id}")
        for org in orgs
    ]
