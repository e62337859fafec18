"""Who is acting: a user with roles, a department and organisations, loaded once per request."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import Session

from db.models import Membership, User, UserRole
from workflow.errors import NotFound


@dataclass(frozen=True)
class Actor:
    user_id: int
    name: str
    roles: frozenset[str]
    department_id: int | None = None
    organisation_ids: frozenset[int] = frozenset()
    language: str = "ja"

    def has(self, role: str) -> bool:
        return role in self.roles


def load_actor(session: Session, user_id: int) -> Actor:
    user = session.get(User, user_id)
    if user is None or not user.active:
        raise NotFound(f"利用者 {user_id} は登録されていません。", f"no active user {user_id}")
    roles = session.execute(select(UserRole.role).where(UserRole.user_id == user_id)).scalars()
    orgs = session.execute(
        select(Membership.organisation_id).where(Membership.user_id == user_id)
    ).scalars()
    return Actor(user.id, user.name, frozenset(roles), user.department_id, frozenset(orgs), user.language)


def load_actor_by_login(session: Session, login: str) -> Actor:
    user_id = session.execute(select(User.id).where(User.login == login)).scalar()
    if user_id is None:
        raise NotFound(f"ログイン名「{login}」の利用者はいません。", f"no user with login {login!r}")
    return load_actor(session, user_id)
