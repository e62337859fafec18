"""Proposals (Article 10), every revision of them, and the notes kept along the way."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, JSON, Index, Text
from sqlmodel import Field, SQLModel, UniqueConstraint

from db.types import UTCDateTime


class ProposalContent(SQLModel):
    """The fields a group writes; a revision keeps a copy of exactly these."""

    title: str = Field(default="", max_length=200)
    purpose: str = Field(default="", sa_type=Text)
    content: str = Field(default="", sa_type=Text)
    field: int | None = Field(default=None, description="1..12, states.vocabulary.FIELDS")
    proposed_roles: str = Field(default="", sa_type=Text)
    estimated_cost_yen: int | None = Field(default=None, sa_type=BigInteger)  # yen beyond 2**31 exist
    desired_contract_form: str | None = Field(default=None, max_length=20)
    # Article 13: fields the group asks to keep confidential; never public.
    confidential_fields: list[str] = Field(default_factory=list, sa_type=JSON)
    # A city's call for partners (Art. 9(1)): what it selects on besides the Article 9(2)
    # criteria, and the last day applications are accepted. Empty on a citizen proposal.
    selection_criteria: str = Field(default="", sa_type=Text)
    closing_on: date | None = None


CONTENT_FIELDS = tuple(ProposalContent.model_fields)


class Proposal(ProposalContent, table=True):
    __table_args__ = (
        Index("ix_proposal_state_department", "state", "department_id"),
        # The busy pages (migration 0011): the secretariat's list by state and its counts,
        # and the department's desk, each newest first.
        Index("ix_proposal_lifecycle_state_id", "lifecycle", "state", "id"),
        Index("ix_proposal_department_id_id", "department_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    lifecycle: str = Field(default="citizen_proposal", max_length=40)
    # The version of the lifecycle the case runs under (states.registry); moved only by a
    # migration plan, through the engine.
    lifecycle_version: int = 1
    # A proposal made in a round (募集) and, for a theme round, for one of its themes.
    round_id: int | None = Field(default=None, foreign_key="proposalround.id", index=True)
    theme_id: int | None = Field(default=None, foreign_key="roundtheme.id")
    state: str = Field(max_length=40, index=True)
    version: int = 1
    # Empty only for a city's call for partners (Art. 9) until its partner is selected.
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id", index=True)
    department_id: int | None = Field(default=None, foreign_key="department.id")
    revision: int = 1
    created_by: int = Field(foreign_key="user.id")
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    submitted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    cancelled: bool = False


class ProposalRevision(ProposalContent, table=True):
    __table_args__ = (UniqueConstraint("proposal_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    proposal_id: int = Field(foreign_key="proposal.id", index=True)
    number: int
    note: str = Field(default="", sa_type=Text)
    created_by: int = Field(foreign_key="user.id")
    created_at: datetime = Field(sa_type=UTCDateTime)


class CaseNote(SQLModel, table=True):
    """Coordination logs, revision requests, progress and completion reports, opinions."""

    id: int | None = Field(default=None, primary_key=True)
    proposal_id: int = Field(foreign_key="proposal.id", index=True)
    kind: str = Field(max_length=40)
    text: str = Field(sa_type=Text)
    author_id: int = Field(foreign_key="user.id")
    created_at: datetime = Field(sa_type=UTCDateTime)
