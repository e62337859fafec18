"""What one trigger application knows while it runs: the case, the actor, the inputs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session

from config import Settings
from states import Lifecycle, Transition
from workflow.actors import Actor
from workflow.calendar.clock import Clock


@dataclass
class Case:
    session: Session
    lifecycle: Lifecycle
    transition: Transition
    proposal: Any  # the case row as loaded (a Row with attribute access); None while creating
    actor: Actor
    role: str
    values: dict[str, Any]
    clock: Clock
    settings: Settings
    now: datetime
    # Facts the effects learn while writing that deadlines and notices need (a new
    # own-project id, the reviewers just asked).
    facts: dict[str, Any] = field(default_factory=dict)
    # The proposal row as it is after the change (state, version and effects' updates),
    # so that notices need not read it again.
    after: Any = None
    # Due dates of the deadlines this change opened, by key.
    opened: dict[str, Any] = field(default_factory=dict)
    # Reads shared by conditions and effects within this one trigger.
    memo: dict[str, Any] = field(default_factory=dict)

    @property
    def proposal_id(self) -> int:
        return self.proposal.id
