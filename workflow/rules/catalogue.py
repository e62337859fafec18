"""Which function answers which name of a lifecycle's definition, per lifecycle.

A definition in ``states/`` names its conditions and effects; this catalogue says, for
each lifecycle explicitly, which functions those names mean. The functions are shared
(reviews, decisions, notes and case creation are one module each); what differs between
lifecycles is only which of them a lifecycle uses and how its reviewers are "done".
Nothing registers itself by being imported.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

from states import LIFECYCLES, Lifecycle
from states.model import PAGES, PUBLIC_VIEWS
from states.notices import NOTICE_KINDS
from workflow.rules import (
    attachments,
    budgets,
    calls,
    cases,
    conflicts,
    contracts,
    decisions,
    evaluations,
    notes,
    own_projects,
    reviews,
    rounds,
)
from workflow.rules.notice_content import PARTS

Predicate = Callable[[Any], bool]
Effect = Callable[[Any], "dict[str, Any] | None"]


@dataclass(frozen=True)
class Rules:
    conditions: Mapping[str, Predicate]
    effects: Mapping[str, Effect]
    # SQL: the reviewer (a column or id) still has something of the case (a column or id) to review.
    review_pending: Callable[[Any, Any], Any]


# Every lifecycle creates, edits, keeps notes, decides, contracts and evaluates alike, and
# lets the people who act on a case declare a conflict of interest.
_SHARED_EFFECTS = {**cases.EFFECTS, **notes.EFFECTS, **reviews.EFFECTS, **decisions.EFFECTS,
                   **contracts.EFFECTS, **own_projects.EFFECTS, **evaluations.EFFECTS, **attachments.EFFECTS,
                   **conflicts.EFFECTS}
_SHARED_CONDITIONS = {**cases.CONDITIONS, **contracts.CONDITIONS, **own_projects.CONDITIONS,
                      **evaluations.CONDITIONS}
# A citizen proposal may be made in a round (募集) and is received inside its window. The
# round's rules are declared with the shared conditions (states/common.py), so a call for
# partners answers them too: it is never made in a round, and they hold for a case without one.
_ROUND_CONDITIONS = {**rounds.CONDITIONS, **budgets.CONDITIONS}

RULES: dict[str, Rules] = {
    "citizen_proposal": Rules(
        conditions={**_SHARED_CONDITIONS, **reviews.CONDITIONS, **_ROUND_CONDITIONS},
        effects=_SHARED_EFFECTS,
        review_pending=reviews.pending_case_review,
    ),
    "city_call": Rules(
        conditions={**_SHARED_CONDITIONS, **reviews.CONDITIONS, **calls.CONDITIONS, **_ROUND_CONDITIONS},
        effects={**_SHARED_EFFECTS, **calls.EFFECTS},
        review_pending=reviews.pending_application_review,
    ),
}


def rules_for(lifecycle: str) -> Rules:
    try:
        return RULES[lifecycle]
    except KeyError:
        raise KeyError(f"no rules for lifecycle {lifecycle!r}; add it to workflow/rules/catalogue.py") from None


def problems(lc: Lifecycle) -> list[str]:
    """What the definition names that no function answers, or that no page can show."""
    if lc.name not in RULES:
        return [f"lifecycle {lc.name!r} has no entry in workflow/rules/catalogue.py"]
    rules = RULES[lc.name]
    found = [f"condition {c.name!r} has no predicate in the rules of {lc.name}"
             for c in lc.conditions if c.name not in rules.conditions]
    transitions = list(lc.transitions) + ([lc.creation] if lc.creation else [])
    for t in transitions:
        where = f"transition {t.trigger!r}"
        if t.effect and t.effect not in rules.effects:
            found.append(f"{where} runs unknown effect {t.effect!r}")
        if t.note and not t.effect:
            found.append(f"{where} keeps a note but runs no effect")
        if t.note and t.note[1] not in (*t.inputs, *t.optional_inputs):
            found.append(f"{where} keeps a note from {t.note[1]!r}, which it does not ask for")
        if t.page not in PAGES:
            found.append(f"{where} is offered on unknown page {t.page!r}")
        for n in t.notify:
            kind = NOTICE_KINDS.get(n.kind)
            for part in (kind.content if kind else ()):
                if part not in PARTS:
                    found.append(f"notice {n.kind!r} states unknown content {part!r}")
            if n.due and n.due not in lc._index["deadlines"]:
                found.append(f"{where} notice {n.kind!r} states the due date of undeclared deadline {n.due!r}")
            if kind and "due" in kind.content and not n.due:
                found.append(f"{where} notice {n.kind!r} states a due date but names no deadline")
    if lc.creation is None:
        found.append("no creation transition: nobody can start a case")
    elif lc.creation.dest != lc.initial:
        found.append(f"creation leads to {lc.creation.dest!r}, not to the initial state {lc.initial!r}")
    for s in lc.states:
        # A review must be able to finish whoever falls ill or turns out to have a conflict.
        if "reviewer" in s.waits_on:
            effects = {t.effect for t in lc.available_from(s.name) if t.is_loop}
            for needed in (reviews.assign_more_reviewers.__name__, reviews.hand_over_review.__name__):
                if needed not in effects:
                    found.append(f"state {s.name!r} waits on reviewers but offers no transition running {needed!r}")
        if s.is_public and s.public_view not in PUBLIC_VIEWS:
            found.append(f"state {s.name!r} is public but shows unknown view {s.public_view!r}")
        if s.editable_by and not any(t.effect == "record_revision" for t in lc.available_from(s.name)):
            found.append(f"state {s.name!r} is editable but offers no way to save a revision")
    return found


def all_problems() -> dict[str, list[str]]:
    return {name: problems(lc) for name, lc in LIFECYCLES.items()}
