"""The signed-in person's own page: password, signed-in browsers, bearer tokens for the JSON API.

A token is shown once, when it is made; only its SHA-256 is stored. A new password ends
every session of the person (this browser gets a fresh one), and so does "sign out
everywhere".

A token's maker chooses what it may do — 「閲覧のみ」 (``read``) or 「閲覧と操作」
(``read write``), read only unless asked — and how long it lasts: 30, 90 or 365 days,
never forever. The table shows each token's scopes, expiry and whether it is still live.

A new password does not revoke the person's API tokens, and neither does signing out
everywhere: a token is the credential of an integration, not of a browser, and replacing a
password (forgotten, or changed on a schedule) should not silently stop a nightly export.
Tokens are listed and revoked here one by one, and every token expires. Disabling the
person makes every token of theirs useless at once: the API loads the person on each
request (``workflow.actors.load_actor``), and that refuses an inactive one (401).
"""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import insert, select, update

from db.models import ApiToken, Department, Organisation, User
from db.session import write
from web.deps import ClockDep, CurrentUser, SessionDep, verify_csrf, Id
from web.i18n import t
from web.pages import flash, language, render
from web.routes.api import READ, WRITE
from web.security import SESSION_KEY, new_api_token, sign_in, sign_out
from workflow.accounts import digest as token_hash
from workflow.accounts import password_problem, verify_password
from workflow import accounts

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])

# The choices of the token form, as stored in ApiToken.scopes, each with its label's key;
# the first is the default: a token reads only unless its maker asks for more.
SCOPE_CHOICES = {READ: "token_scope_read", f"{READ} {WRITE}": "token_scope_read_write"}
LIFETIME_DAYS = (30, 90, 365)
DEFAULT_DAYS = 90
TOKEN_FORM = {"name": "", "scopes": READ, "days": str(DEFAULT_DAYS)}


def _page(request, db, actor, clock, *, new_token=None, errors=None, token_form=None, status=200):
    user = db.get(User, actor.user_id)
    sessions = accounts.open_sessions(db, actor.user_id)
    tokens = list(db.execute(select(ApiToken).where(ApiToken.user_id == actor.user_id).order_by(ApiToken.id))
                  .scalars())
    orgs = list(db.execute(select(Organisation).where(Organisation.id.in_(actor.organisation_ids))).scalars())
    dept = db.get(Department, actor.department_id) if actor.department_id else None
    db.rollback()
    return render(request, "account.html", {"u": user, "tokens": tokens, "orgs": orgs, "dept": dept,
                                            "sessions": sessions, "this_session": _this_session(request),
                                            "new_token": new_token, "errors": errors or {}, "now": clock.now(),
                                            "scope_choices": SCOPE_CHOICES, "lifetime_days": LIFETIME_DAYS,
                                            "token_form": token_form or TOKEN_FORM},
                  status=status)


def _this_session(request: Request) -> str:
    key = request.session.get(SESSION_KEY)
    return accounts.digest(key) if isinstance(key, str) else ""


@router.get("/account")
def account(request: Request, db: SessionDep, actor: CurrentUser, clock: ClockDep):
    return _page(request, db, actor, clock)


@router.post("/account/sessions/end")
def sign_out_everywhere(request: Request, db: SessionDep, actor: CurrentUser):
    with write(db):
        accounts.end_sessions(db, actor.user_id, accounts.EVERYWHERE)
    sign_out(request, db)
    flash(request, "info", "すべての端末からログアウトしました。", "You are signed out everywhere.")
    return RedirectResponse("/login", status_code=303)


@router.post("/account/password")
async def change_password(request: Request, db: SessionDep, actor: CurrentUser, clock: ClockDep):
    form = await request.form()
    lang = language(request)
    current, new, confirm = (form.get(k) if isinstance(form.get(k), str) else ""
                             for k in ("current_password", "new_password", "new_password_confirm"))
    user = db.get(User, actor.user_id)
    errors = {}
    if not verify_password(user.password_hash, current):
        errors["current_password"] = t(lang, "password_wrong")
    problem = password_problem(new, user.login)
    if problem:
        errors["new_password"] = problem[1] if lang == "en" else problem[0]
    elif new != confirm:
        errors["new_password_confirm"] = t(lang, "password_mismatch")
    db.rollback()
    if errors:
        return _page(request, db, actor, clock, errors=errors, status=422)
    with write(db):
        accounts.change_password(db, actor.user_id, new, clock.now(), actor_id=actor.user_id)
    # Every session ended with the change, this one too; this browser gets a fresh one.
    sign_in(request, db, actor.user_id)
    flash(request, "success", "パスワードを変更しました。", "Your password is changed.")
    return RedirectResponse("/account", status_code=303)


@router.post("/account/tokens")
async def create_token(request: Request, db: SessionDep, actor: CurrentUser, clock: ClockDep):
    form = await request.form()
    lang = language(request)
    given = {k: form.get(k) if isinstance(form.get(k), str) else "" for k in TOKEN_FORM}
    name = given["name"].strip()[:100] or "API"
    # Left out, a choice takes its default (a script posting only a name gets the safest
    # token); given, it must be one of the choices offered.
    scopes = given["scopes"] or TOKEN_FORM["scopes"]
    days = given["days"] or TOKEN_FORM["days"]
    errors = {}
    if scopes not in SCOPE_CHOICES:
        errors["token_scopes"] = t(lang, "token_scope_invalid")
    if days not in {str(d) for d in LIFETIME_DAYS}:
        errors["token_days"] = t(lang, "token_days_invalid")
    if errors:
        form_back = {"name": given["name"][:100], "scopes": scopes if scopes in SCOPE_CHOICES else READ,
                     "days": days if "token_days" not in errors else str(DEFAULT_DAYS)}
        return _page(request, db, actor, clock, errors=errors, token_form=form_back, status=422)
    token = new_api_token()
    now = clock.now()
    with write(db):
        db.execute(insert(ApiToken).values(user_id=actor.user_id, name=name, token_hash=token_hash(token),
                                           created_at=now, scopes=scopes, expires_at=now + timedelta(days=int(days))))
    return _page(request, db, actor, clock, new_token=token)


@router.post("/account/tokens/{tid}/revoke")
def revoke_token(tid: Id, request: Request, db: SessionDep, actor: CurrentUser):
    with write(db):
        db.execute(update(ApiToken).where(ApiToken.id == tid, ApiToken.user_id == actor.user_id)
                   .values(revoked=True))
    flash(request, "success", "トークンを無効にしました。", "The token is revoked.")
    return RedirectResponse("/account", status_code=303)
