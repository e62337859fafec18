"""Deadlines: who must act on a case by when. Reminders are derived from these rows."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Index, text
from sqlmodel import Field, SQLModel

from db.types import UTCDateTime


class Deadline(SQLModel, table=True):
    __table_args__ = (
        # The reminder scan reads only open deadlines by due date.
        Index("ix_deadline_open_due", "due_on", sqlite_where=text("closed_at IS NULL"),
              postgresql_where=text("closed_at IS NULL")),
        # The reviewer queue starts from open deadline rows of one kind, by due date.
        Index("ix_deadline_open_key_due", "key", "due_on", "proposal_id",
              sqlite_where=text("closed_at IS NULL"), postgresql_where=text("closed_at IS NULL")),
        # At most one open deadline of a kind per case and scope (fiscal year, own project).
        Index("uq_deadline_open", "proposal_id", "key", "scope", unique=True,
              sqlite_where=text("closed_at IS NULL"), postgresql_where=text("closed_at IS NULL")),
    )

    id: int | None = Field(default=None, primary_key=True)
    proposal_id: int = Field(foreign_key="proposal.id", index=True)
    key: str = Field(max_length=40)
    scope: str = Field(default="", max_length=40)
    waits_on: str = Field(max_length=20)
    due_on: date
    opened_at: datetime = Field(sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
