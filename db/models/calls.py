"""City-initiated calls for partners (Article 9): applications and their reviews.

A call is a case (a ``Proposal`` row with lifecycle ``city_call``) whose organisation is
empty until the selection; the selected applicant then becomes the case's partner and the
case goes through the same contract, implementation and evaluation stages.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Text
from sqlmodel import Field, SQLModel, UniqueConstraint

from db.models.reviews import ReviewScores
from db.types import UTCDateTime


class CallApplication(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("proposal_id", "organisation_id"),)

    id: int | None = Field(default=None, primary_key=True)
    proposal_id: int = Field(foreign_key="proposal.id", index=True)
    organisation_id: int = Field(foreign_key="organisation.id")
    summary: str = Field(sa_type=Text)
    proposed_amount_yen: int | None = Field(default=None, sa_type=BigInteger)  # yen beyond 2**31 exist
    submitted_by: int = Field(foreign_key="user.id")
    submitted_at: datetime = Field(sa_type=UTCDateTime)
    withdrawn: bool = False
    selected: bool = False


class ApplicationReview(ReviewScores, table=True):
    __table_args__ = (UniqueConstraint("application_id", "reviewer_id"),)

    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="callapplication.id", index=True)
    reviewer_id: int = Field(foreign_key="user.id")
