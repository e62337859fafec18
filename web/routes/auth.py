"""Signing in and out, a forgotten password, and the front page that sends each person to their work.

Sessions are rows on the server (``web.security.sign_in``/``sign_out``); a one-time link
(an invitation or a password reset) lands on ``/password/set``.
"""

from __future__ import annotations

import math
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import select, update

from db.models import User
from db.session import write
from web.deps import ClockDep, OptionalUser, SessionDep, SettingsDep, verify_csrf
from web.i18n import t
from web.messages import MESSAGES
from web.pages import flash, language, render
from web.ratelimit import limiter_for
from web.security import client_address, sign_in, sign_out
from workflow.accounts import hash_password, needs_rehash, verify_password
from workflow import accounts
from workflow.actors import Actor, load_actor

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])
# The one-time link being used, kept in this browser's signed cookie between the pages.
LINK_KEY = "link"
# A page reached by a one-time link is never kept by a browser or a proxy.
NO_STORE = {"Cache-Control": "no-store"}

# Where each role's work starts, most specific first.
HOME = (("secretariat", "/secretariat"), ("approver", "/queue"), ("department", "/queue"),
        ("reviewer", "/queue"), ("proposer", "/portal"), ("admin", "/secretariat/compliance"))


def home_of(actor: Actor) -> str:
    return next((path for role, path in HOME if role in actor.roles), "/account")


def safe_next(target: str | None) -> str | None:
    """Only a path on this site: never ``//host`` or ``https://…`` (an open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


@router.get("/")
def front(request: Request, actor: OptionalUser):
    if actor is not None:
        return RedirectResponse(home_of(actor), status_code=303)
    return render(request, "front.html")


@router.get("/login")
def login_form(request: Request, actor: OptionalUser, next: str | None = None, login: str | None = None):
    if actor is not None:
        return RedirectResponse(safe_next(next) or home_of(actor), status_code=303)
    return render(request, "login.html", {"next": safe_next(next) or "", "login": (login or "")[:100], "error": None})


@router.post("/login")
async def login(request: Request, db: SessionDep, clock: ClockDep, settings: SettingsDep):
    form = await request.form()
    login_name = _field(form, "login", 100)
    password = form.get("password") if isinstance(form.get("password"), str) else ""
    target = safe_next(_field(form, "next", 2000))
    ip = client_address(request)
    now = clock.now()
    limiter = limiter_for(db, settings)
    verdict = limiter.check(login_name, ip, now)
    if not verdict.allowed:
        wait = verdict.retry_after
        minutes = math.ceil(wait / 60)
        ja, en = (f"{wait}秒", f"{wait} seconds") if wait < 60 else (f"{minutes}分", f"{minutes} minutes")
        return render(request, "login.html", {
            "next": target or "", "login": login_name,
            "error": (f"ログインの失敗が続いたため、この端末からのログインを少しの間止めています。{ja}ほど待ってからやり直してください。",
                      f"Too many failed attempts from here. Please wait {en} and try again."),
        }, status=429, headers={"Retry-After": str(wait)})
    user = db.execute(select(User).where(User.login == login_name)).scalar() if login_name else None
    ok = verify_password(user.password_hash if user else None, password) and user is not None and user.active
    db.rollback()
    limiter.record(login_name, ip, ok, now)
    if not ok:
        return render(request, "login.html", {
            "next": target or "", "login": login_name,
            "error": ("ログイン名またはパスワードが違います。", "The login name or password is not correct."),
        }, status=401)
    if user.oidc_subject and request.app.state.web_settings.oidc_enabled:
        # Linked to the city's provider: the provider decides who may sign in (and when
        # someone leaves, it alone knows), so an old password must not open the account.
        return render(request, "login.html", {"next": target or "", "login": login_name,
                                              "error": MESSAGES["staff_use_provider"]}, status=403)
    if needs_rehash(user.password_hash):
        with write(db):
            db.execute(update(User).where(User.id == user.id).values(password_hash=hash_password(password)))
    sign_in(request, db, user.id)
    actor = load_actor(db, user.id)
    db.rollback()
    request.state.actor = actor
    return RedirectResponse(target or home_of(actor), status_code=303)


@router.post("/logout")
def logout(request: Request, db: SessionDep):
    sign_out(request, db)
    flash(request, "info", "ログアウトしました。", "You are logged out.")
    return RedirectResponse("/", status_code=303)


def _field(form, name: str, limit: int) -> str:
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


# --- A forgotten password, and the page every one-time link lands on.

@router.get("/password/forgot")
def forgot_form(request: Request):
    return render(request, "password_forgot.html", {"sent": False, "who": ""})


@router.post("/password/forgot")
async def forgot(request: Request, db: SessionDep, clock: ClockDep):
    form = await request.form()
    who = _field(form, "who", 254)
    if who:
        with write(db):
            accounts.request_reset(db, who, clock.now(), request.app.state.settings)
    # The same answer whether or not the account exists.
    return render(request, "password_forgot.html", {"sent": bool(who), "who": ""})


@router.get("/password/set")
def set_password_form(request: Request, db: SessionDep, clock: ClockDep, token: str | None = None):
    if token is not None:
        # Out of the address bar (history, a shared screen) at once: kept in the signed cookie.
        request.session[LINK_KEY] = token[:200]
        return RedirectResponse(accounts.SET_PASSWORD_PATH, status_code=303)
    holder = _link_holder(request, db, clock)
    return render(request, "password_set.html", {"holder": holder, "errors": {}},
                  status=200 if holder else 410, headers=NO_STORE)


@router.post("/password/set")
async def set_password(request: Request, db: SessionDep, clock: ClockDep):
    form = await request.form()
    lang = language(request)
    holder = _link_holder(request, db, clock)
    if holder is None:
        return render(request, "password_set.html", {"holder": None, "errors": {}}, status=410, headers=NO_STORE)
    new, confirm = (form.get(k) if isinstance(form.get(k), str) else ""
                    for k in ("new_password", "new_password_confirm"))
    errors = {}
    problem = accounts.password_problem(new, holder.login)
    if problem:
        errors["new_password"] = problem[1] if lang == "en" else problem[0]
    elif new != confirm:
        errors["new_password_confirm"] = t(lang, "password_mismatch")
    if errors:
        return render(request, "password_set.html", {"holder": holder, "errors": errors}, status=422,
                      headers=NO_STORE)
    try:
        with write(db):
            accounts.use_link(db, request.session[LINK_KEY], new, clock.now())
    except accounts.LinkInvalid:
        request.session.pop(LINK_KEY, None)
        return render(request, "password_set.html", {"holder": None, "errors": {}}, status=410, headers=NO_STORE)
    # Whoever was signed in on this browser, the person now signs in with the new password.
    sign_out(request, db)
    flash(request, "success", "パスワードを設定しました。新しいパスワードでログインしてください。",
          "Your password is set. Please sign in with it.")
    return RedirectResponse(f"/login?{urlencode({'login': holder.login})}", status_code=303)


def _link_holder(request: Request, db, clock) -> accounts.LinkHolder | None:
    token = request.session.get(LINK_KEY)
    holder = accounts.check_link(db, token, clock.now()) if isinstance(token, str) else None
    db.rollback()
    return holder
