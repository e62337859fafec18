"""Opening and closing deadline rows as a case moves, from the policies in ``states/``.

A state's own deadline opens when the case enters it and closes when it leaves; a
transition may also open or close named deadlines (the Article 10(2) "promptly" span
from receipt to decision, a fiscal year's evaluation, an own project's end notice).
Reaching a final state closes everything still open.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import bindparam, insert, select, update

from config import Settings
from db.models import Deadline
from states import DeadlinePolicy, Lifecycle
from workflow.calendar.japan import add_business_days, fiscal_year_end
from workflow.calendar.clock import japan_today, to_japan
from workflow.engine.context import Case
from workflow.rules.dates import DATE_FACTS

_DEADLINE = Deadline.__table__
# Built once: on the hot path, building a statement costs more than running it.
_CLOSE_ALL = update(_DEADLINE).where(_DEADLINE.c.proposal_id == bindparam("pid"), _DEADLINE.c.closed_at.is_(None))
_CLOSE = update(_DEADLINE).where(_DEADLINE.c.proposal_id == bindparam("pid"),
                                 _DEADLINE.c.key.in_(bindparam("keys", expanding=True)),
                                 _DEADLINE.c.scope == bindparam("in_scope"), _DEADLINE.c.closed_at.is_(None))
_OPEN = insert(_DEADLINE)


def days_for(policy: DeadlinePolicy, settings: Settings) -> int:
    return settings.deadline_days.get(policy.key, policy.days)


def due_on(policy: DeadlinePolicy, today: date, facts: dict[str, Any], settings: Settings) -> date:
    """The day a duty is due; one that would fall on a day the offices are closed (a weekend,
    a holiday, the year-end closure) is due on the next day they are open."""
    if policy.rule == "business_days":
        return add_business_days(today, days_for(policy, settings))
    if policy.rule == "after_fiscal_year_end":
        day = fiscal_year_end(int(facts["fiscal_year"])) + timedelta(days=days_for(policy, settings))
    else:
        day = facts[policy.date_field]
    return add_business_days(day, 0)


def _scope(policy: DeadlinePolicy, facts: dict[str, Any]) -> str:
    return str(facts[policy.scope_by]) if policy.scope_by else ""


def _facts(case: Case) -> dict[str, Any]:
    """What the policies read: the inputs, what the effects learnt, the case's own columns
    (a call's closing date), and the dates read when a policy is due on one (the contract's
    end, the first day of the fiscal year a budgeted project runs in)."""
    facts = {**case.values, **case.facts}
    for key in _opening(case):
        name = case.lifecycle.deadline(key).date_field
        if not name or name in facts:
            continue
        if hasattr(case.after, name):
            facts[name] = getattr(case.after, name)
        elif name in DATE_FACTS:
            facts[name] = DATE_FACTS[name](case)
    return facts


def _opening(case: Case) -> list[str]:
    keys = list(case.transition.opens)
    dest = case.lifecycle.state(case.transition.dest)
    if not case.transition.is_loop and dest.deadline:
        keys.append(dest.deadline)
    return keys


def on_transition(case: Case, from_state: str, to_state: str) -> None:
    lc, db, now = case.lifecycle, case.db, case.now
    facts = _facts(case)
    closing = [(k, _scope(lc.deadline(k), facts)) for k in case.transition.closes]
    if to_state != from_state and lc.state(from_state).deadline:
        closing.append((lc.state(from_state).deadline, ""))
    if lc.state(to_state).final:
        db.execute(_CLOSE_ALL, {"pid": case.proposal_id, "closed_at": now})
    else:
        # One statement per scope (nearly always one: the unscoped deadlines).
        by_scope: dict[str, list[str]] = {}
        for key, scope in closing:
            by_scope.setdefault(scope, []).append(key)
        for scope, keys in by_scope.items():
            db.execute(_CLOSE, {"pid": case.proposal_id, "keys": keys, "in_scope": scope, "closed_at": now})
    today = japan_today(case.clock)
    rows = []
    for key in _opening(case):
        policy = lc.deadline(key)
        rows.append(
            dict(
                proposal_id=case.proposal_id,
                key=key,
                scope=_scope(policy, facts),
                waits_on=policy.waits_on,
                due_on=due_on(policy, today, facts, case.settings),
                opened_at=now,
                closed_at=None,
            )
        )
    if rows:
        db.execute(_OPEN, rows)
        case.opened.update({(r["key"], r["scope"]): r["due_on"] for r in rows})


# --- a case moved to a new version of its lifecycle


@dataclass(frozen=True)
class Recomputed:
    """An open deadline under the new version's policy: its due date before and after, and why."""

    deadline_id: int
    key: str
    scope: str
    due_before: date
    due_after: date
    kept: str = ""  # why the date did not move: "passed" (never moves a passed deadline), "same"

    def as_json(self) -> dict[str, Any]:
        return {"key": self.key, "scope": self.scope, "due_before": self.due_before.isoformat(),
                "due_after": self.due_after.isoformat(), **({"kept": self.kept} if self.kept else {})}


def open_duties(session, proposal_id: int) -> list[Deadline]:
    return list(session.execute(select(Deadline).where(Deadline.proposal_id == proposal_id,
                                                       Deadline.closed_at.is_(None)).order_by(Deadline.id)).scalars())


def recompute(rows: list[Deadline], new: Lifecycle, today: date, settings: Settings) -> tuple[list[Recomputed], list[str]]:
    """Each open deadline's due date under ``new``'s policies, and the keys ``new`` no longer declares.

    A deadline counted in business days is counted again from the day it opened; one owed
    after a fiscal year end, from that year's end. A deadline already passed keeps its day
    (moving it would erase a lateness that happened), and a new day is never before today.
    """
    out, missing = [], []
    for row in rows:
        policy = new._index["deadlines"].get(row.key)
        if policy is None:
            missing.append(row.key)
            continue
        opened = to_japan(row.opened_at).date()
        if row.due_on < today:
            due, kept = row.due_on, "passed"
        elif policy.rule == "business_days":
            due, kept = max(add_business_days(opened, days_for(policy, settings)), today), ""
        elif policy.rule == "after_fiscal_year_end" and row.scope.isdigit():
            due = max(add_business_days(fiscal_year_end(int(row.scope)) + timedelta(days=days_for(policy, settings)), 0),
                      today)
            kept = ""
        else:
            due, kept = row.due_on, "same"
        if due == row.due_on and not kept:
            kept = "same"
        out.append(Recomputed(row.id, row.key, row.scope, row.due_on, due, kept))
    return out, missing


def write_recomputed(session, changes: list[Recomputed], new: Lifecycle) -> None:
    for c in changes:
        session.execute(update(Deadline).where(Deadline.id == c.deadline_id)
                            .values(due_on=c.due_after, waits_on=new.deadline(c.key).waits_on))
