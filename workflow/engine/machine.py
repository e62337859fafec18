"""The pytransitions machines, built once per lifecycle version from the definitions in ``states/``.

Building a ``Machine`` costs about a millisecond and a trigger microseconds, so each
version of a lifecycle gets one machine at first use. A case is moved by the machine's
own ``Event.trigger`` on a light ``CaseModel`` that is never registered with the machine:
registering (``add_model``) binds every trigger and state of the lifecycle to the model,
which cost more than the trigger itself, and the machine would keep every case alive
unless it were removed again. Nothing is shared between two triggers, so no lock either.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Callable

from transitions import Machine
from transitions.core import MachineError

from states import Lifecycle, get_lifecycle
from workflow.rules.catalogue import rules_for


class CaseModel:
    """What the machine moves: a state name and the context the conditions read."""

    __slots__ = ("state", "context", "failed")

    def __init__(self, state: str, context: Any):
        self.state = state  # the machine's model_attribute
        self.context = context
        self.failed: list[str] = []


def _guard(name: str, predicate: Callable[[Any], bool]) -> Callable:
    def check(event) -> bool:
        ok = bool(predicate(event.model.context))
        if not ok:
            event.model.failed.append(name)
        return ok

    check.__name__ = name
    return check


def _build(lc: Lifecycle, predicates: dict[str, Callable[[Any], bool]]) -> Machine:
    transitions = []
    for t in lc.transitions:
        transitions.append(
            {
                "trigger": t.trigger,
                "source": list(t.sources),
                "dest": t.dest,
                "conditions": [_guard(c, predicates[c]) for c in t.conditions],
            }
        )
    kwargs = dict(
        model=None,
        states=[s.name for s in lc.states],
        transitions=transitions,
        initial=lc.initial,
        auto_transitions=False,  # no to_<state>() that would skip the engine's checks
        send_event=True,
        ignore_invalid_triggers=False,
    )
    return Machine(**kwargs)


@lru_cache
def machine_for(lifecycle: str, version: int | None = None) -> Machine:
    """The machine of one version of a lifecycle (None: the newest)."""
    return _build(get_lifecycle(lifecycle, version), rules_for(lifecycle).conditions)


def fire(lc: Lifecycle, state: str, trigger: str, context: Any) -> tuple[bool, str, list[str]]:
    """Run ``trigger`` from ``state`` on ``lc``'s machine; returns (moved, new state, failed condition names)."""
    machine = machine_for(lc.name, lc.version)
    event = machine.events.get(trigger)
    if event is None:
        return False, state, []
    model = CaseModel(state, context)
    try:
        # What ``model.trigger(name)`` runs once a model is registered, without registering it.
        moved = event.trigger(model)
    except MachineError:
        return False, state, []
    return moved, model.state, model.failed


def mermaid(lifecycle: str, version: int | None = None) -> str:
    """The lifecycle as a Mermaid state diagram, labelled in Japanese and English.

    Drawn from the same definition as the machine. We draw it ourselves rather than with
    ``GraphMachine(graph_engine="mermaid")`` because the library repeats every in-state
    action (reviews, notes, evaluations) as a self-loop, which buries the path a case takes.
    """
    lc = get_lifecycle(lifecycle, version)
    lines = ["stateDiagram-v2", "  direction TB"]
    for s in lc.states:
        lines.append(f'  state "{s.label_ja}<br/>{s.label_en}" as {s.name}')
    lines.append(f"  [*] --> {lc.initial}")
    for t in lc.transitions:
        if t.is_loop:
            continue
        for src in t.sources:
            lines.append(f"  {src} --> {t.dest}: {t.trigger}")
    for name in lc.final_states():
        lines.append(f"  {name} --> [*]")
    return "\n".join(lines) + "\n"

