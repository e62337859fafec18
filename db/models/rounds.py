"""Proposal rounds (募集): a yearly call for citizen proposals with its themes, window, criteria and results.

Most cities run their collaboration-proposal programme (協働事業提案制度) as a round:
departments offer themes (テーマ提示型) besides free proposals (自由提案型); groups consult
the secretariat first (事前相談); applications open and close on set dates; a document
screening is followed by a public presentation scored by a panel on weighted criteria with
a pass mark; the results are decided and published together; adopted projects run from
the fiscal year the theme says.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from db.types import UTCDateTime


class ProposalRound(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, unique=True, description="e.g. 2027-spring; stable, in links")
    fiscal_year: int = Field(description="the fiscal year the round is held in")
    kind: str = Field(max_length=10, description="theme, free, or both")
    title_ja: str = Field(max_length=200)
    title_en: str = Field(default="", max_length=200)
    guidelines: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""),
                            description="募集要項: what the round asks for, who may apply, how it is screened")
    opens_on: date = Field(description="first day applications are accepted (Japan date)")
    closes_on: date = Field(description="last day applications are accepted (Japan date, until 23:59:59)")
    requires_consultation: bool = Field(default=False, description="a prior consultation (事前相談) is required")
    pass_mark: int = Field(default=60, description="of 100: the weighted total a proposal must reach")
    publication_on: date | None = Field(default=None, description="the day the results are published together")
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_by: int = Field(foreign_key="user.id")
    created_at: datetime = Field(sa_type=UTCDateTime)


class RoundTheme(SQLModel, table=True):
    """A theme a department offers in a round (テーマ提示型)."""

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="proposalround.id", index=True)
    department_id: int = Field(foreign_key="department.id")
    title: str = Field(max_length=200)
    description: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    budget_ceiling_yen: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    project_fiscal_year: int = Field(description="the fiscal year the adopted project runs (usually the next)")


class RoundCriterion(SQLModel, table=True):
    """A criterion of a round's screening: each scored 0–max_points, weighted; the weights sum to 100."""

    __table_args__ = (UniqueConstraint("round_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="proposalround.id", index=True)
    key: str = Field(max_length=40)
    label_ja: str = Field(max_length=200)
    label_en: str = Field(default="", max_length=200)
    weight: int = Field(description="share of 100 points")
    max_points: int = Field(default=5)
    position: int = 0


class Consultation(SQLModel, table=True):
    """A prior consultation (事前相談) of a group with the secretariat; its notes are confidential."""

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    round_id: int | None = Field(default=None, foreign_key="proposalround.id", index=True)
    requested_by: int | None = Field(default=None, foreign_key="user.id")
    requested_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    preferred_dates: str = Field(default="", max_length=500)
    topic: str = Field(default="", max_length=2000)
    held_on: date | None = Field(default=None, description="set when the consultation took place")
    notes: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""),
                       description="the secretariat's notes: confidential (never public, not shown to the group)")
    recorded_by: int | None = Field(default=None, foreign_key="user.id")
    recorded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class PanelMember(SQLModel, table=True):
    """A member of a round's review panel (審査委員会), who scores the public presentations."""

    __table_args__ = (UniqueConstraint("round_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="proposalround.id", index=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    added_at: datetime = Field(sa_type=UTCDateTime)


class PanelScore(SQLModel, table=True):
    """One panel member's points on one criterion for one proposal (confidential until the results are published)."""

    __table_args__ = (UniqueConstraint("proposal_id", "member_id", "criterion_id"),)

    id: int | None = Field(default=None, primary_key=True)
    proposal_id: int = Field(foreign_key="proposal.id", index=True)
    member_id: int = Field(foreign_key="user.id")
    criterion_id: int = Field(foreign_key="roundcriterion.id")
    points: int
    scored_at: datetime = Field(sa_type=UTCDateTime)


class PresentationSlot(SQLModel, table=True):
    """When and where a group presents its proposal in public, and in which order."""

    id: int | None = Field(default=None, primary_key=True)
    proposal_id: int = Field(foreign_key="proposal.id", unique=True)
    starts_at: datetime = Field(sa_type=UTCDateTime)
    place: str = Field(default="", max_length=300)
    online_url: str = Field(default="", max_length=500)
    position: int = Field(default=1, description="order of presentation")
