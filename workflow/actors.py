"""Who is acting: a user with roles, a department and organisations, loaded once per request."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import String, cast, exists, func, select
from sqlmodel import Session

from db.models import Membership, PanelMember, User, UserRole, UserSession
from workflow.errors import NotFound

# Role names are short words (``states.roles``); a comma never occurs in one.
_SEP = ","


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


@dataclass(frozen=True)
class SignedIn:
    """The person of a live session, read in one statement with what every page needs of them."""

    actor: Actor
    session_id: int
    last_seen_at: datetime
    on_panel: bool


def _person_columns():
    """The user's columns with their roles and organisations aggregated into strings.

    One statement instead of three: the roles and memberships are correlated scalar
    subqueries through their ``user_id`` keys (``aggregate_strings`` is ``string_agg`` on
    PostgreSQL and ``group_concat`` on SQLite).
    """
    roles = (select(func.aggregate_strings(UserRole.role, _SEP)).where(UserRole.user_id == User.id)
             .correlate(User).scalar_subquery())
    orgs = (select(func.aggregate_strings(cast(Membership.organisation_id, String), _SEP))
            .where(Membership.user_id == User.id).correlate(User).scalar_subquery())
    return (User.id, User.name, User.department_id, User.language, roles.label("roles"), orgs.label("orgs"))


def _actor(row) -> Actor:
    roles = frozenset(row.roles.split(_SEP)) if row.roles else frozenset()
    orgs = frozenset(int(o) for o in row.orgs.split(_SEP)) if row.orgs else frozenset()
    return Actor(row.id, row.name, roles, row.department_id, orgs, row.language)


def load_actor(session: Session, user_id: int) -> Actor:
    row = session.execute(select(*_person_columns()).where(User.id == user_id, User.active.is_(True))).first()
    if row is None:
        raise NotFound(f"利用者 {user_id} は登録されていません。", f"no active user {user_id}")
    return _actor(row)


def load_signed_in(session: Session, key_hash: str, now: datetime) -> SignedIn | None:
    """The person of the session whose key hashes to ``key_hash``, or None.

    The same conditions as ``workflow.accounts.session_user`` (the session neither ended
    nor expired, the user active), read together with the person's roles, organisations
    and whether they sit on a review panel: one statement for every page.
    """
    on_panel = exists().where(PanelMember.user_id == User.id).correlate(User)
    row = session.execute(
        select(*_person_columns(), UserSession.id.label("session_id"), UserSession.last_seen_at,
               on_panel.label("on_panel"))
        .select_from(UserSession).join(User, User.id == UserSession.user_id)
        .where(UserSession.key_hash == key_hash, UserSession.ended_at.is_(None), UserSession.expires_at > now,
               User.active.is_(True))
    ).first()
    if row is None:
        return None
    return SignedIn(_actor(row), row.session_id, row.last_seen_at, bool(row.on_panel))


def load_actor_by_login(session: Session, login: str) -> Actor:
    user_id = session.execute(select(User.id).where(User.login == login)).scalar()
    if user_id is None:
        raise NotFound(f"ログイン名「{login}」の利用者はいません。", f"no user with login {login!r}")
    return load_actor(session, user_id)
