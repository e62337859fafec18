"""What the web tier keeps in the database: sessions, one-time links, login attempts, API tokens.

Nothing secret is stored as given: a session key, a one-time link and an API token are
each kept as their SHA-256 only, so a copy of the database opens no account.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from db.types import UTCDateTime


class LoginAttempt(SQLModel, table=True):
    """Failed and successful logins, for slowing guessers down when no Redis is configured."""

    __table_args__ = (Index("ix_loginattempt_login_at", "login", "at"), Index("ix_loginattempt_ip_at", "ip", "at"))

    id: int | None = Field(default=None, primary_key=True)
    login: str = Field(max_length=100)
    ip: str = Field(default="", max_length=64)
    success: bool = False
    at: datetime = Field(sa_type=UTCDateTime)


class ApiToken(SQLModel, table=True):
    """A bearer token for the JSON API; only its SHA-256 is stored.

    A token reads (``read``) or reads and acts (``read write``), and every token expires.
    """

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    name: str = Field(default="", max_length=100)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(sa_type=UTCDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked: bool = False
    scopes: str = Field(default="read", max_length=100, description="space-separated: read, write")
    expires_at: datetime = Field(sa_type=UTCDateTime)


class UserSession(SQLModel, table=True):
    """A signed-in browser. The cookie names it by a random key; ending the row ends the session,
    whatever copies of the cookie exist."""

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    key_hash: str = Field(max_length=64, unique=True)
    ip: str = Field(default="", max_length=64)
    created_at: datetime = Field(sa_type=UTCDateTime)
    last_seen_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ended_reason: str = Field(default="", max_length=20, description="logout, password, disabled …")


class AccountToken(SQLModel, table=True):
    """A one-time link sent by notice: an invitation (first password) or a password reset.

    Used once (``used_at``), ended early when a newer link of the same user replaces it or
    the user is disabled (``expires_at`` moved to that moment).
    """

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    purpose: str = Field(max_length=20, description="invitation or reset")
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_by: int | None = Field(default=None, foreign_key="user.id")
