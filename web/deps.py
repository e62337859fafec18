"""What handlers declare they need: a database session, the clock, the user, a role.

Authorization lives here, once: ``require_role`` for pages of a role, ``visible_proposal``
for every read of a case (``workflow.engine.authorization.can_see``); writes are checked again by
the engine itself. Handlers stay thin.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Path, Query, Request
from sqlmodel import Session

from db.types import MAX_ID
from db.session import new_session
from workflow.actors import Actor, load_actor
from workflow.engine.authorization import can_see
from workflow.calendar.clock import Clock
from workflow.engine import load_case_row
from workflow.errors import NotFound
from web.security import csrf_ok, session_user, CSRF_FIELD, CSRF_HEADER
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


def get_db(request: Request) -> Iterator[Session]:
    with new_session(request.app.state.engine) as s:
        yield s


def get_clock(request: Request) -> Clock:
    return request.app.state.clock


def get_settings(request: Request) -> WebSettings:
    return request.app.state.web_settings


SessionDep = Annotated[Session, Depends(get_db)]
ClockDep = Annotated[Clock, Depends(get_clock)]
SettingsDep = Annotated[WebSettings, Depends(get_settings)]


def _session_actor(request: Request, db: Session) -> Actor | None:
    """The person of the server-side session the cookie names; an ended session is none."""
    uid = session_user(request, db)
    if uid is None:
        db.rollback()
        return None
    try:
        actor = load_actor(db, uid)
    except NotFound:  # disabled between the two reads
        actor = None
    db.rollback()  # end the read; writes start their own transaction
    return actor


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

    def check(actor: CurrentUser) -> Actor:
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
