"""The content editor: every field an author writes (``db.models.proposals.ProposalContent``),
read from a posted form and checked with the engine's own rules, all errors at once.

A citizen group writes a proposal; a department writes a call for partners, which adds
the terms its creation asks for (selection criteria and closing date) and has no
proposed roles or confidentiality request (both are the group's, Art. 8 and Art. 13).
Which is which is read from the lifecycle's creation transition, not from its name.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from sqlmodel import Session
from starlette.requests import Request

from db.models.proposals import CONTENT_FIELDS
from states import Lifecycle
from states.common import CONTRACT_FORM_LABELS, CONTRACT_FORMS
from states.vocabulary import CONFIDENTIALISABLE_FIELDS, FIELDS
from web.casepage import can_edit
from web.deps import Forbidden, visible_case
from web.pages import render
from workflow import round_entry
from workflow.actors import Actor
from workflow.errors import InvalidInput
from workflow.rules.content import REQUIRED_CALL_FIELDS, REQUIRED_PROPOSAL_FIELDS, ROUND_FIELDS, clean_content


@dataclass(frozen=True)
class EditorField:
    name: str
    widget: str  # text, textarea, number, select, date
    required_to_submit: bool
    options: tuple[tuple[str, tuple[str, str]], ...] = ()


def _fields(names: tuple[str, ...], required: tuple[str, ...]) -> tuple[EditorField, ...]:
    widgets = {"title": "text", "field": "select", "estimated_cost_yen": "number", "desired_contract_form": "select",
               "closing_on": "date"}
    options = {"field": tuple((str(n), labels) for n, labels in FIELDS.items()),
               "desired_contract_form": tuple((k, CONTRACT_FORM_LABELS[k]) for k in CONTRACT_FORMS)}
    return tuple(EditorField(n, widgets.get(n, "textarea"), n in required, options.get(n, ())) for n in names)


# What a group writes (Art. 10(1)) and what a department writes for a call (Art. 9(1)).
PROPOSAL_FIELDS = _fields(("title", "field", "purpose", "content", "proposed_roles", "estimated_cost_yen",
                           "desired_contract_form"), REQUIRED_PROPOSAL_FIELDS)
CALL_FIELDS = _fields(("title", "field", "purpose", "content", "estimated_cost_yen", "desired_contract_form",
                       "selection_criteria", "closing_on"), REQUIRED_CALL_FIELDS)
assert {f.name for f in PROPOSAL_FIELDS + CALL_FIELDS} | {"confidential_fields"} == set(CONTENT_FIELDS), \
    "the editor must offer every field of the content"

CONFIDENTIAL_CHOICES = CONFIDENTIALISABLE_FIELDS
# Blank means "not given" for these, not an empty text (no round: a proposal at any time).
_NULLABLE = ("field", "estimated_cost_yen", "desired_contract_form", "closing_on", *ROUND_FIELDS)


@dataclass(frozen=True)
class Kind:
    """The editor for one lifecycle: its fields, whether the author may ask for
    confidentiality, and the fields the case cannot be created without."""

    fields: tuple[EditorField, ...]
    confidential: bool
    required_now: frozenset[str] = frozenset()


def kind_of(lc: Lifecycle) -> Kind:
    """A case whose creation asks for its call's terms is written by the city; others by a group."""
    asks = set(lc.creation.inputs + lc.creation.optional_inputs) if lc.creation else set()
    # The terms the creation cannot go without (the content as a whole is checked when it is submitted).
    required_now = frozenset(n for n in (lc.creation.inputs if lc.creation else ())
                             if n in CONTENT_FIELDS and lc.input(n).kind != "content")
    if asks & {"selection_criteria", "closing_on"}:
        return Kind(CALL_FIELDS, False, required_now)
    return Kind(PROPOSAL_FIELDS, True, required_now)


def _round_label(choice: round_entry.Choice) -> tuple[str, str]:
    r = choice.round
    ja, en = round_entry.window_words(r)
    title_ja, title_en = round_entry.round_title(r)
    if choice.open_now:
        return f"{title_ja}（募集期間：{ja}）", f"{title_en} (window: {en})"
    return f"{title_ja}（受付終了・募集期間：{ja}）", f"{title_en} (closed; window: {en})"


