"""Logging in and out, and the front page that sends each person to their own work."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import select

from db.models import User
from web.deps import ClockDep, OptionalUser, SessionDep, SettingsDep, verify_csrf
from web.pages import flash, render
from web.ratelimit import limiter_for
from web.security import fingerprint, hash_password, needs_rehash, verify_password
from workflow.actors import Actor

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])

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
def login_form(request: Request, actor: OptionalUser, next: str | None = None):
    if actor is not None:
        return RedirectResponse(safe_next(next) or home_of(actor), status_code=303)
    return render(request, "login.html", {"next": safe_next(next) or "", "login": "", "error": None})


@router.post("/login")
async def login(request: Request, db: SessionDep, clock: ClockDep, settings: SettingsDep):
    form = await request.form()
    login_name = str(form.get("login", "")).strip()[:100]
    password = str(form.get("password", ""))
    target = safe_next(str(form.get("next", "")))
    ip = request.client.host if request.client else ""
    now = clock.now()
    limiter = limiter_for(db, settings)
    verdict = limiter.check(login_name, ip, now)
    if not verdict.allowed:
        minutes = max(1, verdict.retry_after // 60)
        return render(request, "login.html", {
            "next": target or "", "login": login_name,
            "error": ("ログインの失敗が続いたため、一時的にログインを止めています。"
                      f"{minutes}分ほど待ってからやり直してください。",
                      f"Too many failed attempts. Please wait about {minutes} minutes and try again."),
        }, status=429, headers={"Retry-After": str(verdict.retry_after)})
    user = db.execute(select(User).where(User.login == login_name)).scalar() if login_name else None
    ok = verify_password(user.password_hash if user else None, password) and user is not None and user.active
    db.rollback()
    limiter.record(login_name, ip, ok, now)
    if not ok:
        return render(request, "login.html", {
            "next": target or "", "login": login_name,
            "error": ("ログイン名またはパスワードが違います。", "The login name or password is not correct."),
        }, status=401)
    stored = user.password_hash
    if needs_rehash(stored):
        from sqlalchemy import update

        stored = hash_password(password)
        db.execute(update(User).where(User.id == user.id).values(password_hash=stored))
        db.commit()
    # A new session on login: a token planted before login is worth nothing after it.
    request.session.clear()
    request.session.update(uid=user.id, fp=fingerprint(stored))
    from workflow.actors import load_actor

    actor = load_actor(db, user.id)
    db.rollback()
    request.state.actor = actor
    return RedirectResponse(target or home_of(actor), status_code=303)


@router.post("/logout")
def logout(request: Request):
    request.session.clear()
    flash(request, "info", "ログアウトしました。", "You are logged out.")
    return RedirectResponse("/", status_code=303)
