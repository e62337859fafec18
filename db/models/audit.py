"""The append-only audit trail: one event for every trigger applied to a case.

The migration adds database triggers that refuse UPDATE and DELETE on this table.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON
from sqlmodel import Field, SQLModel, UniqueConstraint

from db.types import UTCDateTime


class AuditEvent(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("proposal_id", "seq"),)

    id: int | None = Field(default=None, primary_key=True)
    proposal_id: int = Field(foreign_key="proposal.id", index=True)
    seq: int = Field(description="equals the case's version after the event")
    trigger: str = Field(max_length=40)
    from_state: str = Field(max_length=40)
    to_state: str = Field(max_length=40)
    actor_id: int = Field(foreign_key="user.id")
    actor_role: str = Field(max_length=20)
    revision: int = Field(description="the proposal revision the event acted on")
    inputs: dict = Field(default_factory=dict, sa_type=JSON)
    at: datetime = Field(sa_type=UTCDateTime)


class DirectoryEvent(SQLModel, table=True):
    """The audit trail of the directory: organisations, their members, users, departments.

    These are not cases, so they have no lifecycle; who changed them, when and how is
    kept here, append-only like the cases' trail.
    """

    id: int | None = Field(default=None, primary_key=True)
    subject: str = Field(max_length=20, description="organisation, membership, user or department")
    subject_id: int = Field(index=True)
    action: str = Field(max_length=40)
    actor_id: int | None = Field(default=None, foreign_key="user.id")
    details: dict = Field(default_factory=dict, sa_type=JSON)
    at: datetime = Field(sa_type=UTCDateTime)
