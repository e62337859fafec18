"""Reminding groups whose proposal in a round (募集) is still a draft that the round closes soon.

A round closes on its last day, and a draft not submitted by then cannot be submitted
at all (``round_window_open``). Three days before the close and again the day before,
every contact of a group with such a draft is written a ``round_closing`` notice, one
per proposal. Like the deadline reminders, a scan writes only the latest step that has
come (a scan that was down on the third day writes the first step on the second, saying
the days really left), and the outbox's unique key per (proposal, round, step,
recipient) lets scans run again or overlap without writing a step twice. Days are
calendar days: groups prepare their proposals on weekends too.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlmodel import Session

from config import Settings
from db.models import Proposal, ProposalRound
from notifications.bulk_notices import insert_new, notice_rows
from states import lifecycle_of
from workflow.calendar.clock import Clock, japan_today
from workflow.engine.outbox import common_context
from workflow.engine.recipients import resolve

_P, _R = Proposal.__table__, ProposalRound.__table__

KIND = "round_closing"
# The group's contacts, as the proposer of a case is reached (``workflow.engine.recipients``).
ADDRESSED_AS = "proposer"
# Days before the close on which a group is reminded, nearest last.
STEPS = (3, 1)


def step(days_left: int) -> int | None:
    """The latest step that has come with ``days_left`` days to the close (0: the last day), if any."""
    if days_left < 0:
        return None
    due = [n for n in STEPS if days_left <= n]
    return min(due) if due else None


def scan(session: Session, clock: Clock, settings: Settings) -> int:
    """Write the reminders due today; returns how many outbox rows were written."""
    today = japan_today(clock)
    now = clock.now()
    # Plain rows: read once; the letters are written after the reading transaction has ended.
    rows = session.execute(
        select(_P.c.id, _P.c.title, _P.c.organisation_id, _P.c.department_id, _P.c.state, _P.c.lifecycle,
               _P.c.lifecycle_version, _R.c.id.label("round_id"), _R.c.title_ja, _R.c.title_en, _R.c.opens_on,
               _R.c.closes_on)
        .join(_R, _R.c.id == _P.c.round_id)
        .where(_R.c.published_at.is_not(None), _R.c.closes_on >= today,
               _R.c.closes_on <= today + timedelta(days=max(STEPS)))
        .order_by(_R.c.closes_on, _P.c.id)
    ).all()
    session.rollback()
    # Only drafts: the state each case's own lifecycle begins in.
    due = [(p, step((p.closes_on - today).days)) for p in rows if p.state == lifecycle_of(p).initial]
    letters = []
    for p, n in due:
        if n is None:
            continue
        context = {
            **common_context(session, p, settings),
            "round": {"id": p.round_id, "title_ja": p.title_ja, "title_en": p.title_en, "opens_on": p.opens_on,
                      "closes_on": p.closes_on},
            "days": (p.closes_on - today).days,
            "addressed_as": ADDRESSED_AS,
        }
        letters += notice_rows(kind=KIND, recipients=resolve(session, ADDRESSED_AS, p), context=context,
                            proposal_id=p.id, now=now, key=f"rc:{p.id}:{p.round_id}:{n}")
    session.rollback()  # the reads end before the first write begins
    return insert_new(session, letters)
