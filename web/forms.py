"""Transition forms, generated from ``states/``: each trigger's inputs with their labels,
kinds and help, in the order the definition gives them. Nothing here repeats the
lifecycle: adding an input to a transition in ``states/`` adds it to the form, and the
page that shows a form is the transition's own (``Transition.page``).

What this module adds is only what a page needs beyond the definition: which people,
departments, organisations or applications an ``id``/``ids`` input may name (looked up
in the database, for the person asking), sensible starting values read from the case by
input name (a contract starts from the proposal), and turning the posted form back into
the engine's inputs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from sqlalchemy import exists, select
from sqlmodel import Session

from db.models import (
    ApplicationReview,
    CallApplication,
    ConflictDeclaration,
    Department,
    Membership,
    Organisation,
    OwnProject,
    Review,
    ReviewAssignment,
    User,
    UserRole,
)
from states import InputSpec, Lifecycle, Transition
from states.common import CONTRACT_FORM_LABELS
from states.vocabulary import ORGANISATION_KINDS
from web.i18n import label, pick, t as message
from workflow.actors import Actor
from workflow.calendar.clock import Clock, japan_today
from workflow.calendar.japan import fiscal_year

# Pages whose transitions are never a generic form: the editor and the attachments
# section have their own forms (content and files are not typed into text boxes), and
# the system's own transitions are run by its jobs.
OWN_FORMS = frozenset({"editor", "attachments", "system"})

CHOICE_LABELS: dict[str, dict[str, tuple[str, str]]] = {"contract_form": CONTRACT_FORM_LABELS}

# Input kind → widget; None: the kind has no generic widget (a transition asking for it
# is offered on its own page, never as a generic form).
WIDGETS: dict[str, str | None] = {
    "text": "textarea",
    "line": "text",
    "int": "number",
    "date": "date",
    "score": "radios",
    "ids": "checkboxes",
    "id": "select",
    "choice": "select",
    "fiscal_year": "number",
    "partners": "checkboxes",
    "content": None,
    "upload": None,
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


@dataclass(frozen=True)
class Ask:
    """Who a form is built for: the session, the case, the person and the role they act in."""

    s: Session
    case: Any
    actor: Actor
    role: str
    lang: str


# --- options for inputs that name things in the database

Options = Callable[[Ask], list[tuple[str, str]]]


def _active_applications(case_id: int):
    return select(CallApplication.id, CallApplication.organisation_id, Organisation.name).join(
        Organisation, Organisation.id == CallApplication.organisation_id
    ).where(CallApplication.proposal_id == case_id, CallApplication.withdrawn.is_(False))


def _involved(ask: Ask) -> set[int]:
    """Organisations whose members may not review the case: the proposer and every active applicant."""
    orgs = {o for _, o, _ in ask.s.execute(_active_applications(ask.case.id))}
    if ask.case.organisation_id is not None:
        orgs.add(ask.case.organisation_id)
    return orgs


def _reviewers(ask: Ask) -> list[tuple[str, str]]:
    """Reviewers who may be asked: no stake in the case, no conflict declared, not asked before
    (a replaced reviewer is not asked again)."""
    members = select(Membership.user_id).where(Membership.organisation_id.in_(list(_involved(ask)) or [-1]))
    asked = select(ReviewAssignment.reviewer_id).where(ReviewAssignment.proposal_id == ask.case.id)
    declared = select(ConflictDeclaration.user_id).where(ConflictDeclaration.proposal_id == ask.case.id)
    rows = ask.s.execute(
        select(User.id, User.name).join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == "reviewer", User.active.is_(True), User.id.not_in(members),
               User.id.not_in(asked), User.id.not_in(declared))
        .order_by(User.id)
    )
    return [(str(i), n) for i, n in rows]


def _leaving_reviewers(ask: Ask) -> list[tuple[str, str]]:
    """Reviewers still on the case who have not reviewed anything (one who has cannot be replaced)."""
    reviewed = select(Review.reviewer_id).where(Review.proposal_id == ask.case.id).union(
        select(ApplicationReview.reviewer_id).join(CallApplication, CallApplication.id == ApplicationReview.application_id)
        .where(CallApplication.proposal_id == ask.case.id))
    rows = ask.s.execute(
        select(User.id, User.name).join(ReviewAssignment, ReviewAssignment.reviewer_id == User.id)
        .where(ReviewAssignment.proposal_id == ask.case.id, ReviewAssignment.ended_at.is_(None),
               User.id.not_in(reviewed))
        .order_by(User.id)
    )
    return [(str(i), n) for i, n in rows]


def _departments(ask: Ask) -> list[tuple[str, str]]:
    rows = ask.s.execute(select(Department.id, Department.name_ja, Department.name_en).order_by(Department.id))
    return [(str(i), pick(ask.lang, ja, en)) for i, ja, en in rows]


def _organisations(ask: Ask) -> list[tuple[str, str]]:
    rows = ask.s.execute(select(Organisation.id, Organisation.name, Organisation.kind).order_by(Organisation.id))
    return [(str(i), f"{n}（{label(ask.lang, ORGANISATION_KINDS.get(k, (k, k)))}）") for i, n, k in rows]


def _own_organisations(ask: Ask) -> list[tuple[str, str]]:
    """The person's own organisations that have not applied to this case yet."""
    applied = select(CallApplication.organisation_id).where(CallApplication.proposal_id == ask.case.id)
    rows = ask.s.execute(
        select(Organisation.id, Organisation.name)
        .where(Organisation.id.in_(list(ask.actor.organisation_ids) or [-1]), Organisation.id.not_in(applied))
        .order_by(Organisation.id))
    return [(str(i), n) for i, n in rows]


