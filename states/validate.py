"""Checks that a lifecycle definition is whole before anything runs on it.

Run by the tests and by ``kyodo states check``: every state reachable from the initial
one, every non-final state with a way out, every role, input, condition and deadline
named by a transition declared, and every state that waits on someone with a deadline.
"""

from __future__ import annotations

from collections import deque

from states.model import Lifecycle
from states.notices import NOTICE_KINDS, RECIPIENTS
from states.roles import CHANGE_RECIPIENTS, ROLES

# Reminders may escalate beyond the roles that act: to the head of the late department.
ESCALATION_TARGETS = set(ROLES) | {"department_head"}


def problems(lc: Lifecycle) -> list[str]:
    """Every problem found in ``lc``, as sentences; an empty list means it is sound."""
    found: list[str] = []
    names = [s.name for s in lc.states]
    if len(set(names)) != len(names):
        found.append("a state name is declared twice")
    if not lc.has_state(lc.initial):
        found.append(f"initial state {lc.initial!r} is not declared")
        return found

    if lc.creation is not None:
        t = lc.creation
        for i in (*t.inputs, *t.optional_inputs):
            if i not in lc._index["inputs"]:
                found.append(f"creation needs undeclared input {i!r}")
        for r in t.roles:
            if r not in ROLES:
                found.append(f"creation allows unknown role {r!r}")
    for t in lc.transitions:
        where = f"transition {t.trigger!r}"
        for s in (*t.sources, t.dest):
            if not lc.has_state(s):
                found.append(f"{where} names unknown state {s!r}")
        for r in t.roles:
            if r not in ROLES:
                found.append(f"{where} allows unknown role {r!r}")
        if not t.roles:
            found.append(f"{where} allows no role")
        for i in (*t.inputs, *t.optional_inputs):
            if i not in lc._index["inputs"]:
                found.append(f"{where} needs undeclared input {i!r}")
        for c in t.conditions:
            if c not in lc._index["conditions"]:
                found.append(f"{where} checks undeclared condition {c!r}")
        for d in (*t.opens, *t.closes):
            if d not in lc._index["deadlines"]:
                found.append(f"{where} opens or closes undeclared deadline {d!r}")
        for kind, recipient, _due in t.notify:
            if kind not in NOTICE_KINDS:
                found.append(f"{where} sends unknown notice {kind!r}")
            if recipient not in RECIPIENTS and recipient not in CHANGE_RECIPIENTS:
                found.append(f"{where} notifies unknown recipient {recipient!r}")
        if len(t.sources) > 1 and t.dest in t.sources:
            found.append(f"{where} mixes a loop with a move; declare them separately")
        for s in t.sources:
            if lc.has_state(s) and lc.state(s).final:
                found.append(f"{where} leaves final state {s!r}")

    for s in lc.states:
        if s.deadline is not None and s.deadline not in lc._index["deadlines"]:
            found.append(f"state {s.name!r} names undeclared deadline {s.deadline!r}")
        if s.waits_on and s.deadline is None:
            found.append(f"state {s.name!r} waits on {', '.join(s.waits_on)} but has no deadline")
        for r in s.waits_on:
            if r not in ROLES:
                found.append(f"state {s.name!r} waits on unknown role {r!r}")
        if not s.final:
            exits = [t for t in lc.available_from(s.name) if t.dest != s.name]
            if not exits:
                found.append(f"state {s.name!r} is not final but has no way out")

    for d in lc.deadlines:
        if d.waits_on not in ROLES:
            found.append(f"deadline {d.key!r} waits on unknown role {d.waits_on!r}")
        for r in d.escalate_to:
            if r not in ESCALATION_TARGETS:
                found.append(f"deadline {d.key!r} escalates to unknown recipient {r!r}")
        if d.rule == "date_input" and not d.date_field:
            found.append(f"deadline {d.key!r} is due on a date but names no date field")
        if d.rule != "date_input" and d.days <= 0:
            found.append(f"deadline {d.key!r} must allow at least one day")
        if any(b <= 0 for b in d.remind_before) or d.remind_every_after < 1:
            found.append(f"deadline {d.key!r} has a reminder step that is not a positive number of days")

    reachable = {lc.initial}
    queue = deque([lc.initial])
    while queue:
        here = queue.popleft()
        for t in lc.available_from(here):
            if t.dest not in reachable:
                reachable.add(t.dest)
                queue.append(t.dest)
    for s in lc.states:
        if s.name not in reachable:
            found.append(f"state {s.name!r} cannot be reached from {lc.initial!r}")
    if not any(s.final for s in lc.states):
        found.append("no final state")
    return found
