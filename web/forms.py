"""Transition forms, generated from ``states/``: each trigger's inputs with their labels,
kinds and help, in the order the definition gives them. Nothing here repeats the
lifecycle: adding an input to a transition in ``states/`` adds it to the form.

What this module adds is only what a page needs beyond the definition: which people,
departments or organisations an ``id``/``ids`` input may name (looked up in the database),
sensible starting values (a contract starts from the proposal), and turning the posted
form back into the engine's inputs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from sqlalchemy import select
from sqlmodel import Session

from db.models import Department, Membership, Organisation, OwnProject, User, UserRole
from states import InputSpec, Lifecycle, Transition
from states.common import CONTRACT_FORM_LABELS
from states.vocabulary import ORGANISATION_KINDS
from web.i18n import label, pick
from workflow.calendar.japan import fiscal_year
from workflow.calendar.clock import Clock, japan_today

# Where a trigger's form is shown when it is not on the case page itself.
FORM_PAGES = {
    "submit_review": "review",
    "adopt": "decision",
    "reject": "decision",
    "return_to_coordination": "decision",
    "conclude_contract": "contract",
    "exempt_contract": "contract",
    "amend_contract": "contract",
}

CHOICE_LABELS: dict[str, dict[str, tuple[str, str]]] = {"contract_form": CONTRACT_FORM_LABELS}

WIDGETS = {
    "text": "textarea",
    "int": "number",
    "date": "date",
    "score": "radios",
    "ids": "checkboxes",
    "id": "select",
    "choice": "select",
    "fiscal_year": "number",
    "partners": "checkboxes",
}


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    kind: str
    widget: str
    required: bool
    help: str = ""
    options: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Form:
    """One form on a page; several transitions with the same inputs share it (adopt/reject)."""

    key: str
    transitions: tuple[Transition, ...]
    fields: tuple[Field, ...]
    values: dict[str, Any] = field(default_factory=dict)

    @property
    def needs_reasons(self) -> bool:
        return any(f.name == "reasons" for f in self.fields)


# --- options for inputs that name things in the database

Options = Callable[[Session, Any, str], list[tuple[str, str]]]


def _reviewers(s: Session, proposal, lang: str) -> list[tuple[str, str]]:
    members = select(Membership.user_id).where(Membership.organisation_id == proposal.organisation_id)
    rows = s.execute(
        select(User.id, User.name).join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == "reviewer", User.active.is_(True), User.id.not_in(members))
        .order_by(User.id)
    )
    return [(str(i), n) for i, n in rows]


def _departments(s: Session, proposal, lang: str) -> list[tuple[str, str]]:
    rows = s.execute(select(Department.id, Department.name_ja, Department.name_en).order_by(Department.id))
    return [(str(i), pick(lang, ja, en)) for i, ja, en in rows]


def _organisations(s: Session, proposal, lang: str) -> list[tuple[str, str]]:
    rows = s.execute(select(Organisation.id, Organisation.name, Organisation.kind).order_by(Organisation.id))
    return [(str(i), f"{n}（{label(lang, ORGANISATION_KINDS.get(k, (k, k)))}）") for i, n, k in rows]


def _own_projects(s: Session, proposal, lang: str) -> list[tuple[str, str]]:
    rows = s.execute(
        select(OwnProject.id, OwnProject.title).where(OwnProject.proposal_id == proposal.id,
                                                      OwnProject.ended_on.is_(None)).order_by(OwnProject.id)
    )
    return [(str(i), t) for i, t in rows]


OPTIONS: dict[str, Options] = {
    "reviewer_ids": _reviewers,
    "department_id": _departments,
    "partner_ids": _organisations,
    "own_project_id": _own_projects,
}


def _field(s: Session, lc: Lifecycle, spec: InputSpec, required: bool, proposal, lang: str) -> Field:
    widget = WIDGETS[spec.kind]
    options: tuple[tuple[str, str], ...] = ()
    if spec.kind == "choice":
        labels = CHOICE_LABELS.get(spec.name, {})
        options = tuple((c, label(lang, labels[c]) if c in labels else c) for c in spec.choices)
    elif spec.kind == "score":
        options = tuple((str(n), str(n)) for n in range(1, 6))
    elif spec.kind in ("id", "ids") and spec.name in OPTIONS:
        options = tuple(OPTIONS[spec.name](s, proposal, lang))
    elif spec.kind in ("id", "ids"):
        widget = "text"
    if spec.kind == "text" and spec.name.endswith("_title"):
        widget = "text"  # a name, one line
    return Field(spec.name, label(lang, spec), spec.kind, widget, required, pick(lang, spec.help_ja, spec.help_en),
                 options)


def starting_values(s: Session, trigger: str, proposal, clock: Clock) -> dict[str, Any]:
    """What a form starts with: the contract from the proposal, the department already chosen."""
    if trigger in ("conclude_contract",):
        return {"contract_form": proposal.desired_contract_form or "", "partner_ids": [str(proposal.organisation_id)],
                "purpose": proposal.purpose, "role_sharing": proposal.proposed_roles,
                "amount_yen": "" if proposal.estimated_cost_yen is None else str(proposal.estimated_cost_yen)}
    if trigger == "start_review" and proposal.department_id:
        return {"department_id": str(proposal.department_id)}
    if "fiscal_year" in _inputs_of(trigger, proposal):
        return {"fiscal_year": str(fiscal_year(japan_today(clock)) - 1)}
    return {}


def _inputs_of(trigger: str, proposal) -> tuple[str, ...]:
    from states import get_lifecycle

    t = get_lifecycle(proposal.lifecycle).transition_from(trigger, proposal.state)
    return (t.inputs + t.optional_inputs) if t else ()


def build_forms(s: Session, lc: Lifecycle, transitions: list[Transition], proposal, lang: str,
                clock: Clock) -> list[Form]:
    """Forms for ``transitions``; those with the same (non-empty) inputs share one form."""
    groups: dict[tuple, list[Transition]] = {}
    for t in transitions:
        key = (t.inputs, t.optional_inputs) if t.inputs else (t.trigger,)
        groups.setdefault(key, []).append(t)
    forms = []
    for ts in groups.values():
        first = ts[0]
        fields = tuple(
            [_field(s, lc, lc.input(n), True, proposal, lang) for n in first.inputs]
            + [_field(s, lc, lc.input(n), False, proposal, lang) for n in first.optional_inputs]
        )
        forms.append(Form("-".join(t.trigger for t in ts), tuple(ts), fields,
                          starting_values(s, first.trigger, proposal, clock)))
    return forms


def read_inputs(lc: Lifecycle, t: Transition, form) -> dict[str, Any]:
    """The engine's inputs from a posted form (blank optional inputs are left out)."""
    out: dict[str, Any] = {}
    for name in (*t.inputs, *t.optional_inputs):
        spec = lc.input(name)
        if spec.kind in ("ids", "partners"):
            values = [v for v in form.getlist(name) if isinstance(v, str)]
            if len(values) == 1 and ("," in values[0] or "、" in values[0]):
                values = values[0].replace("、", ",").split(",")
            out[name] = [v.strip() for v in values if v.strip()]
        else:
            value = form.get(name)
            out[name] = value.strip() if isinstance(value, str) else ""
        if name in t.optional_inputs and out[name] in ("", []):
            del out[name]
    return out


def echo_values(lc: Lifecycle, t: Transition, form) -> dict[str, Any]:
    """What the person typed, to show again beside the errors."""
    values: dict[str, Any] = {}
    for name in (*t.inputs, *t.optional_inputs):
        if lc.input(name).kind in ("ids", "partners"):
            values[name] = [v for v in form.getlist(name) if isinstance(v, str)]
        else:
            v = form.get(name)
            values[name] = v if isinstance(v, str) else ""
    return values

