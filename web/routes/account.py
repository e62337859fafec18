"""The signed-in person's own page: password, and bearer tokens for the JSON API.

A token is shown once, when it is made; only its SHA-256 is stored.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import insert, select, update

from db.models import ApiToken, Department, Organisation, User
from db.session import write
from web.deps import ClockDep, CurrentUser, SessionDep, verify_csrf, Id
from web.i18n import t
from web.pages import flash, language, render
from web.security import fingerprint, new_api_token, password_problem, set_password, token_hash, verify_password

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])


def _page(request, db, actor, *, new_token=None, errors=None, status=200):
    user = db.get(User, actor.user_id)
    tokens = list(db.execute(select(ApiToken).where(ApiToken.user_id == actor.user_id).order_by(ApiToken.id))
                  .scalars())
    orgs = list(db.execute(select(Organisation).where(Organisation.id.in_(actor.organisation_ids))).scalars())
    dept = db.get(Department, actor.department_id) if actor.department_id else None
    db.rollback()
    return render(request, "account.html", {"u": user, "tokens": tokens, "orgs": orgs, "dept": dept,
                                            "new_token": new_token, "errors": errors or {}}, status=status)


@router.get("/account")
def account(request: Request, db: SessionDep, actor: CurrentUser):
    return _page(request, db, actor)


@router.post("/account/password")
async def change_password(request: Request, db: SessionDep, actor: CurrentUser):
    form = await request.form()
    lang = language(request)
    current, new, confirm = (str(form.get(k, "")) for k in ("current_password", "new_password", "new_password_confirm"))
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
        return _page(request, db, actor, errors=errors, status=422)
    with write(db):
        set_password(db, actor.user_id, new)
    user = db.get(User, actor.user_id)
    request.session["fp"] = fingerprint(user.password_hash)  # this browser stays in; others are out
    db.rollback()
    flash(request, "success", "パスワードを変更しました。", "Your password is changed.")
    return RedirectResponse("/account", status_code=303)


@router.post("/account/tokens")
async def create_token(request: Request, db: SessionDep, actor: CurrentUser, clock: ClockDep):
    form = await request.form()
    name = str(form.get("name", "")).strip()[:100] or "API"
    token = new_api_token()
    with write(db):
        db.execute(insert(ApiToken).values(user_id=actor.user_id, name=name, token_hash=token_hash(token),
                                           created_at=clock.now()))
    return _page(request, db, actor, new_token=token)


@router.post("/account/tokens/{tid}/revoke")
def revoke_token(tid: Id, request: Request, db: SessionDep, actor: CurrentUser):
    with write(db):
        db.execute(update(ApiToken).where(ApiToken.id == tid, ApiToken.user_id == actor.user_id)
                   .values(revoked=True))
    flash(request, "success", "トークンを無効にしました。", "The token is revoked.")
    return RedirectResponse("/account", status_code=303)
