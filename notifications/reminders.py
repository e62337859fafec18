"""Reminders derived from deadline rows, and the reviewers' daily digest, for every lifecycle.

For every open deadline the policy in ``states/`` gives the steps: some business days
before, on the day, and every few business days after, escalating once overdue. Steps
come only on days the offices are open, and a reminder states the real number of
business days left or past, whichever step it is. A scan writes only the latest step
that has come (a scan that was down for a week does not send a week of reminders), and
the database refuses a second row for the same (deadline, step, recipient), so scans may
overlap. A closed deadline is never scanned: reminders stop the moment the case moves on.
Once escalated, the late party is asked to act and whoever it is escalated to is asked
to look into it: each recipient's letter says what that recipient is to do.

Each deadline's policy is read from its case's own lifecycle. The digest lists, for each
reviewer, the cases in a state that waits on reviewers where the lifecycle's rules say
the reviewer still has something to review (``review_pending``: a proposal not yet
reviewed, or a call with an application not yet scored by them).

The same scan reminds groups whose proposal in a round (募集) is still a draft a few days
before the round closes (``notifications/round_closing.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import and_, false, or_, select
from sqlmodel import Session

from config import Settings
from db.models import Deadline, Department, Membership, Notice, Organisation, Proposal, ReviewAssignment, User
from db.session import write
from notifications import round_closing
from notifications.bulk_notices import insert_new, notice_rows
from states import DeadlinePolicy, describe_state, lifecycle_of
from states.roles import ROLES
from workflow.calendar.japan import add_business_days, business_days_between, is_business_day
from workflow.calendar.clock import Clock, japan_today
from workflow.engine.outbox import common_context, enqueue
from workflow.engine.recipients import Recipient, resolve
from workflow.queries.worklists import waiting_states
from workflow.rules.catalogue import rules_for

# Deadlines further away than this cannot have a reminder step today.
HORIZON_DAYS = 60
_D, _P = Deadline.__table__, Proposal.__table__


@dataclass(frozen=True)
class Step:
    key: str  # before-3, on-day, overdue-6: which step, written once per deadline
    kind: str  # before, on_day, overdue: what the letter says
    days: int  # business days left (before) or past (overdue), counted today
    escalated: bool


def effective_due(due: date) -> date:
    """A duty due on a day the offices are closed is due on the next day they are open
    (地方自治法第4条の2第4項); rows written before deadlines were moved so still read right."""
    return add_business_days(due, 0)


def current_step(policy: DeadlinePolicy, due: date, today: date) -> Step | None:
    """The latest reminder step of ``policy`` that has come by ``today``, if any.

    None on a day the offices are closed: nobody is there to act on it, and the next
    business day's scan writes the step then. The step's key says which step it is; its
    ``days`` say how far the deadline really is today, which differs when the scan
    reaches a step late (a deadline opened 9 business days before it is due is at its
    20-days-before step, and 9 days away).
    """
    if not is_business_day(today):
        return None
    due = effective_due(due)
    if today > due:
        late = business_days_between(due, today)
        k = late // policy.remind_every_after
        if k >= 1:
            return Step(f"overdue-{k * policy.remind_every_after}", "overdue", late, k >= policy.escalate_after)
        # The day itself went by without its reminder: it says how late it is, not "today".
        return Step("on-day", "overdue", late, False) if policy.remind_on_day else None
    if today == due:
        return Step("on-day", "on_day", 0, False) if policy.remind_on_day else None
    for n in sorted(policy.remind_before):  # nearest first
        if add_business_days(due, -n) <= today:
            return Step(f"before-{n}", "before", business_days_between(today, due), False)
    return None


# The head of a department is reached by a flag on the person, not by a role of its own.
_HEAD_LABELS = ("所管課長", "the head of the department in charge")


def _labels(role: str) -> tuple[str, str]:
    if role in ROLES:
        return ROLES[role].label_ja, ROLES[role].label_en
    return _HEAD_LABELS


def _escalated_to(policy: DeadlinePolicy) -> tuple[str, str]:
    """「市民協働推進課（事務局）及び所管課長」, "the secretariat and the head …"."""
    ja = [j for j, _ in map(_labels, policy.escalate_to)]
    en = [e for _, e in map(_labels, policy.escalate_to)]
    if len(ja) < 2:
        return "".join(ja), "".join(en)
    return "、".join(ja[:-1]) + "及び" + ja[-1], ", ".join(en[:-1]) + " and " + en[-1]


# What each role's people depend on, so that one scan asks once per distinct answer (the
# secretariat once, a group's contacts once per group) instead of once per deadline. A
# role not listed (the reviewers: those of each case) is asked per case.
_RESOLVED_BY = {"secretariat": (), "approver": (), "proposer": ("organisation_id",),
                "department": ("department_id",), "department_head": ("department_id",)}


class _Reads:
    """What one scan has read, asked once: every letter of a scan is written as of one moment.

    ``recipients(role, case)`` is ``resolve`` remembered. The cases' groups and departments
    are read in a few queries and held here, so that ``common_context`` finds each in the
    session (whose identity map keeps an object only while someone holds it) instead of
    asking for it per case.
    """

    def __init__(self, session: Session, proposals) -> None:
        self.session, self.known = session, {}
        self.parties = []
        for model, attr in ((Organisation, "organisation_id"), (Department, "department_id")):
            ids = sorted({getattr(p, attr) for p in proposals} - {None})
            for i in range(0, len(ids), 500):
                self.parties += session.execute(select(model).where(model.id.in_(ids[i:i + 500]))).scalars().all()

    def recipients(self, role: str, proposal) -> list[Recipient]:
        by = _RESOLVED_BY.get(role)
        key = (role, *(getattr(proposal, a) for a in by)) if by is not None else (role, "case", proposal.id)
        if key not in self.known:
            self.known[key] = resolve(self.session, role, proposal)
        return self.known[key]


def _letters(reads: _Reads, waits_on: str, policy: DeadlinePolicy, step: Step,
             proposal) -> list[tuple[str, list[Recipient]]]:
    """(role, recipients) per letter: the late party first, then each role it is escalated to.

    A person reached in two roles gets the first letter only: the late party's own.
    """
    roles = (waits_on, *(policy.escalate_to if step.escalated else ()))
    told: set[int] = set()
    letters = []
    for role in roles:
        people = [r for r in reads.recipients(role, proposal) if r.user_id not in told]
        told.update(r.user_id for r in people)
        letters.append((role, people))
    return letters


def scan(session: Session, clock: Clock, settings: Settings) -> int:
    """Write the reminders due now; returns how many outbox rows were written.

    Everything is read first (the open deadlines, their cases, groups, departments and
    recipients, the steps already written), then the rows are written a thousand to a
    statement, each skipped by the database if a concurrent scan wrote it meanwhile.
    """
    today = japan_today(clock)
    now = clock.now()
    # Plain rows, not ORM objects: a large city has thousands of open deadlines, and
    # most scans only confirm that nothing new is due.
    rows = session.execute(
        select(_D.c.id, _D.c.proposal_id, _D.c.key, _D.c.waits_on, _D.c.due_on, _P.c.lifecycle,
               _P.c.lifecycle_version)
        .join(_P, _P.c.id == _D.c.proposal_id)
        .where(_D.c.closed_at.is_(None), _D.c.due_on <= today + timedelta(days=HORIZON_DAYS))
        .order_by(_D.c.due_on, _D.c.id)
    ).all()
    session.rollback()
    candidates = []
    # Deadlines of one kind due on one day are at the same step: worked out once a scan.
    steps: dict[tuple, tuple[DeadlinePolicy, Step | None]] = {}
    for deadline in rows:
        same = (deadline.lifecycle, deadline.lifecycle_version, deadline.key, deadline.due_on)
        if same not in steps:
            policy = lifecycle_of(deadline).deadline(deadline.key)
            steps[same] = policy, current_step(policy, deadline.due_on, today)
        policy, step = steps[same]
        if step is not None:
            candidates.append((deadline, policy, step))
    done = _already_written(session, [d.proposal_id for d, _, _ in candidates])
    todo = [(d, policy, step) for d, policy, step in candidates if f"r:{d.id}:{step.key}" not in done]
    notices = []
    if todo:
        proposals = _proposals(session, [d.proposal_id for d, _, _ in todo])
        reads = _Reads(session, proposals.values())
        due_on = {d.due_on: effective_due(d.due_on) for d, _, _ in todo}
        for deadline, policy, step in todo:
            proposal = proposals[deadline.proposal_id]
            late_ja, late_en = _labels(deadline.waits_on)
            to_ja, to_en = _escalated_to(policy)
            context = {
                **common_context(session, proposal, settings),
                "deadline": {"id": deadline.id, "label_ja": policy.label_ja, "label_en": policy.label_en,
                             "due_on": due_on[deadline.due_on]},
                "step": step.kind, "days": step.days, "escalated": step.escalated,
                "waits_on": deadline.waits_on, "late_party_ja": late_ja, "late_party_en": late_en,
                "escalated_to_ja": to_ja, "escalated_to_en": to_en,
            }
            for role, people in _letters(reads, deadline.waits_on, policy, step, proposal):
                notices += notice_rows(kind="reminder", recipients=people, context={**context, "addressed_as": role},
                                       proposal_id=proposal.id, now=now, key=f"r:{deadline.id}:{step.key}")
        session.rollback()  # the reads end before the first write begins
    written = insert_new(session, notices)
    # Not a deadline of a case but of a round: its drafts are reminded on the same scan.
    return written + round_closing.scan(session, clock, settings)


# What a reminder reads of its case (its title, and whom it reaches through the case), not
# the long texts of the proposal.
_CASE = (_P.c.id, _P.c.title, _P.c.lifecycle, _P.c.lifecycle_version, _P.c.state, _P.c.organisation_id,
         _P.c.department_id, _P.c.round_id)


def _proposals(session: Session, ids: list[int]) -> dict[int, object]:
    unique = sorted(set(ids))
    found: dict[int, object] = {}
    for i in range(0, len(unique), 500):
        for row in session.execute(select(*_CASE).where(_P.c.id.in_(unique[i:i + 500]))):
            found[row.id] = row
    session.rollback()
    return found


def _already_written(session: Session, proposal_ids: list[int]) -> set[str]:
    """The (deadline, step) keys some reminder row already carries.

    Most scans find nothing new: one read per few hundred cases spares a transaction per
    deadline. A step counts as written once any of its recipients has it; the unique key
    per recipient still guards the rows themselves against a concurrent scan.
    """
    ids = sorted(set(proposal_ids))
    found: set[str] = set()
    for i in range(0, len(ids), 500):
        keys = session.execute(
            select(Notice.dedupe_key).where(Notice.kind == "reminder", Notice.proposal_id.in_(ids[i:i + 500]))
        ).scalars()
        found.update(k.rsplit(":", 1)[0] for k in keys if k)
    session.rollback()
    return found


def _pending_reviews(session: Session):
    """(reviewer, case id, title, lifecycle, state, due) for every review a reviewer still owes, any lifecycle."""
    ra, p, d = ReviewAssignment, Proposal, Deadline
    waiting = [(lc, states) for lc, states in waiting_states("reviewer")]
    keys = sorted({s.deadline for _, states in waiting for s in states})
    owed = or_(*(and_(p.lifecycle == lc.name, p.state.in_([s.name for s in states]),
                      rules_for(lc.name).review_pending(p.id, ra.reviewer_id)) for lc, states in waiting))
    rows = session.execute(
        select(ra.reviewer_id, p.id, p.title, p.lifecycle, p.state, d.due_on)
        .join(p, p.id == ra.proposal_id)
        # The open deadline of the waiting state: a case has one such row while it waits.
        .outerjoin(d, and_(d.proposal_id == p.id, d.key.in_(keys), d.scope == "", d.closed_at.is_(None)))
        .where(owed if waiting else false())
        # Nobody reviews their own group (the engine refuses it; the digest does not ask).
        .where(~select(Membership.user_id).where(Membership.user_id == ra.reviewer_id,
                                                 Membership.organisation_id == p.organisation_id).exists())
        .order_by(ra.reviewer_id, d.due_on, p.id)
    ).all()
    session.rollback()
    return rows


def digest(session: Session, clock: Clock, settings: Settings) -> int:
    """One message a day to each reviewer with something waiting, in any lifecycle; returns rows written."""
    today, now = japan_today(clock), clock.now()
    by_reviewer: dict[int, list[dict]] = {}
    for reviewer_id, pid, title, lifecycle, state, due in _pending_reviews(session):
        st = describe_state(lifecycle, state)
        by_reviewer.setdefault(reviewer_id, []).append(
            {"id": pid, "title": title, "state_ja": st.label_ja, "state_en": st.label_en,
             "due_on": due, "overdue": bool(due and due < today)})
    written = 0
    for reviewer_id, items in by_reviewer.items():
        with write(session):
            user = session.get(User, reviewer_id)
            recipient = Recipient(user.id, user.name, user.email, user.language)
            context = {"items": items, "today": today, "addressed_as": "reviewer", "city_name": settings.city_name,
                       "sender_section": settings.sender_section, "case_url": f"{settings.base_url}/queue",
                       "proposal": None, "organisation": None, "department": None}
            written += enqueue(session, kind="reviewer_digest", recipients=[recipient], context=context,
                               proposal_id=None, now=now, dedupe=f"digest:{today.isoformat()}")
    return written
