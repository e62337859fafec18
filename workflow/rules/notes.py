"""Notes kept with a case: coordination logs, revision requests, opinions, reports, reasons.

A transition that keeps a note names it in ``states/`` (``Transition.note``: the note's
kind and the input it is written from), so one effect serves every lifecycle.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import insert

from db.models import CaseNote

if TYPE_CHECKING:
    from workflow.engine.context import Case

_KEEP = insert(CaseNote.__table__)


def keep(case: Case, kind: str, text: str) -> None:
    case.db.execute(_KEEP, dict(
        proposal_id=case.proposal_id, kind=kind, text=text, author_id=case.actor.user_id, created_at=case.now))


def keep_transition_note(case: Case) -> None:
    """The note the transition declares, when its input was given (optional reasons may be blank)."""
    if not case.transition.note:
        return
    kind, name = case.transition.note
    if case.values.get(name):
        keep(case, kind, case.values[name])


def record_note(case: Case):
    keep_transition_note(case)


def mark_submitted(case: Case):
    return {"submitted_at": case.now}


EFFECTS = {"record_note": record_note, "mark_submitted": mark_submitted}
