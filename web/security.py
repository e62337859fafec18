"""Passwords (argon2), the signed session cookie and the CSRF token of each session.

Nothing is kept in process memory: the session is a cookie signed with
``KYODO_SECRET_KEY`` (the same key on every instance behind a load balancer), and it
carries a fingerprint of the password hash, so changing a password or deactivating the
user ends every session at once without a server-side session table.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import update
from sqlmodel import Session
from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from db.models import User

SESSION_COOKIE = "kyodo_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"

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


def set_password(session: Session, user_id: int, password: str) -> None:
    """Store a new password hash (the directory has no call for it yet)."""
    session.execute(update(User).where(User.id == user_id).values(password_hash=hash_password(password)))


def password_problem(password: str, login: str = "") -> tuple[str, str] | None:
    """Why a new password is refused, as (ja, en), or None."""
    if len(password) < 10:
        return ("パスワードは10文字以上にしてください。", "Use at least 10 characters.")
    if login and password.lower() == login.lower():
        return ("ログイン名と同じパスワードは使えません。", "The password must differ from the login name.")
    return None


def fingerprint(password_hash: str | None) -> str:
    return hashlib.sha256((password_hash or "").encode()).hexdigest()[:16]


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_api_token() -> str:
    return "kyd_" + secrets.token_urlsafe(32)


# --- CSRF: one random token per session, sent back with every form.

def csrf_token(session: dict[str, Any]) -> str:
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return token


def csrf_ok(session: dict[str, Any], given: str | None) -> bool:
    expected = session.get("csrf")
    return bool(expected and given and hmac.compare_digest(expected, given))


# --- The session cookie.

class CookieSessionMiddleware:
    """Puts a signed, time-limited dict in ``scope["session"]`` and writes it back if changed.

    Unlike Starlette's SessionMiddleware, the Secure flag follows the request: a server
    behind an HTTPS proxy (uvicorn ``--proxy-headers``) marks its cookies Secure while a
    developer on http://127.0.0.1 can still log in.
    """

    def __init__(self, app: ASGIApp, secret_key: str, max_age: int, cookie_secure: str = "auto"):
        self.app = app
        self.serializer = URLSafeTimedSerializer(secret_key, salt="kyodo.session")
        self.max_age = max_age
        self.cookie_secure = cookie_secure

    def _secure(self, scope: Scope) -> bool:
        if self.cookie_secure == "always":
            return True
        if self.cookie_secure == "never":
            return False
        return scope.get("scheme") == "https"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw = HTTPConnection(scope).cookies.get(SESSION_COOKIE)
        initial: dict[str, Any] = {}
        if raw:
            try:
                initial = self.serializer.loads(raw, max_age=self.max_age)
            except BadSignature:
                initial = {}
        scope["session"] = dict(initial)

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                current = scope["session"]
                if current != initial or (raw and not initial):
                    flags = "; Path=/; HttpOnly; SameSite=Lax" + ("; Secure" if self._secure(scope) else "")
                    headers = MutableHeaders(scope=message)
                    if current:
                        value = self.serializer.dumps(current)
                        headers.append("Set-Cookie", f"{SESSION_COOKIE}={value}; Max-Age={self.max_age}{flags}")
                    else:
                        headers.append("Set-Cookie", f"{SESSION_COOKIE}=; Max-Age=0{flags}")
            await send(message)

        await self.app(scope, receive, send_with_cookie)


class SecurityHeadersMiddleware:
    """Headers every response carries; pages need no script, so the policy allows none."""

    POLICY = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'none'; "
              "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("X-Frame-Options", "DENY")
                headers.setdefault("Referrer-Policy", "same-origin")
                headers.setdefault("Content-Security-Policy", self.POLICY)
                if "session" in scope and scope["session"].get("uid"):
                    headers.setdefault("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, send_with_headers)
