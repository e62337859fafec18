"""What handlers declare they need: a database session, the clock, the user, a role.

Authorization lives here, once: ``require_role`` for pages of a role, ``visible_proposal``
for every read of a case (``workflow.engine.authorization.can_see``); writes are checked again by
the engine itself. Handlers stay thin.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from sqlmodel import Session

from db.types import MAX_ID
from db.session import new_session
from workflow import accounts
from workflow.actors import Actor, load_signed_in
from workflow.engine.authorization import can_see
from workflow.calendar.clock import Clock
from workflow.engine import load_case_row
from workflow.errors import NotFound
from web.security import csrf_ok, CSRF_FIELD, CSRF_HEADER, SESSION_KEY
from web.settings import WebSettings


class LoginRequired(Exception):
    """No valid session: pages redirect to the login form, the API answers 401."""


class Forbidden(Exception):
    def __init__(self, message_ja: str = "", message_en: str = ""):
        super().__init__(message_en)
        self.message_ja = message_ja or "このページを表示する権限がありません。"
        self.message_en = message_en or "You are not allowed to see this page."


class CsrfFailed(Exception):
    """A form came back without the session's token (expired page or a forged request)."""


class TooLarge(Exception):
    """A request body beyond the upload limit, refused before it is read."""


async def get_db(request: Request) -> AsyncIterator[Session]:
    """The request's session. Opening one touches no connection, so it needs no thread;
    closing it does only when a transaction is still open (a ROLLBACK), and then in one."""
    s = new_session(request.app.state.engine)
    try:
        yield s
    finally:
        if s.in_transaction():
            await run_in_threadpool(s.close)
        else:
            s.close()


# Dependencies that only read what the application holds are ``async``: FastAPI runs a
# plain ``def`` dependency in its thread pool, a hop to a thread and back for every
# request that, under load, waits in line with the pages' own work.

async def get_clock(request: Request) -> Clock:
    return request.app.state.clock


async def get_settings(request: Request) -> WebSettings:
    return request.app.state.web_settings


SessionDep = Annotated[Session, Depends(get_db)]
ClockDep = Annotated[Clock, Depends(get_clock)]
SettingsDep = Annotated[WebSettings, Depends(get_settings)]


def _session_actor(request: Request, db: Session) -> Actor | None:
    """The person of the server-side session the cookie names; an ended session is none.

    One statement reads the session, the person, their roles and organisations and whether
    they sit on a review panel (kept in ``request.state.on_panel`` for the navigation), so
    a page pays for its signed-in person once. The conditions are those of
    ``workflow.accounts.session_user``: not ended, not expired, the person active.
    """
    request.state.on_panel = False
    key = request.session.get(SESSION_KEY)
    if not isinstance(key, str):
        return None
    now = accounts.SESSION_CLOCK.now()
    found = load_signed_in(db, accounts.digest(key), now)
    if found is None:
        request.session.clear()  # an ended or expired session is forgotten
        db.rollback()
        return None
    if not accounts.touch_session(db, found.session_id, found.last_seen_at, now):
        db.rollback()  # end the read; writes start their own transaction
    request.state.on_panel = found.on_panel
    return found.actor


def optional_user(request: Request, db: SessionDep) -> Actor | None:
    actor = _session_actor(request, db)
    request.state.actor = actor
    return actor


def current_user(request: Request, db: SessionDep) -> Actor:
    actor = optional_user(request, db)
    if actor is None:
        raise LoginRequired()
    return actor


OptionalUser = Annotated[Actor | None, Depends(optional_user)]
CurrentUser = Annotated[Actor, Depends(current_user)]
# Any id in a path, and the "after" cursor of a list: bounded, so a huge number is a 4xx, never a 500.
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
AfterId = Annotated[int | None, Query(ge=1, le=MAX_ID)]


def require_role(*roles: str):
    """A dependency that lets in only users holding one of ``roles``."""

    async def check(actor: CurrentUser) -> Actor:  # no I/O: no thread pool hop (see get_clock)
        if not actor.roles & set(roles):
            raise Forbidden()
        return actor

    return check


async def verify_csrf(request: Request) -> None:
    """Every state-changing form must carry the session's token (routers apply this)."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    limit = request.app.state.web_settings.max_upload_bytes + 256 * 1024
    try:
        declared = int(request.headers.get("content-length") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        raise TooLarge()
    given = request.headers.get(CSRF_HEADER)
    if not given:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        given = value if isinstance(value, str) else None
    if not csrf_ok(request.session, given):
        raise CsrfFailed()


def visible_case(db: Session, actor: Actor, proposal_id: int):
    """The case row, or NotFound when it does not exist or the actor may not see it.

    Both answers are the same on purpose: a group must not learn that another group's
    draft exists.
    """
    try:
        row = load_case_row(db, proposal_id)
    except NotFound:
        row = None
    if row is None or not can_see(db, actor, row):
        db.rollback()
        raise NotFound(f"提案 {proposal_id} は見つからないか、閲覧する権限がありません。",
                       f"proposal {proposal_id} does not exist or you may not see it")
    return row
