"""The web application: server-rendered pages for every role, the public pages, the JSON API.

``create_app`` takes its database engine, clock and settings as arguments so that tests
(and the demo) hand in their own; a production server reads them from ``KYODO_``
variables. The app keeps nothing in process memory between requests: the session is a
signed cookie and login limits live in Redis or the database, so several instances can
serve behind one load balancer.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
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
from web.errors import api_error, status_of
from workflow.errors import KyodoError

STATIC = Path(__file__).parent / "static"



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


def _error_page(request: Request, status: int, message_ja: str, message_en: str, hint_ja: str = "",
                hint_en: str = ""):
    return render(request, "error.html", {"status": status, "message_ja": message_ja, "message_en": message_en,
                                          "hint_ja": hint_ja, "hint_en": hint_en}, status=status)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired):
        if _is_api(request):
            return JSONResponse({"error": "unauthorized", "message_ja": "認証が必要です。",
                                 "message_en": "authentication required"}, status_code=401,
                                headers={"WWW-Authenticate": "Bearer"})
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        from urllib.parse import quote

        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, exc: Forbidden):
        if _is_api(request):
            return JSONResponse({"error": "forbidden", "message_ja": exc.message_ja, "message_en": exc.message_en},
                                status_code=403)
        return _error_page(request, 403, exc.message_ja, exc.message_en)

    @app.exception_handler(CsrfFailed)
    async def csrf_failed(request: Request, exc: CsrfFailed):
        return _error_page(request, 403, "フォームの有効期限が切れたか、正しくない送信です。",
                           "The form has expired or was not sent from this site.",
                           "ページを読み込み直してから、もう一度送信してください。", "Reload the page and send it again.")

    @app.exception_handler(TooLarge)
    async def too_large(request: Request, exc: TooLarge):
        limit = request.app.state.web_settings.max_upload_bytes // (1024 * 1024)
        return _error_page(request, 413, f"送信されたデータが大きすぎます（上限 {limit} MB）。",
                           f"The upload is too large (limit {limit} MB).")

    @app.exception_handler(KyodoError)
    async def kyodo_error(request: Request, exc: KyodoError):
        status = status_of(exc)
        if _is_api(request):
            return api_error(exc, status)
        return _error_page(request, status, exc.message_ja, exc.message_en, exc.hint_ja, exc.hint_en)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        if _is_api(request):
            return JSONResponse({"error": "http", "detail": exc.detail}, status_code=exc.status_code)
        if exc.status_code == 404:
            return _error_page(request, 404, "ページが見つかりません。", "Page not found.")
        return _error_page(request, exc.status_code, "リクエストを処理できませんでした。", str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError):
        if _is_api(request):
            return JSONResponse({"error": "invalid_request", "detail": jsonable(exc.errors())}, status_code=422)
        return _error_page(request, 400, "リクエストの内容が正しくありません。", "The request is not valid.")


def jsonable(errors) -> list:
    from fastapi.encoders import jsonable_encoder

    return jsonable_encoder(errors, custom_encoder={Exception: str})


def create_app(*, engine: Engine | None = None, clock: Clock | None = None, settings: Settings | None = None,
               web_settings: WebSettings | None = None) -> FastAPI:
    from web.routes import (account, api, auth, calls, cases, department, health, organisations, portal, public,
                            queue, secretariat)

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
    for module in (auth, organisations, portal, calls, cases, queue, department, secretariat, public, account, health,
                   api):
        app.include_router(module.router)

    # Added innermost first: the language is known inside the session, and the security
    # headers wrap everything.
    app.add_middleware(LanguageMiddleware)
    app.add_middleware(CookieSessionMiddleware, secret_key=web_settings.secret_key,
                       max_age=web_settings.session_max_age_seconds, cookie_secure=web_settings.cookie_secure)
    app.add_middleware(SecurityHeadersMiddleware)
    return app
