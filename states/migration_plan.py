"""Migration plans: how running cases move from one version of a lifecycle to the next.

A plan is data, written next to the definitions (``states/plans/``) by the person who
writes the new version. For every state of the old version it says where a case in that
state goes: to a state of the new version, or nowhere (it stays on the old version and
finishes under the rules it started with: the 経過措置 "なお従前の例による" of an
amendment's supplementary provisions). ``supply`` gives the values a new version needs
that running cases never gave (a new required input), recorded with each move.

``kyodo states check`` validates every plan (``problems``); ``kyodo states migrate``
checks every running case against it before anything moves (``workflow/lifecycle_migration.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

# The trigger recorded in a case's audit trail when a plan moves it (no lifecycle declares it).
MIGRATION_TRIGGER = "migrate_version"


@dataclass(frozen=True)
class Move:
    """Where a case in one state of the old version goes."""

    to: str | None  # a state of the new version; None: stays on the old version
    reason_ja: str
    reason_en: str
    supply: Mapping[str, Any] = field(default_factory=dict)

    @property
    def stays(self) -> bool:
        return self.to is None


def stay(reason_ja: str, reason_en: str) -> Move:
    return Move(None, reason_ja, reason_en)


@dataclass(frozen=True)
class MigrationPlan:
    name: str
    lifecycle: str
    from_version: int
    to_version: int
    label_ja: str
    label_en: str
    moves: Mapping[str, Move]

    def move(self, state: str) -> Move:
        return self.moves[state]


def problems(plan: MigrationPlan, versions: Mapping[tuple[str, int], Any]) -> list[str]:
    """What makes a plan unusable, read from the definitions alone (``versions``: (name, version) -> Lifecycle)."""
    found: list[str] = []
    old = versions.get((plan.lifecycle, plan.from_version))
    new = versions.get((plan.lifecycle, plan.to_version))
    if old is None or new is None:
        missing = plan.from_version if old is None else plan.to_version
        return [f"plan {plan.name}: {plan.lifecycle} has no version {missing}"]
    if plan.to_version <= plan.from_version:
        found.append(f"plan {plan.name}: moves from version {plan.from_version} to an earlier or equal version")
    states = {s.name for s in old.states}
    for name in sorted(states - set(plan.moves)):
        found.append(f"plan {plan.name}: says nothing of state {name!r} of version {plan.from_version}")
    for name, move in plan.moves.items():
        if name not in states:
            found.append(f"plan {plan.name}: {name!r} is no state of version {plan.from_version}")
            continue
        if move.stays:
            continue
        if not new.has_state(move.to):
            found.append(f"plan {plan.name}: {name!r} goes to {move.to!r}, which version {plan.to_version} lacks")
            continue
        # A duty the case owes in its state (its deadline) must still be owed where it goes.
        duty = old.state(name).deadline
        if duty and new.state(move.to).deadline != duty:
            found.append(f"plan {plan.name}: a case in {name!r} owes {duty!r}, which {move.to!r} "
                         f"of version {plan.to_version} does not keep")
        if old.state(name).final != new.state(move.to).final:
            found.append(f"plan {plan.name}: {name!r} and {move.to!r} differ in being final")
        unknown = sorted(set(move.supply) - {i.name for i in new.inputs})
        if unknown:
            found.append(f"plan {plan.name}: supplies unknown inputs {', '.join(unknown)}")
    return found
