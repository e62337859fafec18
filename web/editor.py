"""The proposal editor: every field a group writes (``db.models.proposals.ProposalContent``),
read from a posted form and checked with the engine's own rules, all errors at once.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

from db.models.proposals import CONTENT_FIELDS
from states.common import CONTRACT_FORM_LABELS, CONTRACT_FORMS
from states.vocabulary import CONFIDENTIALISABLE_FIELDS, FIELDS
from workflow.rules.content import REQUIRED_PROPOSAL_FIELDS, clean_content
from workflow.errors import InvalidInput


@dataclass(frozen=True)
class EditorField:
    name: str
    widget: str  # text, textarea, number, select
    required_to_submit: bool
    options: tuple[tuple[str, tuple[str, str]], ...] = ()


EDITOR_FIELDS = (
    EditorField("title", "text", "title" in REQUIRED_PROPOSAL_FIELDS),
    EditorField("field", "select", "field" in REQUIRED_PROPOSAL_FIELDS,
                tuple((str(n), labels) for n, labels in FIELDS.items())),
    EditorField("purpose", "textarea", "purpose" in REQUIRED_PROPOSAL_FIELDS),
    EditorField("content", "textarea", "content" in REQUIRED_PROPOSAL_FIELDS),
    EditorField("proposed_roles", "textarea", "proposed_roles" in REQUIRED_PROPOSAL_FIELDS),
    EditorField("estimated_cost_yen", "number", "estimated_cost_yen" in REQUIRED_PROPOSAL_FIELDS),
    EditorField("desired_contract_form", "select", False,
                tuple((k, CONTRACT_FORM_LABELS[k]) for k in CONTRACT_FORMS)),
)
assert {f.name for f in EDITOR_FIELDS} | {"confidential_fields"} == set(CONTENT_FIELDS), \
    "the editor must offer every field of the proposal"

CONFIDENTIAL_CHOICES = CONFIDENTIALISABLE_FIELDS


def _number(text: str) -> str:
    # Full-width digits and thousands separators are how many people type yen amounts.
    return unicodedata.normalize("NFKC", text).replace(",", "").replace("円", "").replace("¥", "").strip()


def read(form) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for f in EDITOR_FIELDS:
        raw = form.get(f.name)
        value = raw.strip() if isinstance(raw, str) else ""
        if f.name in ("field", "estimated_cost_yen"):
            value = _number(value)
        data[f.name] = value
    data["confidential_fields"] = sorted(v for v in form.getlist("confidential_fields") if isinstance(v, str))
    return data


def check(data: dict[str, Any], lang: str) -> tuple[dict[str, Any], dict[str, str]]:
    """Clean values (blank numbers and choices become None) and every error by field."""
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    for name, value in data.items():
        if value == "" and name in ("field", "estimated_cost_yen", "desired_contract_form"):
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


def as_form(proposal) -> dict[str, Any]:
    values = {f.name: "" if getattr(proposal, f.name) is None else str(getattr(proposal, f.name)) for f in EDITOR_FIELDS}
    values["confidential_fields"] = list(proposal.confidential_fields or [])
    return values
