"""Organisations (Article 2 "citizens etc."), departments, and the people who use Kyodo."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel, UniqueConstraint

from db.types import UTCDateTime


class Organisation(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    kind: str = Field(max_length=40, description="key of states.vocabulary.ORGANISATION_KINDS")
    representative_title: str = Field(default="代表", max_length=100)
    representative_name: str = Field(max_length=100)
    email: str = Field(default="", max_length=254)
    address: str = Field(default="", max_length=300)
    created_at: datetime = Field(sa_type=UTCDateTime)


class Department(SQLModel, table=True):
    """A department in charge (所管課), owned by a ward office or a bureau."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, unique=True)
    name_ja: str = Field(max_length=200)
    name_en: str = Field(default="", max_length=200)
    owner_kind: str = Field(max_length=10, description="ward or bureau")
    owner_name: str = Field(max_length=200)


class User(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    login: str = Field(max_length=100, unique=True)
    name: str = Field(max_length=200)
    email: str = Field(max_length=254)
    language: str = Field(default="ja", max_length=5)
    department_id: int | None = Field(default=None, foreign_key="department.id")
    # The head of the department (所管課長) receives escalated reminders when it is late.
    is_department_head: bool = False
    password_hash: str | None = Field(default=None, max_length=300)
    # The person's subject at the city's identity provider (OpenID Connect ``sub``): a
    # person linked there signs in there, never with a password.
    oidc_subject: str | None = Field(default=None, max_length=255, unique=True)
    active: bool = True
    created_at: datetime = Field(sa_type=UTCDateTime)


class UserRole(SQLModel, table=True):
    user_id: int = Field(foreign_key="user.id", primary_key=True)
    role: str = Field(max_length=20, primary_key=True)


class Membership(SQLModel, table=True):
    """A person belonging to an organisation; contacts receive the group's notices."""

    __table_args__ = (UniqueConstraint("organisation_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    is_contact: bool = True