def with_rounds(kind: Kind, db: Session, lc: Lifecycle, today: date, proposal=None) -> Kind:
    """A group's editor with the round and theme to apply to, while the proposal may still name them.

    Offered are the rounds accepting applications today (the round a draft already names
    stays offered after it closes, so that saving other fields keeps it), and their themes.
    Only a new proposal or a draft names its round: once submitted, where it applied is settled.
    """
    if kind.fields is not PROPOSAL_FIELDS or (proposal is not None and proposal.state != lc.initial):
        return kind
    found = round_entry.choices(db, today, keep_round_id=proposal.round_id if proposal is not None else None)
    if not found:
        return kind
    rounds = tuple((str(c.round.id), _round_label(c)) for c in found)
    themes = tuple((str(t.id), (f"{round_entry.round_title(c.round)[0]}：{t.title}",
                                f"{round_entry.round_title(c.round)[1]}: {t.title}"))
                   for c in found for t in c.themes)
    extra = (EditorField("round_id", "select", False, rounds),)
    if themes:
        extra += (EditorField("theme_id", "select", False, themes),)
    return replace(kind, fields=extra + kind.fields)


def editable_case(db: Session, actor: Actor, pid: int):
    """The case, if the actor may change its content now (``State.editable_by`` and reach); else Forbidden."""
    row = visible_case(db, actor, pid)
    if not can_edit(db, actor, row):
        db.rollback()
        raise Forbidden("この案件の内容や添付ファイルは、いま変更できません（担当の方が編集できる状態のときだけ変更できます）。",
                        "The content and attachments of this case cannot be changed now, or not by you.")
    return row


def _number(text: str) -> str:
    # Full-width digits and thousands separators are how many people type yen amounts.
    return unicodedata.normalize("NFKC", text).replace(",", "").replace("円", "").replace("¥", "").strip()


def read(form, kind: Kind) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for f in kind.fields:
        raw = form.get(f.name)
        value = raw.strip() if isinstance(raw, str) else ""
        if f.name in ("field", "estimated_cost_yen"):
            value = _number(value)
        data[f.name] = value
    if kind.confidential:
        data["confidential_fields"] = sorted(v for v in form.getlist("confidential_fields") if isinstance(v, str))
        # The round chosen on the page is read even if it closed before the form came back:
        # the engine then refuses it, saying so, rather than the proposal losing its round unseen.
        for name in ROUND_FIELDS:
            if name not in data and isinstance(form.get(name), str):
                data[name] = form.get(name).strip()
    return data


def check(data: dict[str, Any], lang: str) -> tuple[dict[str, Any], dict[str, str]]:
    """Clean values (blank numbers, choices and dates become None) and every error by field."""
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    for name, value in data.items():
        if value == "" and name in _NULLABLE:
            clean[name] = None
            continue
        try:
            clean.update(clean_content({name: value}))
        except InvalidInput as exc:
            errors[exc.name] = exc.message(lang)
    return clean, errors


def changes(current, clean: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for name, value in clean.items():
        old = getattr(current, name)
        if name == "confidential_fields":
            if sorted(old or []) != sorted(value or []):
                out[name] = value
        elif (old if old is not None else None) != value and not (old in (None, "") and value in (None, "")):
            out[name] = value
    return out


def blank(kind: Kind) -> dict[str, Any]:
    return {f.name: "" for f in kind.fields} | {"confidential_fields": []}


def as_form(proposal, kind: Kind) -> dict[str, Any]:
    values = {f.name: "" if getattr(proposal, f.name) is None else str(getattr(proposal, f.name)) for f in kind.fields}
    values["confidential_fields"] = list(proposal.confidential_fields or [])
    return values


def page(request: Request, *, kind: Kind, values: dict[str, Any], errors: dict[str, str], action: str,
         proposal=None, org=None, dept=None, status: int = 200, message: tuple[str, str] | None = None):
    """The editor page: a new case (``proposal`` None) or a revision of one."""
    return render(request, "editor.html", {
        "org": org, "dept": dept, "values": values, "errors": errors, "proposal": proposal, "message": message,
        "fields": kind.fields, "confidential": kind.confidential, "confidential_choices": CONFIDENTIAL_CHOICES,
        "action": action, "is_call": kind.fields is CALL_FIELDS, "required_now": kind.required_now,
    }, status=status)
