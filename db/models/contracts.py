"""Article 12 collaboration contracts, their partners and amendments; Article 11 own projects."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, JSON, Text
from sqlmodel import Field, SQLModel, UniqueConstraint

from db.types import UTCDateTime


class Contract(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    proposal_id: int = Field(foreign_key="proposal.id", index=True)
    form: str | None = Field(default=None, max_length=20)
    purpose: str = Field(default="", sa_type=Text)
    process: str = Field(default="", sa_type=Text)
    role_sharing: str = Field(default="", sa_type=Text)
    cost_sharing: str = Field(default="", sa_type=Text)
    responsibility_sharing: str = Field(default="", sa_type=Text)
    period_start: date
    period_end: date
    amount_yen: int | None = Field(default=None, sa_type=BigInteger)  # yen beyond 2**31 exist
    exempt: bool = False
    exemption_reason: str = Field(default="", sa_type=Text)
    amendments: int = 0
    concluded_by: int = Field(foreign_key="user.id")
    concluded_at: datetime = Field(sa_type=UTCDateTime)


class ContractPartner(SQLModel, table=True):
    contract_id: int = Field(foreign_key="contract.id", primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", primary_key=True)


class ContractAmendment(SQLModel, table=True):
    """One 変更契約: what changed, from what to what, and why."""

    __table_args__ = (UniqueConstraint("contract_id", "seq"),)

    id: int | None = Field(default=None, primary_key=True)
    contract_id: int = Field(foreign_key="contract.id", index=True)
    seq: int
    reason: str = Field(sa_type=Text)
    changes: dict = Field(default_factory=dict, sa_type=JSON)
    amended_by: int = Field(foreign_key="user.id")
    amended_at: datetime = Field(sa_type=UTCDateTime)


class OwnProject(SQLModel, table=True):
    """A partner's own side project (自主事業), notified at start and at end (Art. 11(2))."""

    id: int | None = Field(default=None, primary_key=True)
    proposal_id: int = Field(foreign_key="proposal.id", index=True)
    title: str = Field(max_length=200)
    started_on: date
    ended_on: date | None = None
    notified_start_at: datetime = Field(sa_type=UTCDateTime)
    notified_end_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
