"""Conflicts of interest declared on a case (利害関係の申出).

A person who declares one takes no further part in reviewing, coordinating or deciding
the case; the declaration is kept for the record and never withdrawn.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Text
from sqlmodel import Field, SQLModel, UniqueConstraint

from db.types import UTCDateTime


class ConflictDeclaration(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("proposal_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    proposal_id: int = Field(foreign_key="proposal.id", index=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    # The role the person held on the case when declaring (reviewer, department …).
    role: str = Field(max_length=20)
    reason: str = Field(sa_type=Text)
    declared_at: datetime = Field(sa_type=UTCDateTime)
