"""People and departments as the secretariat administers them.

List, add or invite a person (an invitation is a one-time link to set a password, sent
as a notice), set their roles and department, disable and enable them; list and add
departments. Every change goes through ``workflow.directory``/``workflow.accounts`` and
is kept in the directory's trail. Nobody changes their own roles or disables themselves:
an administrator cannot lock themselves out, nor raise their own rights.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import select
from sqlmodel import Session

from db.models import DirectoryEvent, User
from db.session import write
from db.types import MAX_ID
from states.roles import ROLES
from states.vocabulary import OWNER_KINDS
from web.changes import in_language
from web.deps import AfterId, ClockDep, CurrentUser, Forbidden, Id, SessionDep, SettingsDep, require_role, verify_csrf
from web.messages import MESSAGES
from web.pages import flash, language, render, url_with
from workflow import accounts, directory
from workflow.actors import Actor
from workflow.errors import InvalidInput, NotFound

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])
Admin = Depends(require_role("secretariat", "admin"))

PERSON_FIELDS = ("login", "name", "email", "language", "department")
DEPARTMENT_FIELDS = ("code", "name_ja", "name_en", "owner_kind", "owner_name")
# The list's filter by status: active or disabled people.
STATUSES = {"active": True, "disabled": False}
# Directory actions the trail can name in words (web/messages_accounts.py "dir_<action>").
KNOWN_ACTIONS = frozenset(k for k in MESSAGES if k.startswith("dir_"))


def _text(form, name: str, limit: int = 200) -> str:
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def _department_id(value: str) -> int | None:
    """An id from a select; anything else is no department (the directory then says what is wrong)."""
    return int(value) if value.isdigit() and 1 <= int(value) <= MAX_ID else None


def _roles(form) -> tuple[str, ...]:
    return tuple(sorted({r for r in form.getlist("roles") if isinstance(r, str)}))


# --- people

def _list_page(request, db: Session, settings, *, role: str | None, status: str | None, after: int | None,
               values=None, errors=None, code=200):
    if role and role not in ROLES:
        raise InvalidInput("role", f"役割「{role}」はありません。次から選んでください：{', '.join(ROLES)}",
                           f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
    if status and status not in STATUSES:
        raise InvalidInput("status", f"状況「{status}」はありません。active か disabled です。",
                           f"unknown status {status!r}; use active or disabled")
    active = STATUSES.get(status or "")
    found = directory.people(db, role=role, active=active, after=after, limit=settings.page_size + 1)
    more = len(found) > settings.page_size
    found = found[:settings.page_size]
    depts = directory.departments(db)
    db.rollback()
    next_url = url_with(request, after=found[-1].id) if more else None
    return render(request, "users.html", {
        "people": found, "departments": depts, "filter_role": role or "",
        "filter_status": status or "",
        "values": values or {"language": "ja", "invite": True, "roles": ()}, "errors": errors or {},
        "next_url": next_url, "first_url": request.url.path if after else None, "prev_url": None,
    }, status=code)


@router.get("/secretariat/users", dependencies=[Admin])
def people(request: Request, db: SessionDep, actor: CurrentUser, settings: SettingsDep, role: str | None = None,
           status: str | None = None, after: AfterId = None):
    return _list_page(request, db, settings, role=role, status=status, after=after)


@router.post("/secretariat/users", dependencies=[Admin])
async def add_person(request: Request, db: SessionDep, actor: CurrentUser, clock: ClockDep, settings: SettingsDep):
    form = await request.form()
    lang = language(request)
    values = {k: _text(form, k, 254) for k in PERSON_FIELDS}
    values.update(roles=_roles(form), head=form.get("head") == "1", invite=form.get("invite") == "1")
    dept = values["department_id"] = _department_id(values["department"])
    problems = directory.user_problems(db, values["login"], values["name"], values["email"], values["roles"], dept,
                                       values["language"])
    if values["department"] and dept is None:
        problems["department"] = ("その所管課は登録されていません。", "no such department")
    db.rollback()
    if problems:
        return _list_page(request, db, settings, role=None, status=None, after=None, values=values,
                          errors=in_language(lang, problems), code=422)
    now = clock.now()
    with write(db):
        uid = directory.add_user(db, values["login"], values["name"], values["email"], values["roles"],
                                 department_id=dept, language=values["language"], is_department_head=values["head"],
                                 clock=clock, actor_id=actor.user_id)
        if values["invite"]:
            accounts.invite(db, uid, now, request.app.state.settings, actor_id=actor.user_id)
    if values["invite"]:
        flash(request, "success", f"{values['name']} さんを登録し、パスワード設定の案内を送りました（有効期限72時間）。",
              f"{values['name']} is added and invited to set a password (the link expires in 72 hours).")
    else:
        flash(request, "success", f"{values['name']} さんを登録しました。", f"{values['name']} is added.")
    return RedirectResponse(f"/secretariat/users/{uid}", status_code=303)


def _person(db: Session, uid: int) -> User:
    user = db.get(User, uid)
    if user is None or user.login == directory.SYSTEM_LOGIN:
        db.rollback()
        raise NotFound(f"利用者 {uid} は登録されていません。", f"no user {uid}")
    return user


def _person_page(request, db: Session, uid: int, *, errors=None, code=200):
    _person(db, uid)
    person = directory.person(db, uid)
    events = list(db.execute(select(DirectoryEvent, User.name).outerjoin(User, User.id == DirectoryEvent.actor_id)
                             .where(DirectoryEvent.subject == "user", DirectoryEvent.subject_id == uid)
                             .order_by(DirectoryEvent.id.desc()).limit(50)).all())
    depts = directory.departments(db)
    db.rollback()
    return render(request, "user.html", {"person": person, "departments": depts, "events": events,
                                         "known_actions": KNOWN_ACTIONS, "errors": errors or {}}, status=code)


@router.get("/secretariat/users/{uid}", dependencies=[Admin])
def person(uid: Id, request: Request, db: SessionDep, actor: CurrentUser):
    return _person_page(request, db, uid)


def _not_self(actor: Actor, uid: int) -> None:
    if actor.user_id == uid:
        raise Forbidden("ご自身の役割の変更や無効化はできません。ほかの担当者に依頼してください。",
                        "You cannot change your own roles or disable yourself; ask another administrator.")


@router.post("/secretariat/users/{uid}/roles", dependencies=[Admin])
async def set_roles(uid: Id, request: Request, db: SessionDep, actor: CurrentUser, clock: ClockDep):
    _not_self(actor, uid)
    _person(db, uid)
    form = await request.form()
    roles = _roles(form)
    dept_text = _text(form, "department")
    dept = _department_id(dept_text)
    problems = directory.role_problems(db, roles, dept)
    if dept_text and dept is None:
        problems["department"] = ("その所管課は登録されていません。", "no such department")
    db.rollback()
    if problems:
        return _person_page(request, db, uid, errors=in_language(language(request), problems), code=422)
    with write(db):
        changed = directory.set_roles(db, uid, roles, department_id=dept, is_department_head=form.get("head") == "1",
                                      actor_id=actor.user_id, clock=clock)
    if changed:
        flash(request, "success", "役割と所管課を変更しました。", "Roles and department are changed.")
    else:
        flash(request, "info", "変更はありませんでした。", "Nothing was changed.")
    return RedirectResponse(f"/secretariat/users/{uid}", status_code=303)


@router.post("/secretariat/users/{uid}/disable", dependencies=[Admin])
def disable(uid: Id, request: Request, db: SessionDep, actor: CurrentUser, clock: ClockDep):
    _not_self(actor, uid)
    _person(db, uid)
    with write(db):
        accounts.disable(db, uid, clock.now(), actor_id=actor.user_id)
    flash(request, "success", "利用を停止しました。この方のログインはすべて終了しました。",
          "The account is disabled; every session of it has ended.")
    return RedirectResponse(f"/secretariat/users/{uid}", status_code=303)


@router.post("/secretariat/users/{uid}/enable", dependencies=[Admin])
def enable(uid: Id, request: Request, db: SessionDep, actor: CurrentUser, clock: ClockDep):
    _not_self(actor, uid)
    _person(db, uid)
    with write(db):
        accounts.enable(db, uid, clock.now(), actor_id=actor.user_id)
    flash(request, "success", "利用を再開しました。", "The account is enabled again.")
    return RedirectResponse(f"/secretariat/users/{uid}", status_code=303)


@router.post("/secretariat/users/{uid}/invite", dependencies=[Admin])
def invite(uid: Id, request: Request, db: SessionDep, actor: CurrentUser, clock: ClockDep):
    _person(db, uid)
    with write(db):
        accounts.invite(db, uid, clock.now(), request.app.state.settings, actor_id=actor.user_id)
    flash(request, "success", "パスワード設定の案内を送りました（有効期限72時間。以前の案内は使えなくなります）。",
          "An invitation to set a password is sent (it expires in 72 hours; earlier links no longer work).")
    return RedirectResponse(f"/secretariat/users/{uid}", status_code=303)


# --- departments

def _departments_page(request, db: Session, *, values=None, errors=None, code=200):
    depts = directory.departments(db)
    db.rollback()
    return render(request, "departments.html", {"departments": depts, "owner_kinds": OWNER_KINDS,
                                                "values": values or {}, "errors": errors or {}}, status=code)


@router.get("/secretariat/departments", dependencies=[Admin])
def departments(request: Request, db: SessionDep, actor: CurrentUser):
    return _departments_page(request, db)


@router.post("/secretariat/departments", dependencies=[Admin])
async def add_department(request: Request, db: SessionDep, actor: CurrentUser, clock: ClockDep):
    form = await request.form()
    values = {k: _text(form, k) for k in DEPARTMENT_FIELDS}
    problems = directory.department_problems(db, values["code"], values["name_ja"], values["owner_kind"],
                                             values["owner_name"], values["name_en"])
    db.rollback()
    if problems:
        return _departments_page(request, db, values=values, errors=in_language(language(request), problems), code=422)
    with write(db):
        directory.add_department(db, values["code"], values["name_ja"], values["owner_kind"], values["owner_name"],
                                 name_en=values["name_en"], actor_id=actor.user_id, clock=clock)
    flash(request, "success", f"所管課「{values['name_ja']}」を登録しました。",
          f"The department {values['name_en'] or values['name_ja']} is added.")
    return RedirectResponse("/secretariat/departments", status_code=303)
