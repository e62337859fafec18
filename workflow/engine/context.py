"""What one trigger application knows while it runs: the case, the actor, the inputs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Connection, bindparam, select
from sqlmodel import Session

from config import Settings
from db.models import Department, Organisation
from states import Lifecycle, Transition
from workflow.actors import Actor
from workflow.calendar.clock import Clock

_ORG = Organisation.__table__
_DEPT = Department.__table__
# Built once: on the hot path, building a statement costs more than running it.
_ORGANISATION = select(_ORG.c.id, _ORG.c.name, _ORG.c.representative_title, _ORG.c.representative_name).where(
    _ORG.c.id == bindparam("id"))
_DEPARTMENT = select(_DEPT.c.id, _DEPT.c.name_ja).where(_DEPT.c.id == bindparam("id"))


class OrganisationNames(NamedTuple):
    id: int
    name: str
    representative_title: str
    representative_name: str


class DepartmentName(NamedTuple):
    id: int
    name_ja: str


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
    # Reads shared by conditions, effects and notices within this one trigger.
    memo: dict[str, Any] = field(default_factory=dict)
    # The connection of the change's transaction, when the engine has it already (see ``db``).
    connection: Connection | None = field(default=None, repr=False)

    @property
    def proposal_id(self) -> int:
        return self.proposal.id

    @property
    def db(self) -> Connection:
        """The connection of the change's transaction. Core statements (a table's, not a mapped
        class's) run on it directly: through the session they cost a third more, for nothing,
        as the engine keeps no ORM objects pending."""
        if self.connection is None:
            self.connection = self.session.connection()
        return self.connection

    def organisation(self, organisation_id: int | None):
        """The organisation's names, or None when there is none; read once per trigger (the
        case's own come with the case row)."""
        return self._read("organisation", _ORGANISATION, OrganisationNames, organisation_id)

    def department(self, department_id: int | None):
        """The department's name, or None when there is none; read once per trigger (the
        case's own comes with the case row)."""
        return self._read("department", _DEPARTMENT, DepartmentName, department_id)

    def _read(self, kind: str, stmt, shape, key: int | None):
        if key is None:
            return None
        memo_key = (kind, key)
        if memo_key not in self.memo:
            found = self.db.execute(stmt, {"id": key}).first()
            self.memo[memo_key] = shape(*found) if found is not None else None
        return self.memo[memo_key]