def _applications(ask: Ask) -> list[tuple[str, str]]:
    """Active applications the person may name: a group only its own (it never learns who
    else applied), a reviewer those it has still to review (never its own group's), the
    city every one."""
    q = _active_applications(ask.case.id).order_by(CallApplication.id)
    if ask.role == "proposer":
        q = q.where(CallApplication.organisation_id.in_(list(ask.actor.organisation_ids) or [-1]))
    elif ask.role == "reviewer":
        done = exists().where(ApplicationReview.application_id == CallApplication.id,
                              ApplicationReview.reviewer_id == ask.actor.user_id)
        q = q.where(~done, CallApplication.organisation_id.not_in(list(ask.actor.organisation_ids) or [-1]))
    return [(str(i), message(ask.lang, "application_option", id=i, org=name)) for i, _, name in ask.s.execute(q)]


def _own_projects(ask: Ask) -> list[tuple[str, str]]:
    rows = ask.s.execute(
        select(OwnProject.id, OwnProject.title).where(OwnProject.proposal_id == ask.case.id,
                                                      OwnProject.ended_on.is_(None)).order_by(OwnProject.id)
    )
    return [(str(i), t) for i, t in rows]


OPTIONS: dict[str, Options] = {
    "reviewer_ids": _reviewers,
    "incoming_reviewer_id": _reviewers,
    "leaving_reviewer_id": _leaving_reviewers,
    "department_id": _departments,
    "partner_ids": _organisations,
    "organisation_id": _own_organisations,
    "application_id": _applications,
    "selected_application_id": _applications,
    "own_project_id": _own_projects,
}


