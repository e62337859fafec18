"""Mutual evaluations (Article 15): per period, one from each side, then published."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Text
from sqlmodel import Field, SQLModel, UniqueConstraint

from db.types import UTCDateTime


class EvaluationPeriod(SQLModel, table=True):
    """What is evaluated: a completed fiscal year ("FY2026") or the whole project ("final")."""

    __table_args__ = (UniqueConstraint("proposal_id", "period"),)

    id: int | None = Field(default=None, primary_key=True)
    proposal_id: int = Field(foreign_key="proposal.id", index=True)
    period: str = Field(max_length=20)
    fiscal_year: int
    opened_at: datetime = Field(sa_type=UTCDateTime)
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)


class Evaluation(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("period_id", "side"),)

    id: int | None = Field(default=None, primary_key=True)
    period_id: int = Field(foreign_key="evaluationperiod.id", index=True)
    side: str = Field(max_length=10, description="city or partner")
    results: str = Field(sa_type=Text)
    role_sharing_assessment: str = Field(sa_type=Text)
    comments: str = Field(default="", sa_type=Text)
    # The effect of collaborating (協働で事業を行った効果), part 5 of the public report.
    effect: str = Field(default="", sa_type=Text, sa_column_kwargs={"server_default": ""})
    submitted_by: int = Field(foreign_key="user.id")
    submitted_at: datetime = Field(sa_type=UTCDateTime)
