"""The registry of all collaboration projects of a fiscal year (the Article 20 report's base).

Most of the city's ~200 projects a year never pass through the engine (subsidies, co-hosted
events, agreements); they are imported from the departments' CSV. Projects that do pass
through the engine are linked by ``proposal_id`` and appear by themselves.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Text
from sqlmodel import Field, SQLModel, UniqueConstraint


class RegistryProject(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("fiscal_year", "external_id"),)

    id: int | None = Field(default=None, primary_key=True)
    fiscal_year: int = Field(index=True)
    external_id: str = Field(max_length=60, description="the id column of the imported CSV")
    name: str = Field(max_length=300)
    owner_kind: str = Field(max_length=10, description="ward or bureau")
    owner: str = Field(max_length=200)
    section: str = Field(default="", max_length=200)
    field: int = Field(description="1..12, states.vocabulary.FIELDS")
    partner: str = Field(default="", sa_type=Text)
    contract: bool = False
    origin: str | None = Field(default=None, max_length=10, description="city (Art. 9), citizen (Art. 10) or none")
    contract_count: int = 0
    contract_amount_yen: int | None = Field(default=None, sa_type=BigInteger)  # yen beyond 2**31 exist
    proposal_id: int | None = Field(default=None, foreign_key="proposal.id", index=True)
    content: str = Field(default="", sa_type=Text)
    results: str = Field(default="", sa_type=Text)
    effect: str = Field(default="", sa_type=Text)
