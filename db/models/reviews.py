"""Reviews on the Article 9(2) criteria, by reviewers assigned to a proposal."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Text
from sqlmodel import Field, SQLModel, UniqueConstraint

from db.types import UTCDateTime


class ReviewAssignment(SQLModel, table=True):
    """A reviewer asked to review a case. A reviewer replaced during the review (illness, a
    conflict of interest) keeps the row, ended, with who ended it, why and who came instead:
    the record shows everyone who was ever asked, and a replaced reviewer is not asked again."""

    proposal_id: int = Field(foreign_key="proposal.id", primary_key=True)
    reviewer_id: int = Field(foreign_key="user.id", primary_key=True, index=True)
    assigned_at: datetime = Field(sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ended_by: int | None = Field(default=None, foreign_key="user.id")
    end_reason: str = Field(default="", sa_type=Text, sa_column_kwargs={"server_default": ""})
    replaced_by: int | None = Field(default=None, foreign_key="user.id")


class ReviewScores(SQLModel):
    """The four Article 9(2) criteria, scored 1 to 5, with the reviewer's comment."""

    score_technique: int
    score_expertise: int
    score_quality: int
    score_capability: int
    comment: str = Field(sa_type=Text)
    submitted_at: datetime = Field(sa_type=UTCDateTime)


class Review(ReviewScores, table=True):
    __table_args__ = (UniqueConstraint("proposal_id", "reviewer_id"),)

    id: int | None = Field(default=None, primary_key=True)
    proposal_id: int = Field(foreign_key="proposal.id", index=True)
    reviewer_id: int = Field(foreign_key="user.id")
    revision: int
