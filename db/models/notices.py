"""The outbox: every notice to every person, written with the change that causes it.

One row per (notice, recipient). The row, not the broker, is the truth: a notice is sent
when its row says ``sent``; Celery only carries ids. ``dedupe_key`` makes a reminder for
the same (deadline, step, recipient) impossible to write twice.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Index, Text, text
from sqlmodel import Field, SQLModel

from db.types import UTCDateTime

PENDING, QUEUED, SENDING, SENT, FAILED = "pending", "queued", "sending", "sent", "failed"


class Notice(SQLModel, table=True):
    __table_args__ = (
        # The relay reads only the rows that still need work, oldest first.
        Index("ix_notice_unsent", "status", "next_attempt_at",
              sqlite_where=text("status <> 'sent'"), postgresql_where=text("status <> 'sent'")),
    )

    id: int | None = Field(default=None, primary_key=True)
    proposal_id: int | None = Field(default=None, foreign_key="proposal.id", index=True)
    kind: str = Field(max_length=40)
    recipient_id: int = Field(foreign_key="user.id", index=True)
    email: str = Field(max_length=254)
    language: str = Field(default="ja", max_length=5)
    context: dict = Field(default_factory=dict, sa_type=JSON)
    dedupe_key: str | None = Field(default=None, max_length=200, unique=True)
    status: str = Field(default=PENDING, max_length=10)
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_type=UTCDateTime)
    claimed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    message_id: str | None = Field(default=None, max_length=200)
    subject: str | None = Field(default=None, max_length=300)
    last_error: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = Field(sa_type=UTCDateTime)
