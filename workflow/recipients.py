"""Who a notice goes to: recipient roles resolved for one case.

The proposer means the proposing organisation's contact people; reviewer, the reviewers
assigned to the case who have not reviewed yet; department, the staff of the department
in charge; department_head, its head; secretariat and approver, everyone in that role.
On a city's call for partners (Art. 9) a reviewer is done when they have reviewed every
application, and ``unselected_applicants`` are the contacts of every applicant not
selected (withdrawn applications excepted).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import Session

from db.models import Membership, Review, ReviewAssignment, User, UserRole
from workflow.call_records import reviewers_done, unselected_applicants


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


def resolve(session: Session, role: str, proposal) -> list[Recipient]:
    if role == "proposer":
        members = select(Membership.user_id).where(
            Membership.organisation_id == proposal.organisation_id, Membership.is_contact.is_(True)
        )
        return _users(session, [User.id.in_(members)])
    if role == "reviewer":
        assigned = select(ReviewAssignment.reviewer_id).where(ReviewAssignment.proposal_id == proposal.id)
        reviewed = select(Review.reviewer_id).where(Review.proposal_id == proposal.id)
        if getattr(proposal, "lifecycle", None) == "city_call":
            reviewed = reviewers_done(session, proposal.id)
        return _users(session, [User.id.in_(assigned), User.id.not_in(reviewed)])
    if role == "unselected_applicants":
        members = select(Membership.user_id).where(
            Membership.organisation_id.in_(unselected_applicants(proposal.id)), Membership.is_contact.is_(True)
        )
        return _users(session, [User.id.in_(members)])
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
