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

Every role a change's notices name is answered by one query (``resolve_all``: a
``UNION ALL`` of one part per role, built once per lifecycle and set of roles).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, bindparam, literal_column, select, union_all
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


_USER = User.__table__
_MEMBERSHIP = Membership.__table__
_ROLE = UserRole.__table__
_ASSIGNMENT = ReviewAssignment.__table__


def _contacts(organisations) -> Any:
    m = _MEMBERSHIP
    return _USER.c.id.in_(select(m.c.user_id).where(m.c.organisation_id.in_(organisations), m.c.is_contact.is_(True)))


def _reached(lifecycle: str, role: str) -> list:
    """SQL: who ``role`` reaches on a case, from its bound values (pid, org, dept, new_ids)."""
    if role == "new_reviewers":
        return [_USER.c.id.in_(bindparam("new_ids", expanding=True))]
    if role == "proposer":
        m = _MEMBERSHIP
        return [_USER.c.id.in_(select(m.c.user_id).where(m.c.organisation_id == bindparam("org"),
                                                          m.c.is_contact.is_(True)))]
    if role == "reviewer":
        assigned = select(_ASSIGNMENT.c.reviewer_id).where(_ASSIGNMENT.c.proposal_id == bindparam("pid"))
        return [_USER.c.id.in_(assigned), rules_for(lifecycle).review_pending(bindparam("pid"), _USER.c.id)]
    if role == "department_head":
        return [_USER.c.department_id == bindparam("dept"), _USER.c.is_department_head.is_(True)]
    if role == "department":
        return [_USER.c.department_id == bindparam("dept"),
                _USER.c.id.in_(select(_ROLE.c.user_id).where(_ROLE.c.role == "department"))]
    return [_USER.c.id.in_(select(_ROLE.c.user_id).where(_ROLE.c.role == role))]


_STATEMENTS: dict[tuple[str, tuple[str, ...]], Any] = {}


def _statement(lifecycle: str, roles: tuple[str, ...]):
    """One statement answering every role of ``roles``, each row tagged with its role's place;
    built once per lifecycle and set of roles."""
    key = (lifecycle, roles)
    stmt = _STATEMENTS.get(key)
    if stmt is None:
        parts = [select(literal_column(str(i)).label("slot"), _USER.c.id, _USER.c.name, _USER.c.email,
                        _USER.c.language).where(_USER.c.active.is_(True), *_reached(lifecycle, role))
                 for i, role in enumerate(roles)]
        stmt = _STATEMENTS[key] = parts[0] if len(parts) == 1 else union_all(*parts)
    return stmt


def resolve_all(session: Session | Connection, roles, proposal,
                facts: dict[str, Any] | None = None) -> dict[str, list[Recipient]]:
    """The people each of ``roles`` reaches on the case, in one query; ``facts``: what the
    change being applied learnt. ``unselected_applicants`` is not one of them: each of those
    organisations gets a letter of its own (``recipient_groups``)."""
    roles = tuple(dict.fromkeys(roles))
    if not roles:
        return {}
    if "unselected_applicants" in roles:
        raise ValueError("the unselected applicants are resolved per organisation: use recipient_groups")
    new_ids: list[int] = []
    if "new_reviewers" in roles:
        if facts is None or ASSIGNED not in facts:
            # A definition naming them on a transition whose effect asks nobody: say so
            # rather than send the letter to no one.
            raise LookupError("'new_reviewers' names the reviewers a change assigns; this change assigned none")
        new_ids = list(facts[ASSIGNED])
    # What the roles read of the case: only the reviewers' depends on its lifecycle.
    params = {"pid": proposal.id, "org": getattr(proposal, "organisation_id", None),
              "dept": getattr(proposal, "department_id", None), "new_ids": new_ids}
    lifecycle = proposal.lifecycle if "reviewer" in roles else ""
    out: dict[str, list[Recipient]] = {role: [] for role in roles}
    for slot, *person in session.execute(_statement(lifecycle, roles), params):
        out[roles[int(slot)]].append(Recipient(*person))
    for found in out.values():
        found.sort(key=lambda r: r.user_id)
    return out


def resolve(session: Session, role: str, proposal, facts: dict[str, Any] | None = None) -> list[Recipient]:
    """The people ``role`` reaches on the case; ``facts``: what the change being applied learnt."""
    if role == "unselected_applicants":
        return _users(session, [_contacts(unselected_applicants(proposal.id))])
    return resolve_all(session, (role,), proposal, facts)[role]


def _users(session: Session, where) -> list[Recipient]:
    rows = session.execute(
        select(_USER.c.id, _USER.c.name, _USER.c.email, _USER.c.language)
        .where(_USER.c.active.is_(True), *where).order_by(_USER.c.id)
    )
    return [Recipient(*r) for r in rows]


def _own_result(table, organisation_id: int) -> dict[str, Any] | None:
    mine = next((a for a in table if a.organisation_id == organisation_id), None)
    if mine is None or not mine.reviews:
        return None
    return {"application_id": mine.application_id, "average_total": mine.average_total,
            "max_total": MAX_REVIEW_TOTAL, "rank": mine.rank,
            "ranked": sum(1 for a in table if a.rank is not None), "reviews": len(mine.reviews)}


def recipient_groups(session: Session, role: str, proposal, facts: dict[str, Any] | None = None,
                     resolved: dict[str, list[Recipient]] | None = None,
                     ) -> list[tuple[dict[str, Any], list[Recipient], str]]:
    """(what this group's letter adds, its recipients, a key suffix) for each letter to write.

    Every role gets one letter, except the unselected applicants: each organisation gets
    its own, addressed to it and with its own scores and rank. ``resolved``: the roles
    already resolved for this change (``resolve_all``).
    """
    if role != "unselected_applicants":
        if resolved is not None and role in resolved:
            return [({}, resolved[role], "")]
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
