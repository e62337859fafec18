"""The vocabulary a lifecycle is written in: states, transitions, inputs, deadlines.

Small frozen dataclasses so that a definition reads like a table and cannot be changed
by accident at run time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

InputKind = Literal["text", "int", "date", "score", "ids", "id", "choice", "fiscal_year", "partners"]


@dataclass(frozen=True)
class InputSpec:
    """One piece of information a person must (or may) give with a trigger."""

    name: str
    label_ja: str
    label_en: str
    kind: InputKind = "text"
    choices: tuple[str, ...] = ()
    help_ja: str = ""
    help_en: str = ""


@dataclass(frozen=True)
class Condition:
    """A yes/no rule of the ordinance checked against the stored case before a trigger."""

    name: str
    label_ja: str
    label_en: str
    article: str = ""


@dataclass(frozen=True)
class DeadlinePolicy:
    """When a waiting party must act, and how reminders run up to and past that day.

    ``business_days``: due that many business days after the deadline opens.
    ``date_input``: due on the date given in an input of the opening trigger (for
    instance the contract's end date), or on the date stored under that name.
    ``after_fiscal_year_end``: due ``days`` calendar days after the end of the fiscal
    year the deadline is opened for (Article 15(1): evaluation after each year end).
    """

    key: str
    label_ja: str
    label_en: str
    waits_on: str
    rule: Literal["business_days", "date_input", "after_fiscal_year_end"] = "business_days"
    days: int = 10
    date_field: str = ""
    remind_before: tuple[int, ...] = (3, 1)
    remind_on_day: bool = True
    remind_every_after: int = 3
    escalate_after: int = 1
    escalate_to: tuple[str, ...] = ("secretariat",)
    article: str = ""
    # Deadlines that can be open several times at once (one per fiscal year, one per own
    # project) are told apart by the value of this input or fact.
    scope_by: str = ""


@dataclass(frozen=True)
class State:
    name: str
    label_ja: str
    label_en: str
    description_ja: str = ""
    description_en: str = ""
    final: bool = False
    waits_on: tuple[str, ...] = ()
    deadline: str | None = None
    public_label_ja: str | None = None
    public_label_en: str | None = None
    tags: frozenset[str] = frozenset()

    @property
    def is_public(self) -> bool:
        return self.public_label_ja is not None


@dataclass(frozen=True)
class Transition:
    trigger: str
    sources: tuple[str, ...]
    dest: str
    roles: tuple[str, ...]
    label_ja: str
    label_en: str
    article: str = ""
    inputs: tuple[str, ...] = ()
    optional_inputs: tuple[str, ...] = ()
    conditions: tuple[str, ...] = ()
    opens: tuple[str, ...] = ()
    closes: tuple[str, ...] = ()
    # (notice kind, recipient role) pairs, written to the outbox with the transition.
    notify: tuple[tuple[str, str], ...] = ()

    @property
    def is_loop(self) -> bool:
        return self.sources == (self.dest,)


@dataclass(frozen=True)
class Lifecycle:
    name: str
    label_ja: str
    label_en: str
    initial: str
    states: tuple[State, ...]
    transitions: tuple[Transition, ...]
    deadlines: tuple[DeadlinePolicy, ...] = ()
    inputs: tuple[InputSpec, ...] = ()
    conditions: tuple[Condition, ...] = ()
    roles: tuple[str, ...] = ()
    _index: dict = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._index.update(
            states={s.name: s for s in self.states},
            deadlines={d.key: d for d in self.deadlines},
            inputs={i.name: i for i in self.inputs},
            conditions={c.name: c for c in self.conditions},
            by_trigger={},
        )
        for t in self.transitions:
            self._index["by_trigger"].setdefault(t.trigger, []).append(t)

    def state(self, name: str) -> State:
        return self._index["states"][name]

    def deadline(self, key: str) -> DeadlinePolicy:
        return self._index["deadlines"][key]

    def input(self, name: str) -> InputSpec:
        return self._index["inputs"][name]

    def condition(self, name: str) -> Condition:
        return self._index["conditions"][name]

    def has_state(self, name: str) -> bool:
        return name in self._index["states"]

    def triggers(self) -> list[str]:
        return list(self._index["by_trigger"])

    def transitions_for(self, trigger: str) -> list[Transition]:
        return self._index["by_trigger"].get(trigger, [])

    def transition_from(self, trigger: str, state: str) -> Transition | None:
        for t in self.transitions_for(trigger):
            if state in t.sources:
                return t
        return None

    def available_from(self, state: str) -> list[Transition]:
        return [t for t in self.transitions if state in t.sources]

    def final_states(self) -> list[str]:
        return [s.name for s in self.states if s.final]
