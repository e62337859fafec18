"""Sessions held on the server, the signed cookie that names them, and the CSRF token.

The cookie is signed with ``KYODO_SECRET_KEY`` (the same key on every instance behind a
load balancer) and carries a random session key, the CSRF token and flash messages. The
session itself is a row in the database (``workflow.accounts``): logging out, a new
password and disabling the user end the row, so every copy of the cookie dies with it.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import timedelta
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import update
from sqlmodel import Session
from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from db.models import User
from db.session import write
from workflow import accounts
from workflow.accounts import hash_password

SESSION_COOKIE = "kyodo_session"
SESSION_KEY = "sid"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


def set_password(session: Session, user_id: int, password: str) -> None:
    """Store the first password of a person who registered themselves (no session exists yet)."""
    session.execute(update(User).where(User.id == user_id).values(password_hash=hash_password(password)))


def new_api_token() -> str:
    return "kyd_" + secrets.token_urlsafe(32)


# --- Signing in and out.

def client_address(request: Request) -> str:
    return request.client.host if request.client else ""


def sign_in(request: Request, db: Session, user_id: int) -> None:
    """A new session for this browser: a cookie planted before signing in is worth nothing after it."""
    lifetime = timedelta(seconds=request.app.state.web_settings.session_max_age_seconds)
    with write(db):
        key = accounts.start_session(db, user_id, lifetime, client_address(request))
    request.session.clear()
    request.session[SESSION_KEY] = key


def sign_out(request: Request, db: Session, reason: str = accounts.LOGOUT) -> None:
    key = request.session.get(SESSION_KEY)
    if isinstance(key, str):
        with write(db):
            accounts.end_session(db, key, reason)
    request.session.clear()


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
                if "session" in scope and scope["session"].get(SESSION_KEY):
                    headers.setdefault("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, send_with_headers)
