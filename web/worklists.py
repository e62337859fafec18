"""What waits for whom: the queues of the city's roles, due date first, in keyset pages.

A case waits on a role while its state says so (``State.waits_on`` in ``states/``); its
due date is the open deadline row of that state. Reviewers see only the cases assigned
to them that they have not reviewed yet, never their own group's. Pages are cut by the
last (due date, id) seen, not by OFFSET, so page 2,000 costs what page 1 costs; the
order is served by the deadline rows' index on (key, due_on, proposal_id) where open.

The query starts from the open deadline rows of the waiting states, not from the
proposals' state: the state's deadline is open exactly while the case is in that state,
and asking for the state as well leads PostgreSQL to read every case in it (20,000 under
review in the benchmark) before the first row of the page. No total is counted unless
asked for: counting a large queue costs more than showing a page of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, exists, func, or_, select, tuple_
from sqlmodel import Session

from db.models import Deadline, Department, Organisation, Proposal, Review, ReviewAssignment
from states import Lifecycle
from workflow.actors import Actor

QUEUE_ROLES = ("reviewer", "department", "approver", "secretariat")


@dataclass(frozen=True)
class Cursor:
    due: date
    id: int

    def encode(self) -> str:
        return f"{self.due.isoformat()}_{self.id}"

    @staticmethod
    def decode(text: str | None) -> "Cursor | None":
        if not text:
            return None
        try:
            due, pid = text.split("_", 1)
            return Cursor(date.fromisoformat(due), int(pid))
        except ValueError:
            return None


@dataclass(frozen=True)
class Item:
    id: int
    title: str
    field: int | None
    state: str
    department_id: int | None
    department_ja: str | None
    department_en: str | None
    organisation: str | None
    due: date


@dataclass(frozen=True)
class Page:
    items: list[Item]
    next: Cursor | None
    prev: Cursor | None
    total: int | None  # None: not counted


def waiting_states(lc: Lifecycle, role: str) -> list:
    return [s for s in lc.states if role in s.waits_on and s.deadline and not s.final]


def _base(actor: Actor, role: str, lc: Lifecycle):
    states = waiting_states(lc, role)
    d, p = Deadline, Proposal
    where = [d.closed_at.is_(None), d.key.in_(sorted({s.deadline for s in states})), d.scope == ""]
    joins = []
    if role == "reviewer":
        joins.append((ReviewAssignment, and_(ReviewAssignment.proposal_id == d.proposal_id,
                                             ReviewAssignment.reviewer_id == actor.user_id)))
        where.append(~exists().where(Review.proposal_id == d.proposal_id, Review.reviewer_id == actor.user_id))
        if actor.organisation_ids:
            where.append(or_(p.organisation_id.is_(None), p.organisation_id.not_in(actor.organisation_ids)))
    elif role == "department":
        where.append(p.department_id == (actor.department_id if actor.department_id is not None else -1))
    return joins, where


def queue(db: Session, actor: Actor, role: str, lc: Lifecycle, *, field: int | None = None,
          department_id: int | None = None, state: str | None = None, after: Cursor | None = None,
          before: Cursor | None = None, limit: int = 50, count: bool = False) -> Page:
    d, p = Deadline, Proposal
    joins, where = _base(actor, role, lc)
    if field is not None:
        where.append(p.field == field)
    if department_id is not None:
        where.append(p.department_id == department_id)
    if state:
        st = lc.state(state)
        where.append(d.key == st.deadline)  # the state's own deadline is open only while in it

    def frame(q):
        q = q.select_from(d).join(p, p.id == d.proposal_id)
        for table, on in joins:
            q = q.join(table, on)
        return q.where(*where)

    key = tuple_(d.due_on, d.proposal_id)
    q = frame(select(p.id, p.title, p.field, p.state, p.department_id, Department.name_ja, Department.name_en,
                     Organisation.name, d.due_on))
    q = (q.outerjoin(Department, Department.id == p.department_id)
         .outerjoin(Organisation, Organisation.id == p.organisation_id))
    backwards = before is not None and after is None
    if after is not None:
        q = q.where(key > tuple_(after.due, after.id)).order_by(d.due_on, d.proposal_id)
    elif backwards:
        q = q.where(key < tuple_(before.due, before.id)).order_by(d.due_on.desc(), d.proposal_id.desc())
    else:
        q = q.order_by(d.due_on, d.proposal_id)
    rows = list(db.execute(q.limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    if backwards:
        rows.reverse()
    items = [Item(*r) for r in rows]
    total = db.execute(frame(select(func.count()))).scalar_one() if count else None
    db.rollback()
    first = Cursor(items[0].due, items[0].id) if items else None
    last = Cursor(items[-1].due, items[-1].id) if items else None
    if backwards:
        return Page(items, next=last, prev=first if more else None, total=total)
    return Page(items, next=last if more else None, prev=first if after is not None else None, total=total)
