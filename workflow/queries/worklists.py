"""What waits for whom, and the city's lists of cases, for every lifecycle side by side.

A case waits on a role while its state says so (``State.waits_on`` in ``states/``, read
in the case's own lifecycle); its due date is the open deadline row of that state.
Reviewers see only the cases assigned to them where they still have something to review
(``review_pending`` of the lifecycle's rules), never their own group's. Pages are cut by
the last (due date, id) seen, not by OFFSET, so page 2,000 costs what page 1 costs; the
order is served by the deadline rows' index on (key, due_on, proposal_id) where open.

The queue starts from the open deadline rows of the waiting states, not from the cases'
state: the state's deadline is open exactly while the case is in that state, and asking
for the state as well leads PostgreSQL to read every case in it (20,000 under review in
the benchmark) before the first row of the page. Each deadline key of a waiting state,
in whichever lifecycle, is read as its own stream in the index's order and the streams
are merged; the case's lifecycle is asked for only where the key alone does not tell it
(the shared stage's keys), and a reviewer's "still something to review" is the rule of
the case's lifecycle. No total is counted unless asked for: counting a large queue costs
more than showing a page of it.

Nobody's queue lists a case they may take no part in (``conflict_of`` in
``workflow/rules/conflicts.py``: a member of the proposing group, or, while a call has
no partner, of an applicant; or someone who declared a conflict of interest on the
case), in any role: the queue is the person's own work, and the engine would refuse
every action of theirs on it. The lists that survey a section's cases (the
department's desk, the secretariat's list of every case and its counts) still show
them: they describe the section's work, not the person's, and the case page offers a
person with a conflict nothing to do (``offers`` asks the same ``in_reach``).

The functions here read in the caller's transaction and leave it open, so that a page
reads everything it shows in one transaction (one connection from the pool, one
snapshot); the page ends it (``web.pages.end_reads``) before it renders.

Filters name states as ``lifecycle:state`` (or a bare state name, meaning that state in
every lifecycle that has it); a value no list knows is refused with words, never
answered with an empty list.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Callable

from sqlalchemy import Integer, and_, bindparam, exists, func, or_, select, tuple_, union_all
from sqlmodel import Session

from db.models import CallApplication, Deadline, Department, Organisation, Proposal
from db.types import MAX_ID  # noqa: F401  (the edges bound ids and cursors with it)
from states import LIFECYCLES, VERSIONS, Lifecycle, State, all_versions, every_state
from states.vocabulary import FIELDS
from workflow.actors import Actor
from workflow.errors import InvalidInput
from workflow.queries.cases import nearest_due
from workflow.rules.catalogue import rules_for
from workflow.rules.conflicts import has_declared

QUEUE_ROLES = ("reviewer", "department", "approver", "secretariat")
# The pages of a case where a role does its part (``Transition.page`` in ``states/``);
# a queue links there rather than to the case page.
TASK_PAGES = ("review", "decision", "contract")


# --- filters: what a list may be narrowed to, and refusals that say why


@dataclass(frozen=True)
class StateRef:
    lifecycle: str
    state: str

    @property
    def key(self) -> str:
        return f"{self.lifecycle}:{self.state}"


Choices = list[tuple[Lifecycle, list[State]]]


def state_choices(keep: Callable[[Lifecycle, State], bool]) -> Choices:
    """The states a list can show, grouped by lifecycle (the same name may stand in several)."""
    out = []
    for lc in LIFECYCLES.values():
        # Every version's states: a case may still run under one an amendment replaced.
        states = [s for s in every_state(lc.name) if keep(lc, s)]
        if states:
            out.append((lc, states))
    return out


def _refuse(name: str, value: str, what_ja: str, what_en: str, known: str = "") -> InvalidInput:
    shown = value[:40]
    error = InvalidInput(name, f"「{shown}」は{what_ja}として選べません。一覧から選び直してください。",
                         f"{shown!r} is not a {what_en} this list knows; choose one from the list")
    if known:
        error.hint_ja = error.hint_en = known
    return error


def parse_state(value: str | None, choices: Choices) -> list[StateRef]:
    """The states ``value`` names among ``choices`` (empty: no filter); unknown values are refused."""
    if not value:
        return []
    lifecycle, _, name = value.rpartition(":")
    found = [StateRef(lc.name, s.name) for lc, states in choices for s in states
             if s.name == name and lifecycle in ("", lc.name)]
    if not found:
        known = ", ".join(StateRef(lc.name, s.name).key for lc, states in choices for s in states)
        raise _refuse("state", value, "状況", "state", known)
    return found


def _plain_number(value: str) -> bool:
    """ASCII digits of a sane length: ``isdigit`` alone accepts "²", which ``int`` refuses."""
    return value.isascii() and value.isdigit() and len(value) <= 10


def parse_field(value: str | None) -> int | None:
    if not value:
        return None
    if not _plain_number(value) or int(value) not in FIELDS:
        raise _refuse("field", value, "分野", "field", ", ".join(str(n) for n in FIELDS))
    return int(value)


def parse_department(db: Session, value: str | None) -> int | None:
    if not value:
        return None
    if not _plain_number(value) or not 1 <= int(value) <= MAX_ID or db.get(Department, int(value)) is None:
        db.rollback()
        raise _refuse("department", value, "所管課", "department")
    return int(value)


def parse_lifecycle(value: str | None) -> str | None:
    if not value:
        return None
    if value not in LIFECYCLES:
        raise _refuse("lifecycle", value, "案件の種類", "kind of case", ", ".join(LIFECYCLES))
    return value


def _in_states(refs: list[StateRef]):
    p = Proposal
    return or_(*(and_(p.lifecycle == r.lifecycle, p.state == r.state) for r in refs))


def _not_initial():
    """A case still in its first state belongs to its authors alone (``can_see``)."""
    p = Proposal
    return ~or_(*(and_(p.lifecycle == lc.name, p.state == lc.initial) for lc in all_versions()))


# --- queues


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
            cursor = Cursor(date.fromisoformat(due), int(pid))
        except ValueError:
            cursor = None
        if cursor is None or not 1 <= cursor.id <= MAX_ID:
            raise InvalidInput("cursor", "ページの指定が正しくありません。最初のページから開き直してください。",
                               "the page cursor is not valid; start again from the first page")
        return cursor


@dataclass(frozen=True)
class Item:
    id: int
    title: str
    field: int | None
    lifecycle: str
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


def waits_on(role: str) -> Callable[[Lifecycle, State], bool]:
    return lambda lc, s: role in s.waits_on and bool(s.deadline) and not s.final


def waiting_states(role: str) -> Choices:
    """The states, per lifecycle, in which a case waits on ``role`` (its queue's tabs)."""
    return state_choices(waits_on(role))


@lru_cache(maxsize=None)  # asked for every row of a queue page; the definitions do not change while running
def task_page(lifecycle: str, state: str, role: str) -> str:
    """Where ``role`` does its part on a case in ``state``: a task page, or "" for the case page."""
    pages = {t.page for lc in VERSIONS[lifecycle] if lc.has_state(state)
             for t in lc.available_from(state) if role in t.roles}
    return next((page for page in TASK_PAGES if page in pages), "")


def _targets(role: str, states: list[StateRef] | None) -> dict[str, list[str]]:
    """Deadline key → the lifecycles in which a case with that key open waits on ``role``."""
    out: dict[str, list[str]] = {}
    for lc, waiting in waiting_states(role):
        for s in waiting:
            if not states or StateRef(lc.name, s.name) in states:
                out.setdefault(s.deadline, []).append(lc.name)
    return out


# The queue's statement is built once per shape (role, keys, filters, direction) and
# cached: building it (the rules' aliased tables, a UNION of subqueries) cost more CPU
# than the database took to answer it. Who asks, and where the page starts, are bound.
_UID = bindparam("uid", type_=Integer)
_ORGS = bindparam("orgs", type_=Integer, expanding=True)
_DEPT = bindparam("dept", type_=Integer)
_FIELD = bindparam("field", type_=Integer)
_DEPARTMENT = bindparam("department_id", type_=Integer)
_DUE = bindparam("cursor_due", type_=Deadline.__table__.c.due_on.type)
_ID = bindparam("cursor_id", type_=Integer)


def _for_key(role: str, key: str, lifecycles: tuple[str, ...]) -> list:
    """What a deadline row of ``key`` must satisfy to stand in the queue, besides being open."""
    d, p = Deadline, Proposal
    where = [d.key == key]
    declaring = list(dict.fromkeys(lc.name for lc in all_versions() if any(x.key == key for x in lc.deadlines)))
    if sorted(lifecycles) != sorted(declaring):  # the key alone does not tell the lifecycle
        where.append(p.lifecycle.in_(lifecycles))
    if role == "reviewer":
        pending = {n: rules_for(n).review_pending for n in lifecycles}
        if len(set(pending.values())) == 1:
            where.append(next(iter(pending.values()))(d.proposal_id, _UID))
        else:
            where.append(or_(*(and_(p.lifecycle == n, f(d.proposal_id, _UID)) for n, f in pending.items())))
    return where


def _no_interest(has_orgs: bool) -> list:
    """SQL: the actor has no interest in the case (the ``conflict_of`` of the engine, as a query)."""
    d, p = Deadline, Proposal
    where = [~has_declared(d.proposal_id, _UID)]
    if has_orgs:
        applied = exists().where(CallApplication.proposal_id == d.proposal_id, CallApplication.withdrawn.is_(False),
                                 CallApplication.organisation_id.in_(_ORGS))
        # A call has no organisation until its partner is selected: until then its
        # applicants are the groups it is about.
        where.append(or_(p.organisation_id.not_in(_ORGS), and_(p.organisation_id.is_(None), ~applied)))
    return where


def _reach(role: str, has_orgs: bool) -> list:
    """The conditions that keep a queue to the cases within the actor's reach."""
    d, p = Deadline, Proposal
    where = [d.closed_at.is_(None), d.scope == "", *_no_interest(has_orgs)]
    # A reviewer's reach is an active assignment, which the lifecycle's ``review_pending``
    # (always asked of a reviewer's queue, ``_for_key``) already requires: joining the
    # assignments here as well led PostgreSQL to read every assignment of the reviewer
    # (thousands) before the first row of a page, instead of walking the deadlines' index.
    if role == "department":
        where.append(p.department_id == _DEPT)
    return where


@lru_cache(maxsize=512)
def _queue_statements(role: str, targets: tuple[tuple[str, tuple[str, ...]], ...], has_orgs: bool, by_field: bool,
                      by_department: bool, direction: str, limit: int):
    """(one page, the count) for a queue of this shape; ``direction``: "first", "after" or "before".

    One branch per deadline key, each read in the index's order (key, due_on,
    proposal_id), cut by the cursor and limited to a page, merged by UNION ALL: the
    database sorts a few pages instead of every waiting case.
    """
    d, p = Deadline, Proposal
    where = _reach(role, has_orgs)
    if by_field:
        where.append(p.field == _FIELD)
    if by_department:
        where.append(p.department_id == _DEPARTMENT)

    def frame(q, key: str, lifecycles: tuple[str, ...]):
        return q.select_from(d).join(p, p.id == d.proposal_id).where(*where, *_for_key(role, key, lifecycles))

    backwards = direction == "before"
    position = tuple_(d.due_on, d.proposal_id)
    in_order = (d.due_on.desc(), d.proposal_id.desc()) if backwards else (d.due_on, d.proposal_id)
    columns = (d.proposal_id.label("id"), p.title, p.field, p.lifecycle, p.state, p.department_id,
               Department.name_ja.label("department_ja"), Department.name_en.label("department_en"),
               Organisation.name.label("organisation"), d.due_on.label("due"))
    branches = []
    for key, lifecycles in targets:
        q = (frame(select(*columns), key, lifecycles)
             .outerjoin(Department, Department.id == p.department_id)
             .outerjoin(Organisation, Organisation.id == p.organisation_id))
        if direction == "after":
            q = q.where(position > tuple_(_DUE, _ID))
        elif backwards:
            q = q.where(position < tuple_(_DUE, _ID))
        # Each branch is a page of its own, cut where the index order allows.
        branches.append(select(q.order_by(*in_order).limit(limit + 1).subquery()))
    merged = (branches[0] if len(branches) == 1 else union_all(*branches)).subquery()
    order = (merged.c.due.desc(), merged.c.id.desc()) if backwards else (merged.c.due, merged.c.id)
    page = select(merged).order_by(*order).limit(limit + 1)
    parts = [frame(select(d.proposal_id), k, ls) for k, ls in targets]
    counted = (parts[0] if len(parts) == 1 else union_all(*parts)).subquery()
    return page, select(func.count()).select_from(counted)


def queue(db: Session, actor: Actor, role: str, *, field: int | None = None, department_id: int | None = None,
          states: list[StateRef] | None = None, after: Cursor | None = None, before: Cursor | None = None,
          limit: int = 50, count: bool = False) -> Page:
    """One page of the role's queue over every lifecycle (see ``_queue_statements``)."""
    targets = tuple((key, tuple(lifecycles)) for key, lifecycles in _targets(role, states).items())
    if not targets:
        return Page([], None, None, 0 if count else None)
    backwards = before is not None and after is None
    direction = "after" if after is not None else "before" if backwards else "first"
    has_orgs = bool(actor.organisation_ids)
    page_q, count_q = _queue_statements(role, targets, has_orgs, field is not None, department_id is not None,
                                        direction, limit)
    params: dict = {"uid": actor.user_id}
    if has_orgs:
        params["orgs"] = sorted(actor.organisation_ids)
    if role == "department":
        # A department user without a department sees nothing, not every unassigned case.
        params["dept"] = actor.department_id if actor.department_id is not None else -1
    if field is not None:
        params["field"] = field
    if department_id is not None:
        params["department_id"] = department_id
    cursor = after if after is not None else before if backwards else None
    if cursor is not None:
        params["cursor_due"], params["cursor_id"] = cursor.due, cursor.id
    rows = list(db.execute(page_q, params))
    more = len(rows) > limit
    rows = rows[:limit]
    if backwards:
        rows.reverse()
    items = [Item(*r) for r in rows]
    total = None
    if count:
        params.pop("cursor_due", None), params.pop("cursor_id", None)
        total = db.execute(count_q, params).scalar_one()
    first = Cursor(items[0].due, items[0].id) if items else None
    last = Cursor(items[-1].due, items[-1].id) if items else None
    if backwards:
        return Page(items, next=last, prev=first if more else None, total=total)
    return Page(items, next=last if more else None, prev=first if after is not None else None, total=total)


# --- the department's desk and the secretariat's list: every case, newest first


@dataclass(frozen=True)
class Line:
    id: int
    title: str
    field: int | None
    lifecycle: str
    state: str
    organisation: str | None
    department_ja: str | None
    department_en: str | None
    due: date | None


@dataclass(frozen=True)
class Lines:
    rows: list[Line]
    next_after: int | None


def _lines(db: Session, where: list, after: int | None, limit: int) -> Lines:
    p = Proposal
    q = (select(p.id, p.title, p.field, p.lifecycle, p.state, Organisation.name, Department.name_ja,
                Department.name_en, nearest_due(p.id))
         # A call has no organisation until its partner is selected.
         .outerjoin(Organisation, Organisation.id == p.organisation_id)
         .outerjoin(Department, Department.id == p.department_id)
         .where(*where))
    if after:
        q = q.where(p.id < after)
    rows = [Line(*r) for r in db.execute(q.order_by(p.id.desc()).limit(limit + 1))]
    more = len(rows) > limit
    rows = rows[:limit]
    return Lines(rows, rows[-1].id if more and rows else None)


def department_choices() -> Choices:
    """The states a department follows: those that wait on it or that it may still edit."""
    return state_choices(lambda lc, s: "department" in s.waits_on or "department" in s.editable_by)


def department_cases(db: Session, actor: Actor, *, states: list[StateRef] | None = None, after: int | None = None,
                     limit: int = 50) -> Lines:
    """The cases of the actor's department, in every state it may see them in (its own draft calls too)."""
    where = [Proposal.department_id == (actor.department_id if actor.department_id is not None else -1)]
    if states:
        where.append(_in_states(states))
    return _lines(db, where, after, limit)


def secretariat_choices() -> Choices:
    return state_choices(lambda lc, s: s.name != lc.initial)


def all_cases(db: Session, *, states: list[StateRef] | None = None, lifecycle: str | None = None,
              field: int | None = None, department_id: int | None = None, title: str = "",
              after: int | None = None, limit: int = 50) -> Lines:
    """Every case past its first state (drafts belong to their authors), of every lifecycle."""
    p = Proposal
    where = [_not_initial()]
    if states:
        where.append(_in_states(states))
    if lifecycle:
        where.append(p.lifecycle == lifecycle)
    if field is not None:
        where.append(p.field == field)
    if department_id is not None:
        where.append(p.department_id == department_id)
    if title:
        where.append(p.title.contains(title[:100], autoescape=True))
    return _lines(db, where, after, limit)


@dataclass(frozen=True)
class Count:
    state: State
    ref: StateRef
    n: int


def counts_by_state(db: Session) -> list[tuple[Lifecycle, list[Count]]]:
    """How many cases stand in each state past the first, per lifecycle, zeros included."""
    found = {(lc, st): n for lc, st, n in db.execute(
        select(Proposal.lifecycle, Proposal.state, func.count()).where(_not_initial())
        .group_by(Proposal.lifecycle, Proposal.state))}
    return [(lc, [Count(s, StateRef(lc.name, s.name), found.get((lc.name, s.name), 0)) for s in states])
            for lc, states in secretariat_choices()]
