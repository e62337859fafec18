"""Citizen proposals as their groups write them: create a draft, save revisions, read them.

Both are transitions of the lifecycle (``Lifecycle.creation`` and ``save_revision`` in
``states/``) applied by the engine, so each has its audit event, its version change and
its state check in the same transaction; these functions only name them for callers.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from db.models import ProposalRevision
from states.common import SAVE_REVISION
from workflow.actors import Actor
from workflow.calendar.clock import Clock
from workflow.engine import core

LIFECYCLE = "citizen_proposal"


def create(session: Session, actor: Actor, organisation_id: int, content: dict[str, Any], *,
           clock: Clock | None = None, lifecycle: str = LIFECYCLE) -> int:
    """A new draft proposal of ``organisation_id``, written by one of its members."""
    out = core.create(session, lifecycle, actor, {"organisation_id": organisation_id, "content": content},
                      clock=clock)
    return out.proposal_id


def save_revision(session: Session, actor: Actor, proposal_id: int, changes: dict[str, Any], *,
                  note: str = "", expected_version: int | None = None, clock: Clock | None = None) -> int:
    """Save the author's edits as a new revision; returns the revision number."""
    given: dict[str, Any] = {"content": changes}
    if note:
        given["revision_note"] = note
    out = core.apply(session, proposal_id, SAVE_REVISION, actor, given, expected_version=expected_version,
                     clock=clock)
    return out.facts["revision"]


def revisions(session: Session, proposal_id: int) -> list[ProposalRevision]:
    return list(session.execute(
        select(ProposalRevision).where(ProposalRevision.proposal_id == proposal_id).order_by(ProposalRevision.number)
    ).scalars())
