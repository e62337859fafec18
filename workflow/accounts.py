"""Accounts: passwords, the sessions of signed-in browsers, and one-time links by notice.

A session and a one-time link are each named by a random key that only the browser (its
cookie) or the letter holds; the database keeps its SHA-256 alone, so a copy of the
database opens no account. Ending the row ends the session, whatever copies of the cookie
exist: logging out, a new password and disabling the user end every session at once.

A one-time link (an invitation to set the first password, or a password reset) is sent
as a notice through the outbox; it works once, expires, and a newer link of the same
person ends the older ones. Every change of an account is kept in the directory's trail.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, insert, or_, select, update
from sqlmodel import Session

from config import Settings
from db.models import AccountToken, ApiToken, Notice, User, UserSession
from db.models.notices import SENT
from db.session import write
from workflow import directory
from workflow.calendar.clock import Clock, SystemClock
from workflow.engine.outbox import enqueue
from workflow.engine.recipients import Recipient
from workflow.errors import InvalidInput, KyodoError

INVITATION, RESET = "invitation", "reset"
NOTICE_KIND = {INVITATION: "account_invitation", RESET: "password_reset"}
LIFETIME = {INVITATION: timedelta(hours=72), RESET: timedelta(hours=1)}
# A second reset request within this time sends no second letter: nobody can flood a mailbox.
RESET_QUIET = timedelta(minutes=5)
# Where a link lands (web/routes/auth.py serves it).
SET_PASSWORD_PATH = "/password/set"
# Recorded at most this often on a session: a page view should not always cost a write.
TOUCH_EVERY = timedelta(minutes=5)
SESSIONS_KEPT = timedelta(days=90)
PASSWORD_MIN, PASSWORD_MAX = 10, 1024

# Why a session ended (UserSession.ended_reason).
LOGOUT, PASSWORD, DISABLED, EVERYWHERE = "logout", "password", "disabled", "signed_out_all"


class LinkInvalid(KyodoError):
    code = "link_invalid"

    def __init__(self) -> None:
        super().__init__("このリンクは使用済みか、有効期限が切れています。",
                         "This link has been used already or has expired.",
                         "ログイン画面の「パスワードを忘れた方」から新しいリンクを請求するか、事務局に招待の再送を依頼してください。",
                         "Ask for a new link with “Forgot your password?” on the sign-in page, "
                         "or ask the secretariat to invite you again.")


# --- passwords (argon2)

_hasher = PasswordHasher()
# Verified against when the login name is unknown, so both paths take the same time.
_DUMMY_HASH = _hasher.hash("kyodo-no-such-user")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored or _DUMMY_HASH, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return _hasher.check_needs_rehash(stored)


def password_problem(password: str, login: str = "") -> tuple[str, str] | None:
    """Why a new password is refused, as (ja, en), or None."""
    if len(password) < PASSWORD_MIN:
        return ("パスワードは10文字以上にしてください。", "Use at least 10 characters.")
    if len(password) > PASSWORD_MAX:
        return ("パスワードは1024文字以内にしてください。", "Use at most 1024 characters.")
    if login and password.lower() == login.lower():
        return ("ログイン名と同じパスワードは使えません。", "The password must differ from the login name.")
    return None


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _new_secret() -> str:
    return secrets.token_urlsafe(32)


def change_password(session: Session, user_id: int, password: str, now: datetime, *, actor_id: int | None = None,
                    via: str = "account") -> None:
    """Store a new password and end every session of the user and every link still open.

    The caller may open a new session for the browser that made the change; every other
    browser, and every copy of this one's old cookie, is signed out.
    """
    session.execute(update(User).where(User.id == user_id).values(password_hash=hash_password(password)))
    end_sessions(session, user_id, PASSWORD)
    _end_links(session, user_id, now)
    directory.record(session, "user", user_id, "password_set", actor_id=actor_id, details={"via": via},
                     clock=_At(now))


# --- sessions held on the server

# Sessions age in real time, like the browser that holds them: a test or a demo that moves
# the cases' clock signs nobody out. Tests replace this to age a session.
SESSION_CLOCK: Clock = SystemClock()


def start_session(session: Session, user_id: int, lifetime: timedelta, ip: str = "") -> str:
    """Open a session for a signed-in browser; returns the key for its cookie (never stored)."""
    now = SESSION_CLOCK.now()
    # Sessions long over are kept a while (who was signed in, how it ended), then let go.
    session.execute(delete(UserSession).where(UserSession.user_id == user_id,
                                              UserSession.expires_at < now - SESSIONS_KEPT))
    key = _new_secret()
    session.execute(insert(UserSession).values(user_id=user_id, key_hash=digest(key), ip=ip[:64], created_at=now,
                                               last_seen_at=now, expires_at=now + lifetime, ended_reason=""))
    return key


def session_user(session: Session, key: str) -> int | None:
    """The user of a live session (not ended, not expired, the user active), or None.

    Records when the session was last seen, at most every few minutes.
    """
    now = SESSION_CLOCK.now()
    row = session.execute(
        select(UserSession.id, UserSession.user_id, UserSession.last_seen_at)
        .join(User, User.id == UserSession.user_id)
        .where(UserSession.key_hash == digest(key), UserSession.ended_at.is_(None), UserSession.expires_at > now,
               User.active.is_(True))
    ).first()
    if row is None:
        return None
    touch_session(session, row.id, row.last_seen_at, now)
    return row.user_id


def touch_session(session: Session, session_id: int, last_seen_at: datetime, now: datetime) -> bool:
    """Record when a session was last seen, at most every ``TOUCH_EVERY``; True when it wrote."""
    if last_seen_at >= now - TOUCH_EVERY:
        return False
    with write(session):
        session.execute(update(UserSession).where(UserSession.id == session_id).values(last_seen_at=now))
    return True


def end_session(session: Session, key: str, reason: str = LOGOUT) -> None:
    session.execute(update(UserSession).where(UserSession.key_hash == digest(key), UserSession.ended_at.is_(None))
                    .values(ended_at=SESSION_CLOCK.now(), ended_reason=reason))


def end_sessions(session: Session, user_id: int, reason: str) -> int:
    """End every open session of the user; returns how many were still live."""
    now = SESSION_CLOCK.now()
    return session.execute(update(UserSession).where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
                           .values(ended_at=now, ended_reason=reason)).rowcount


def open_sessions(session: Session, user_id: int) -> list[UserSession]:
    return list(session.execute(select(UserSession).where(
        UserSession.user_id == user_id, UserSession.ended_at.is_(None), UserSession.expires_at > SESSION_CLOCK.now())
        .order_by(UserSession.created_at.desc())).scalars())


# --- disabling and enabling a person

def disable(session: Session, user_id: int, now: datetime, *, actor_id: int | None = None) -> None:
    """A disabled person can no longer sign in: every session and every open link ends now."""
    _changeable(session, user_id)
    session.execute(update(User).where(User.id == user_id).values(active=False))
    ended = end_sessions(session, user_id, DISABLED)
    _end_links(session, user_id, now)
    # Revoked, not only refused while disabled: enabling the person again must not bring
    # back the credentials of integrations nobody may remember.
    revoked = session.execute(update(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked.is_(False))
                              .values(revoked=True)).rowcount
    directory.record(session, "user", user_id, "disabled", actor_id=actor_id,
                     details={"sessions_ended": ended, "tokens_revoked": revoked}, clock=_At(now))


def enable(session: Session, user_id: int, now: datetime, *, actor_id: int | None = None) -> None:
    _changeable(session, user_id)
    session.execute(update(User).where(User.id == user_id).values(active=True))
    directory.record(session, "user", user_id, "enabled", actor_id=actor_id, clock=_At(now))


def _changeable(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise InvalidInput("user", f"利用者 {user_id} は登録されていません。", f"no user {user_id}")
    if user.login == directory.SYSTEM_LOGIN:
        raise InvalidInput("user", "自動処理用のアカウントは変更できません。",
                           "the account of the scheduled tasks cannot be changed")
    return user


# --- one-time links

@dataclass(frozen=True)
class LinkHolder:
    """Whose link it is, as the set-password page shows it."""

    user_id: int
    login: str
    name: str
    purpose: str


def invite(session: Session, user_id: int, now: datetime, settings: Settings, *,
           actor_id: int | None = None) -> str:
    """Send the person a link to set their password (a new invitation ends any earlier link)."""
    user = _changeable(session, user_id)
    if not user.active:
        raise InvalidInput("user", f"「{user.login}」は無効にされています。先に有効にしてください。",
                           f"{user.login!r} is disabled; enable the account first")
    if not user.email:
        raise InvalidInput("email", f"「{user.login}」にはメールアドレスがありません。",
                           f"{user.login!r} has no e-mail address to send the invitation to")
    token = _issue(session, user, INVITATION, now, settings, actor_id)
    directory.record(session, "user", user_id, "invited", actor_id=actor_id,
                     details={"expires_in_hours": _hours(INVITATION)}, clock=_At(now))
    return token


def request_reset(session: Session, who: str, now: datetime, settings: Settings) -> int:
    """Send a reset link to the active account named by login name or e-mail address.

    Returns how many letters were written, for tests: the page answers the same whatever
    this finds, so nobody can learn from it whether an account exists.
    """
    who = who.strip()
    if not who:
        return 0
    users = session.execute(
        select(User).where(or_(User.login == who, func.lower(User.email) == who.lower()),
                           User.active.is_(True), User.email != "", User.login != directory.SYSTEM_LOGIN)
        .order_by(User.id)
    ).scalars().all()
    written = 0
    for user in users:
        recent = session.execute(select(AccountToken.id).where(
            AccountToken.user_id == user.id, AccountToken.purpose == RESET,
            AccountToken.created_at > now - RESET_QUIET)).first()
        if recent:
            continue
        _issue(session, user, RESET, now, settings, None)
        directory.record(session, "user", user.id, "reset_link_sent",
                         details={"expires_in_hours": _hours(RESET)}, clock=_At(now))
        written += 1
    return written


def check_link(session: Session, token: str, now: datetime) -> LinkHolder | None:
    """Whose link this is, while it can still be used; None otherwise."""
    row = session.execute(
        select(AccountToken.user_id, AccountToken.purpose, User.login, User.name)
        .join(User, User.id == AccountToken.user_id)
        .where(AccountToken.token_hash == digest(token), *_usable(now), User.active.is_(True))
    ).first()
    return LinkHolder(row.user_id, row.login, row.name, row.purpose) if row else None


def use_link(session: Session, token: str, password: str, now: datetime) -> LinkHolder:
    """Set the password through a one-time link; the link is spent even if two tabs race."""
    holder = check_link(session, token, now)
    if holder is None:
        raise LinkInvalid()
    problem = password_problem(password, holder.login)
    if problem:
        raise InvalidInput("password", *problem)
    spent = session.execute(update(AccountToken).where(AccountToken.token_hash == digest(token), *_usable(now))
                            .values(used_at=now)).rowcount
    if spent != 1:
        raise LinkInvalid()
    change_password(session, holder.user_id, password, now, via=holder.purpose)
    return holder


def _usable(now: datetime):
    return AccountToken.used_at.is_(None), AccountToken.expires_at > now


def _issue(session: Session, user: User, purpose: str, now: datetime, settings: Settings,
           created_by: int | None) -> str:
    _end_links(session, user.id, now)
    token = _new_secret()
    token_id = session.execute(
        insert(AccountToken).values(user_id=user.id, purpose=purpose, token_hash=digest(token), created_at=now,
                                    expires_at=now + LIFETIME[purpose], created_by=created_by)
        .returning(AccountToken.id)
    ).scalar_one()
    link = f"{settings.base_url.rstrip('/')}{SET_PASSWORD_PATH}?{urlencode({'token': token})}"
    # The letter is the only place the link exists: the token table keeps its hash alone.
    enqueue(session, kind=NOTICE_KIND[purpose], recipients=[Recipient(user.id, user.name, user.email, user.language)],
            context={"login": user.login, "link": link, "valid_hours": _hours(purpose),
                     "city_name": settings.city_name, "sender_section": settings.sender_section},
            proposal_id=None, now=now, key=_notice_key(token_id))
    return token


def _end_links(session: Session, user_id: int, now: datetime) -> None:
    """End the user's open links, and erase every dead link from the letters already sent."""
    session.execute(update(AccountToken).where(AccountToken.user_id == user_id, *_usable(now))
                    .values(expires_at=now))
    dead = session.execute(select(AccountToken.id).where(AccountToken.user_id == user_id)).scalars().all()
    keys = [_notice_key(token_id) + f":{user_id}" for token_id in dead]
    letters = session.execute(select(Notice.id, Notice.context).where(
        Notice.dedupe_key.in_(keys), Notice.status == SENT)).all() if keys else []
    for notice_id, context in letters:
        if context.get("link"):
            session.execute(update(Notice).where(Notice.id == notice_id).values(context={**context, "link": ""}))


def _notice_key(token_id: int) -> str:
    return f"account-link:{token_id}"


def _hours(purpose: str) -> int:
    return int(LIFETIME[purpose].total_seconds() // 3600)


class _At:
    """The moment of the change as a clock, for ``directory.record``."""

    def __init__(self, now: datetime):
        self._now = now

    def now(self) -> datetime:
        return self._now

