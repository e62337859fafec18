"""Decisions with their written reasons (Article 10(2)) and document numbering."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Text
from sqlmodel import Field, SQLModel, UniqueConstraint

from db.types import UTCDateTime


class Decision(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("document_prefix", "fiscal_year", "serial"),)

    id: int | None = Field(default=None, primary_key=True)
    proposal_id: int = Field(foreign_key="proposal.id", unique=True)
    outcome: str = Field(max_length=20, description="adopted or not_adopted")
    reasons: str = Field(sa_type=Text)
    decided_by: int = Field(foreign_key="user.id")
    document_prefix: str = Field(max_length=20)
    fiscal_year: int
    serial: int
    # Restarts every April: unique only together with the fiscal year (see __table_args__).
    document_number: str = Field(max_length=60, index=True)
    decided_at: datetime = Field(sa_type=UTCDateTime)


class DocumentSerial(SQLModel, table=True):
    """The last serial issued per prefix and fiscal year (第1号 restarts every April)."""

    prefix: str = Field(max_length=20, primary_key=True)
    fiscal_year: int = Field(primary_key=True)
    last_serial: int = 0
