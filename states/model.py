"""The vocabulary a lifecycle is written in: states, transitions, inputs, deadlines.

Small frozen dataclasses so that a definition reads like a table and cannot be changed
by accident at run time.
"""

from __future__ import annotations

from datetime import date

from dataclasses import dataclass, field
from typing import Literal, NamedTuple

InputKind = Literal["text", "line", "int", "date", "score", "ids", "id", "choice", "fiscal_year", "partners",
                    "content", "upload"]

# Where a transition is offered to people: a form on the case page, on one of the case's
# task pages (the reviewer's sheet, the approver's decision, the contract), in the
# proposal editor, in the attachments section, or nowhere (done by the system's jobs).
PAGES = ("case", "review", "decision", "contract", "editor", "attachments", "system")
# What the public sees of a case in a public state: the call itself while it seeks
# partners (Art. 9), or the project report in its five parts (公表).
PUBLIC_VIEWS = ("call", "project")


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
    # True when the rule reads what the person gives with the trigger: it can only be
    # answered when the form is sent. Other rules are answered before a form is offered.
    on_inputs: bool = False
    # What a page says while the rule does not hold (「審査結果が2件そろっていません」).
    unmet_ja: str = ""
    unmet_en: str = ""
    # True when the rule says whether the transition is for this case at all rather than
    # whether it is possible yet: while it does not hold, the transition is not offered
    # (two adoptions, one for a project budgeted later, of which a case has only one).
    hides: bool = False


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


class Notify(NamedTuple):
    """One notice a transition sends: its kind, to whom, and the deadline whose due date it states."""

    kind: str
    to: str
    due: str = ""


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
    public_view: str = ""
    tags: frozenset[str] = frozenset()
    # The roles that may still change the case's content (and its attachments) here.
    editable_by: tuple[str, ...] = ()

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
    # Notices written to the outbox with the transition.
    notify: tuple[Notify, ...] = ()
    # What the transition records besides the state: the name of an effect function
    # (resolved per lifecycle by ``workflow/rules/catalogue.py``), and its parameters.
    effect: str = ""
    # A note the effect keeps: (note kind, the input it is written from).
    note: tuple[str, str] = ()
    # The outcome an effect records (a decision "adopted"/"not_adopted", "cancelled" …).
    outcome: str = ""
    # Where people are offered it, whether the browser asks them to confirm first
    # (withdrawals, refusals, cancellations cannot be undone), and where they go after it.
    page: str = "case"
    confirm: bool = False
    then: str = ""

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
    # How a case of this lifecycle comes into being: a transition with no source, into
    # ``initial``, with the roles that may create one and what they give.
    creation: Transition | None = None
    # Versions: every case records the one it runs under. A new version takes effect on
    # ``effective`` (cases created from that day start on it) and names the amendment or
    # service standard it implements; earlier versions stay declared while cases use them.
    version: int = 1
    effective: date = date(2013, 4, 1)  # the ordinance's own entry into force (平成25年4月1日)
    amendment_ja: str = "制定時の条例"
    amendment_en: str = "the ordinance as enacted"
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

    @property
    def ref(self) -> str:
        """``name@version``, as ``kyodo states diff`` and the audit trail write it."""
        return f"{self.name}@{self.version}"

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

    def public_states(self) -> list[str]:
        return [s.name for s in self.states if s.is_public]

    def editable_states(self, role: str | None = None) -> list[str]:
        return [s.name for s in self.states if s.editable_by and (role is None or role in s.editable_by)]

    def trigger_label(self, trigger: str) -> tuple[str, str] | None:
        """(ja, en) of a trigger, creation included; None for a name this lifecycle does not know."""
        if self.creation is not None and trigger == self.creation.trigger:
            return self.creation.label_ja, self.creation.label_en
        ts = self.transitions_for(trigger)
        return (ts[0].label_ja, ts[0].label_en) if ts else None
