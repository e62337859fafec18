"""Files a group attaches to its proposal, stored outside the web root (never public)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from db.types import UTCDateTime


class Attachment(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    proposal_id: int = Field(foreign_key="proposal.id", index=True)
    filename: str = Field(max_length=255)
    content_type: str = Field(max_length=100)
    size: int
    sha256: str = Field(max_length=64)
    storage_key: str = Field(max_length=200, unique=True, description="file name under the attachment store")
    uploaded_by: int = Field(foreign_key="user.id")
    uploaded_at: datetime = Field(sa_type=UTCDateTime)
    # Removing an attachment keeps the row and the file for the record (who, when).
    removed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    removed_by: int | None = Field(default=None, foreign_key="user.id")