def _field(ask: Ask, spec: InputSpec, required: bool) -> Field:
    widget = WIDGETS[spec.kind] or "text"
    options: tuple[tuple[str, str], ...] = ()
    if spec.kind == "choice":
        labels = CHOICE_LABELS.get(spec.name, {})
        options = tuple((c, label(ask.lang, labels[c]) if c in labels else c) for c in spec.choices)
    elif spec.kind == "score":
        options = tuple((str(n), str(n)) for n in range(1, 6))
    elif spec.kind in ("id", "ids") and spec.name in OPTIONS:
        options = tuple(OPTIONS[spec.name](ask))
    elif spec.kind in ("id", "ids"):
        widget = "text"
    if spec.kind == "text" and spec.name.endswith("_title"):
        widget = "text"  # a name, one line
    return Field(spec.name, label(ask.lang, spec), spec.kind, widget, required,
                 pick(ask.lang, spec.help_ja, spec.help_en), options)


# --- starting values, read from the case by the input's name

def _text(value: Any) -> str:
    return "" if value is None else str(value)


STARTING: dict[str, Callable[[Any, Clock], Any]] = {
    "contract_form": lambda case, clock: case.desired_contract_form or "",
    "partner_ids": lambda case, clock: [str(case.organisation_id)] if case.organisation_id else [],
    "purpose": lambda case, clock: case.purpose or "",
    "role_sharing": lambda case, clock: case.proposed_roles or "",
    "amount_yen": lambda case, clock: _text(case.estimated_cost_yen),
    "department_id": lambda case, clock: _text(case.department_id),
    # The evaluation of a completed year is asked for after it ends: last fiscal year.
    "fiscal_year": lambda case, clock: str(fiscal_year(japan_today(clock)) - 1),
}


def starting_values(names: tuple[str, ...], case, clock: Clock) -> dict[str, Any]:
    """What a form starts with: the contract from the proposal, the department already chosen."""
    return {n: STARTING[n](case, clock) for n in names if n in STARTING}


# --- forms

def has_generic_form(t: Transition) -> bool:
    return t.page not in OWN_FORMS


def build_forms(s: Session, lc: Lifecycle, offers: list, case, actor: Actor, lang: str,
                clock: Clock) -> tuple[list[Form], list[tuple[Transition, tuple[str, ...]]]]:
    """Forms for the ready ``offers`` (those with the same non-empty inputs share one form),
    and the offers that cannot be sent now because a required choice has nothing to choose
    (each with what the page says instead)."""
    groups: dict[tuple, list] = {}
    for o in offers:
        t = o.transition
        key = (t.inputs, t.optional_inputs, o.role) if t.inputs else (t.trigger,)
        groups.setdefault(key, []).append(o)
    forms: list[Form] = []
    empty: list[tuple[Transition, tuple[str, ...]]] = []
    for group in groups.values():
        first = group[0].transition
        ask = Ask(s, case, actor, group[0].role, lang)
        specs = [(lc.input(n), True) for n in first.inputs] + [(lc.input(n), False) for n in first.optional_inputs]
        if any(WIDGETS[spec.kind] is None for spec, _ in specs):
            continue  # content and files have their own pages
        fields = tuple(_field(ask, spec, required) for spec, required in specs)
        nothing = [f for f in fields if f.required and f.name in OPTIONS and not f.options]
        if nothing:
            for o in group:
                empty.append((o.transition, tuple(message(lang, "nothing_to_choose", what=f.label) for f in nothing)))
            continue
        values = starting_values(first.inputs + first.optional_inputs, case, clock)
        for f in fields:  # one thing to choose from: chosen already
            if f.required and f.widget == "select" and len(f.options) == 1 and f.name not in values:
                values[f.name] = f.options[0][0]
        forms.append(Form("-".join(o.transition.trigger for o in group), tuple(o.transition for o in group), fields,
                          values))
    return forms, empty


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
    """What the person typed, to show again beside the errors (or to carry through a confirmation)."""
    values: dict[str, Any] = {}
    for name in (*t.inputs, *t.optional_inputs):
        if lc.input(name).kind in ("ids", "partners"):
            values[name] = [v for v in form.getlist(name) if isinstance(v, str)]
        else:
            v = form.get(name)
            values[name] = v if isinstance(v, str) else ""
    return values
