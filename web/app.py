"""The web application: server-rendered pages for every role, the public pages, the JSON API.

``create_app`` takes its database engine, clock and settings as arguments so that tests
(and the demo) hand in their own; a production server reads them from ``KYODO_``
variables. The app keeps nothing in process memory between requests: sessions are rows in
the database named by a signed cookie, and login limits live in Redis or the database, so
several instances can serve behind one load balancer.
"""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from config import Settings, get_settings
from db.session import get_engine
from web import i18n
from web.deps import CsrfFailed, Forbidden, LoginRequired, TooLarge
from web.pages import render
from web.security import CookieSessionMiddleware, SecurityHeadersMiddleware
from web.settings import WebSettings, get_web_settings
from workflow.calendar.clock import Clock, SystemClock
from web.errors import api_error, error_json, new_reference, status_of
from web.limits import BodyTooLarge, EdgeLimitsMiddleware, Refused
from web.messages import MESSAGES
from workflow.errors import KyodoError

STATIC = Path(__file__).parent / "static"
log = logging.getLogger("kyodo.web")


class LanguageMiddleware:
    """``?lang=en`` on any page switches the language and remembers it in a cookie."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        conn = HTTPConnection(scope)
        asked = conn.query_params.get("lang")
        remembered = conn.cookies.get(i18n.COOKIE)
        chosen = asked if asked in i18n.LANGUAGES else remembered if remembered in i18n.LANGUAGES else None
        state = scope.setdefault("state", {})
        if chosen:
            state["lang"] = chosen

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start" and asked in i18n.LANGUAGES and asked != remembered:
                headers = list(message.get("headers", []))
                headers.append((b"set-cookie", f"{i18n.COOKIE}={asked}; Path=/; Max-Age=31536000; SameSite=Lax"
                                .encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_cookie)


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _words(key: str, **values) -> tuple[str, str]:
    ja, en = MESSAGES[key]
    return ja.format(**values), en.format(**values)


def _size(n: int) -> str:
    return f"{n / (1024 * 1024):.3g} MB" if n >= 1024 * 1024 else f"{n // 1024} KB"


def _error_page(request: Request, status: int, message_ja: str, message_en: str, hint_ja: str = "",
                hint_en: str = "", reference: str | None = None, headers: dict[str, str] | None = None):
    return render(request, "error.html", {"status": status, "message_ja": message_ja, "message_en": message_en,
                                          "hint_ja": hint_ja, "hint_en": hint_en, "reference": reference},
                  status=status, headers=headers)


def _refusal(request: Request, status: int, code: str, words: tuple[str, str], hint: tuple[str, str] = ("", ""),
             headers: dict[str, str] | None = None, **extra):
    """One refusal, as the API's JSON error or as a page in the person's language."""
    if _is_api(request):
        return error_json(status, code, *words, *hint, headers=headers, **extra)
    return _error_page(request, status, *words, *hint, headers=headers)


def _too_large(request: Request, limit: int):
    return _refusal(request, 413, "too_large", _words("error_too_large", limit=_size(limit)),
                    _words("error_too_large_hint"))


async def answer_refused(scope, receive, refused: Refused):
    """The answer to what the edge (``web.limits``) refuses before any handler runs."""
    request = Request(scope, receive)
    if refused.code == "too_large":
        return _too_large(request, refused.limit or 0)
    if refused.code == "nul_character":
        return _refusal(request, 422, "invalid_input", _words("error_nul", field=refused.field),
                        field=refused.field)
    return _refusal(request, refused.status, refused.code, _words("error_not_found"))


def _problems(errors) -> list[dict]:
    """Validation errors without the values given (a value may be huge, or not JSON at all: 1e999999)."""
    out = []
    for e in errors:
        loc = [str(x) for x in e.get("loc", ())]
        where = ".".join(loc[1:]) if len(loc) > 1 and loc[0] in ("body", "query", "path", "header", "cookie") \
            else ".".join(loc)
        out.append({"field": (where or "body")[:80], "problem": str(e.get("msg", ""))[:200],
                    "type": str(e.get("type", ""))[:60]})
    return out


HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
              405: "method_not_allowed", 413: "too_large", 415: "unsupported_media_type"}


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired):
        if _is_api(request):
            return error_json(401, "unauthorized", *_words("error_unauthorized"),
                              headers={"WWW-Authenticate": "Bearer"})
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        from urllib.parse import quote

        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, exc: Forbidden):
        return _refusal(request, 403, "forbidden", (exc.message_ja, exc.message_en))

    @app.exception_handler(CsrfFailed)
    async def csrf_failed(request: Request, exc: CsrfFailed):
        return _error_page(request, 403, "フォームの有効期限が切れたか、正しくない送信です。",
                           "The form has expired or was not sent from this site.",
                           "ページを読み込み直してから、もう一度送信してください。", "Reload the page and send it again.")

    @app.exception_handler(TooLarge)
    async def too_large(request: Request, exc: TooLarge):
        return _too_large(request, request.app.state.web_settings.max_upload_bytes)

    @app.exception_handler(KyodoError)
    async def kyodo_error(request: Request, exc: KyodoError):
        status = status_of(exc)
        if _is_api(request):
            return api_error(exc, status)
        return _error_page(request, status, exc.message_ja, exc.message_en, exc.hint_ja, exc.hint_en)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        if isinstance(exc, BodyTooLarge):
            return _too_large(request, exc.limit)
        key = {404: "error_not_found", 405: "error_method"}.get(exc.status_code, "error_bad_request")
        return _refusal(request, exc.status_code, HTTP_CODES.get(exc.status_code, "http_error"), _words(key),
                        headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError):
        problems = _problems(exc.errors())
        first = problems[0] if problems else {"field": "body", "problem": ""}
        words = _words("error_invalid_field", field=first["field"], problem=first["problem"])
        if _is_api(request):
            return error_json(422, "invalid_request", *words, *_words("error_invalid_hint"), field=first["field"],
                              detail=problems)
        return _error_page(request, 422, *words, *_words("error_invalid_hint"))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception):
        # Whatever went wrong, the person gets words and a number, and the log gets the same
        # number with the whole story; nothing of the error itself is shown.
        reference = new_reference()
        log.error("error reference %s: unhandled %s on %s %s", reference, type(exc).__name__, request.method,
                  request.url.path, exc_info=exc)
        words, hint = _words("error_internal"), _words("error_internal_hint")
        if _is_api(request):
            return error_json(500, "internal_error", *words, *hint, reference=reference)
        try:
            return _error_page(request, 500, *words, *hint, reference=reference)
        except Exception:  # noqa: BLE001 - the page itself failed: plain words, still the number
            log.exception("error page for reference %s could not be rendered", reference)
            return HTMLResponse(FALLBACK_PAGE.format(reference=reference, ja=words[0], en=words[1],
                                                     hint_ja=hint[0], hint_en=hint[1]), status_code=500)


FALLBACK_PAGE = """<!doctype html><html lang="ja"><head><meta charset="utf-8"><title>500</title></head><body>
<h1>{ja}</h1><p>{hint_ja}</p><p>エラー番号 <strong>{reference}</strong></p>
<hr><p lang="en">{en} {hint_en} Error reference <strong>{reference}</strong></p></body></html>"""


def create_app(*, engine: Engine | None = None, clock: Clock | None = None, settings: Settings | None = None,
               web_settings: WebSettings | None = None) -> FastAPI:
    from web.routes import (account, api, auth, calls, cases, department, health, oidc, consultations, organisations,
                            panels, portal, public, queue, round_results, rounds, secretariat, users)

    web_settings = web_settings or get_web_settings()
    app = FastAPI(
        title="Kyodo（協働）API",
        version="1",
        description="市民協働条例にもとづく協働事業の提案・審査・決定・契約・評価の API / "
                    "the citizen-collaboration workflow API. Authenticate with `Authorization: Bearer <token>`.",
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.engine = engine or get_engine()
    app.state.clock = clock or SystemClock()
    app.state.settings = settings or get_settings()
    app.state.web_settings = web_settings

    _install_error_handlers(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for module in (auth, oidc, consultations, organisations, portal, calls, cases, queue, department, secretariat, users, public, account,
                   rounds, panels, round_results, health, api):
        app.include_router(module.router)

    # Added innermost first: the edge's limits are checked before any handler reads a body
    # (inside the session and language, so a refusal is worded for the person), the
    # language is known inside the session, and the security headers wrap everything.
    app.add_middleware(EdgeLimitsMiddleware, max_body_bytes=web_settings.max_body_bytes,
                       max_upload_bytes=web_settings.max_upload_bytes, answer=answer_refused)
    app.add_middleware(LanguageMiddleware)
    app.add_middleware(CookieSessionMiddleware, secret_key=web_settings.secret_key,
                       max_age=web_settings.session_max_age_seconds, cookie_secure=web_settings.cookie_secure)
    app.add_middleware(SecurityHeadersMiddleware)
    return app
