"""Registering a citizen group (Article 2: its kind) and the people who act for it."""

from __future__ import annotations

import re

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import select
from sqlmodel import Session

from db.models import Membership, Organisation, User
from db.session import write
from states.vocabulary import ORGANISATION_KINDS
from web.deps import ClockDep, CurrentUser, Forbidden, OptionalUser, SessionDep, verify_csrf, Id
from web.i18n import t
from web.pages import flash, language, render
from web.security import set_password, sign_in
from workflow.accounts import password_problem
from workflow import directory
from workflow.actors import Actor

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])

LOGIN_PATTERN = re.compile(r"^[A-Za-z0-9._-]{3,50}$")
ORG_FIELDS = ("org_name", "kind", "representative_title", "representative_name", "org_email")
PERSON_FIELDS = ("login", "name", "email", "password", "password_confirm")


def _text(form, name: str, limit: int = 200) -> str:
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def _check_org(values: dict, lang: str) -> dict[str, str]:
    errors = {}
    if not values["org_name"]:
        errors["org_name"] = t(lang, "field_required")
    if values["kind"] not in ORGANISATION_KINDS:
        errors["kind"] = t(lang, "choose_one")
    if not values["representative_name"]:
        errors["representative_name"] = t(lang, "field_required")
    if values["org_email"] and "@" not in values["org_email"]:
        errors["org_email"] = t(lang, "email_invalid")
    return errors


def _check_person(db: Session, values: dict, lang: str) -> dict[str, str]:
    errors = {}
    if not LOGIN_PATTERN.match(values["login"]):
        errors["login"] = t(lang, "login_invalid")
    elif db.execute(select(User.id).where(User.login == values["login"])).first():
        errors["login"] = t(lang, "login_taken")
    if not values["name"]:
        errors["name"] = t(lang, "field_required")
    if "@" not in values["email"]:
        errors["email"] = t(lang, "email_invalid")
    problem = password_problem(values["password"], values["login"])
    if problem:
        errors["password"] = problem[1] if lang == "en" else problem[0]
    elif values["password"] != values["password_confirm"]:
        errors["password_confirm"] = t(lang, "password_mismatch")
    return errors


def _add_person(db: Session, values: dict, org_id: int, lang: str, clock) -> int:
    uid = directory.add_user(db, values["login"], values["name"], values["email"], ("proposer",),
                             organisation_ids=(org_id,), language=lang, clock=clock)
    set_password(db, uid, values["password"])
    return uid


@router.get("/register")
def register_form(request: Request, actor: OptionalUser):
    values = {k: "" for k in ORG_FIELDS + PERSON_FIELDS} | {"representative_title": "代表"}
    return render(request, "register.html", {"values": values, "errors": {}, "kinds": ORGANISATION_KINDS})


@router.post("/register")
async def register(request: Request, db: SessionDep, actor: OptionalUser, clock: ClockDep):
    form = await request.form()
    lang = language(request)
    values = {k: _text(form, k) for k in ORG_FIELDS + PERSON_FIELDS}
    values["password"] = form.get("password") if isinstance(form.get("password"), str) else ""
    values["password_confirm"] = form.get("password_confirm") if isinstance(form.get("password_confirm"), str) else ""
    errors = _check_org(values, lang)
    if actor is None:
        errors |= _check_person(db, values, lang)
    elif "proposer" not in actor.roles:
        raise Forbidden("市の職員の方は団体を登録できません。", "City staff cannot register a citizen group.")
    db.rollback()
    if errors:
        shown = {k: v for k, v in values.items() if not k.startswith("password")}
        return render(request, "register.html", {"values": shown | {"password": "", "password_confirm": ""},
                                                 "errors": errors, "kinds": ORGANISATION_KINDS}, status=422)
    with write(db):
        org_id = directory.add_organisation(db, values["org_name"], values["kind"], values["representative_name"],
                                            representative_title=values["representative_title"] or "代表",
                                            email=values["org_email"], clock=clock,
                                            actor_id=actor.user_id if actor else None)
        if actor is None:
            uid = _add_person(db, values, org_id, lang, clock)
        else:
            uid = actor.user_id
            directory.add_member(db, org_id, uid, actor_id=uid, clock=clock)
    if actor is None:
        sign_in(request, db, uid)
    flash(request, "success", "団体を登録しました。「新しい提案」から提案書を作成できます。",
          "Your group is registered. Start a proposal with “New proposal”.")
    return RedirectResponse("/portal", status_code=303)


def _members_page(request, db, org, *, values=None, errors=None, status=200):
    members = list(db.execute(select(User).join(Membership, Membership.user_id == User.id)
                              .where(Membership.organisation_id == org.id).order_by(User.id)).scalars())
    db.rollback()
    return render(request, "organisation.html", {
        "org": org, "members": members, "kinds": ORGANISATION_KINDS,
        "values": values or {k: "" for k in PERSON_FIELDS}, "errors": errors or {},
    }, status=status)


def _my_org(db, actor: Actor, oid: Id) -> Organisation:
    if "proposer" not in actor.roles or oid not in actor.organisation_ids:
        raise Forbidden("この団体の構成員だけが見られるページです。", "Only members of this group can see this page.")
    return db.get(Organisation, oid)


@router.get("/organisations/{oid}")
def organisation(oid: Id, request: Request, db: SessionDep, actor: CurrentUser):
    return _members_page(request, db, _my_org(db, actor, oid))


@router.post("/organisations/{oid}/members")
async def add_member(oid: Id, request: Request, db: SessionDep, actor: CurrentUser, clock: ClockDep):
    org = _my_org(db, actor, oid)
    form = await request.form()
    lang = language(request)
    values = {k: _text(form, k) for k in PERSON_FIELDS}
    values["password"] = form.get("password") if isinstance(form.get("password"), str) else ""
    values["password_confirm"] = form.get("password_confirm") if isinstance(form.get("password_confirm"), str) else ""
    errors = _check_person(db, values, lang)
    if errors:
        shown = {k: v for k, v in values.items()} | {"password": "", "password_confirm": ""}
        return _members_page(request, db, org, values=shown, errors=errors, status=422)
    with write(db):
        _add_person(db, values, oid, "ja", clock)
    flash(request, "success", f"{values['name']} さんを構成員に加えました。", f"{values['name']} is now a member.")
    return RedirectResponse(f"/organisations/{oid}", status_code=303)
