"""Proposal rounds (募集): the secretariat declares and publishes them; everyone reads them.

The secretariat's pages (``/secretariat/rounds``…) declare a round, edit it, add and
remove its themes and criteria, and publish it; every change goes through
``workflow.rounds`` and is kept in the directory's trail. A mistake comes back as the
same page with the problem beside its field (422), never as an error page.

The public pages (``/public/rounds``…) show published rounds only: a round not yet
published does not exist for them (404). Its guidelines (募集要項) download as one
printable HTML document.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import select
from sqlmodel import Session

from db.models import DirectoryEvent, User
from db.session import write
from web.changes import in_language, run_change
from web.deps import ClockDep, CurrentUser, Id, OptionalUser, SessionDep, require_role, verify_csrf
from web.messages import MESSAGES
from web.pages import flash, language, render
from workflow import directory, rounds
from workflow.calendar.clock import japan_today
from workflow.errors import NotFound

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])
Secretariat = Depends(require_role("secretariat"))

KNOWN_ACTIONS = frozenset(k for k in MESSAGES if k.startswith("rounds_act_"))


def _form_values(form, names) -> dict[str, str]:
    """What was typed, as typed (checked in ``workflow.rounds``; nothing is cut here, so nothing is lost silently)."""
    out = {}
    for name in names:
        value = form.get(name)
        out[name] = value if isinstance(value, str) else ""
    return out


def _round_form(form) -> dict[str, str]:
    values = _form_values(form, [n for n in rounds.ROUND_FIELDS if n != "requires_consultation"])
    values["requires_consultation"] = form.get("requires_consultation") == "1"
    return values


# --- the secretariat's pages

@router.get("/secretariat/rounds", dependencies=[Secretariat])
def round_list(request: Request, db: SessionDep, actor: CurrentUser):
    found = rounds.all_rounds(db)
    db.rollback()
    return render(request, "rounds.html", {"rounds": found})


def _new_page(request: Request, *, values=None, errors=None, code: int = 200):
    return render(request, "rounds_new.html", {"values": values or {"pass_mark": rounds.DEFAULT_PASS_MARK},
                                               "errors": errors or {}, "kinds": rounds.KINDS}, status=code)


@router.get("/secretariat/rounds/new", dependencies=[Secretariat])
def new_round(request: Request, actor: CurrentUser):
    return _new_page(request)


@router.post("/secretariat/rounds", dependencies=[Secretariat])
async def declare(request: Request, db: SessionDep, actor: CurrentUser, clock: ClockDep):
    form = await request.form()
    values = _round_form(form)
    try:
        with write(db):
            rid = rounds.declare(db, values, created_by=actor.user_id, actor_id=actor.user_id, clock=clock)
    except rounds.RoundProblems as exc:
        return _new_page(request, values=values, errors=in_language(language(request), exc.problems), code=422)
    flash(request, "success", f"募集「{values['title_ja'].strip()}」を登録しました。続けてテーマと審査基準を登録してください。",
          "The round is declared; now add its themes and criteria.")
    return RedirectResponse(f"/secretariat/rounds/{rid}", status_code=303)


def _current_values(r: rounds.RoundView) -> dict:
    values = {name: getattr(r, name) for name in rounds.ROUND_FIELDS}
    return {k: ("" if v is None else v.isoformat() if hasattr(v, "isoformat") else v) for k, v in values.items()}


def _round_page(request: Request, db: Session, rid: int, *, section: str = "", values=None, errors=None,
                message: str = "", code: int = 200):
    found = rounds.round_detail(db, round_id=rid)
    if found is None:
        db.rollback()
        raise NotFound(f"募集 {rid} は登録されていません。", f"no round {rid}")
    events = list(db.execute(select(DirectoryEvent, User.name).outerjoin(User, User.id == DirectoryEvent.actor_id)
                             .where(DirectoryEvent.subject == "round", DirectoryEvent.subject_id == rid)
                             .order_by(DirectoryEvent.id.desc()).limit(50)).all())
    depts = [(d.id, d.code, d.name_ja, d.name_en) for d in directory.departments(db)]
    db.rollback()
    return render(request, "rounds_edit.html", {
        "d": found, "kinds": rounds.KINDS, "themed_kinds": rounds.THEMED_KINDS,
        "departments": [_Dept(*d) for d in depts], "round_values": _current_values(found.round),
        "section": section, "values": values or {}, "errors": errors or {}, "message": message,
        "events": events, "known_actions": KNOWN_ACTIONS,
    }, status=code)


@dataclass(frozen=True)
class _Dept:
    """A department as the theme form lists it (read before the transaction ends)."""

    id: int
    code: str
    name_ja: str
    name_en: str


@router.get("/secretariat/rounds/{rid}", dependencies=[Secretariat])
def round_page(rid: Id, request: Request, db: SessionDep, actor: CurrentUser):
    return _round_page(request, db, rid)


def _change(request: Request, db: Session, rid: int, section: str, values: dict, change, done: tuple[str, str],
            anchor: str):
    return run_change(request, db, change, done, section=section, values=values,
                      redirect=f"/secretariat/rounds/{rid}#{anchor}",
                      redisplay=lambda **shown: _round_page(request, db, rid, **shown))


@router.post("/secretariat/rounds/{rid}", dependencies=[Secretariat])
async def edit_round(rid: Id, request: Request, db: SessionDep, actor: CurrentUser, clock: ClockDep):
    values = _round_form(await request.form())
    return _change(request, db, rid, "round", values,
                         lambda: rounds.edit(db, rid, values, actor_id=actor.user_id, clock=clock),
                         ("募集の概要を保存しました。", "The round is saved."), "round")


@router.post("/secretariat/rounds/{rid}/publish", dependencies=[Secretariat])
async def publish(rid: Id, request: Request, db: SessionDep, actor: CurrentUser, clock: ClockDep):
    return _change(request, db, rid, "publish", {},
                         lambda: rounds.publish(db, rid, actor_id=actor.user_id, clock=clock),
                         ("募集を公表しました。公開ページに掲載されています。", "The round is published on the public pages."),
                         "publish")


@router.post("/secretariat/rounds/{rid}/themes", dependencies=[Secretariat])
async def add_theme(rid: Id, request: Request, db: SessionDep, actor: CurrentUser, clock: ClockDep):
    values = _form_values(await request.form(), rounds.THEME_FIELDS)
    return _change(request, db, rid, "theme-new", values,
                         lambda: rounds.add_theme(db, rid, values, actor_id=actor.user_id, clock=clock),
                         (f"テーマ「{values['title'].strip()}」を追加しました。", "The theme is added."), "themes")


@router.post("/secretariat/rounds/{rid}/themes/{tid}", dependencies=[Secretariat])
async def edit_theme(rid: Id, tid: Id, request: Request, db: SessionDep, actor: CurrentUser, clock: ClockDep):
    values = _form_values(await request.form(), rounds.THEME_FIELDS)
    return _change(request, db, rid, f"theme-{tid}", values,
                         lambda: rounds.edit_theme(db, rid, tid, values, actor_id=actor.user_id, clock=clock),
                         ("テーマを保存しました。", "The theme is saved."), "themes")


@router.post("/secretariat/rounds/{rid}/themes/{tid}/remove", dependencies=[Secretariat])
async def remove_theme(rid: Id, tid: Id, request: Request, db: SessionDep, actor: CurrentUser, clock: ClockDep):
    return _change(request, db, rid, "themes", {},
                         lambda: rounds.remove_theme(db, rid, tid, actor_id=actor.user_id, clock=clock),
                         ("テーマを削除しました。", "The theme is removed."), "themes")


@router.post("/secretariat/rounds/{rid}/criteria", dependencies=[Secretariat])
async def add_criterion(rid: Id, request: Request, db: SessionDep, actor: CurrentUser, clock: ClockDep):
    values = _form_values(await request.form(), rounds.CRITERION_FIELDS)
    return _change(request, db, rid, "criterion-new", values,
                         lambda: rounds.add_criterion(db, rid, values, actor_id=actor.user_id, clock=clock),
                         (f"審査基準「{values['label_ja'].strip()}」を追加しました。", "The criterion is added."),
                         "criteria")


@router.post("/secretariat/rounds/{rid}/criteria/{cid}", dependencies=[Secretariat])
async def edit_criterion(rid: Id, cid: Id, request: Request, db: SessionDep, actor: CurrentUser, clock: ClockDep):
    values = _form_values(await request.form(), rounds.CRITERION_FIELDS)
    return _change(request, db, rid, f"criterion-{cid}", values,
                         lambda: rounds.edit_criterion(db, rid, cid, values, actor_id=actor.user_id, clock=clock),
                         ("審査基準を保存しました。", "The criterion is saved."), "criteria")


@router.post("/secretariat/rounds/{rid}/criteria/{cid}/remove", dependencies=[Secretariat])
async def remove_criterion(rid: Id, cid: Id, request: Request, db: SessionDep, actor: CurrentUser, clock: ClockDep):
    return _change(request, db, rid, "criteria", {},
                         lambda: rounds.remove_criterion(db, rid, cid, actor_id=actor.user_id, clock=clock),
                         ("審査基準を削除しました。", "The criterion is removed."), "criteria")


# --- the public pages

def _published(db: Session, code: str) -> rounds.RoundDetail:
    found = rounds.round_detail(db, code=code, published_only=True)
    db.rollback()
    if found is None:
        # Unpublished and unknown alike: a draft must not be seen, nor its existence learnt.
        raise NotFound("この募集は公表されていません。", "no published round with this code")
    return found


@router.get("/public/rounds")
def public_rounds(request: Request, db: SessionDep, actor: OptionalUser, clock: ClockDep):
    found = rounds.published_rounds(db, japan_today(clock))
    db.rollback()
    return render(request, "public_rounds.html", {"rounds": found, "accepting": rounds.ACCEPTING})


@router.get("/public/rounds/{code}")
def public_round(code: str, request: Request, db: SessionDep, actor: OptionalUser):
    found = _published(db, code)
    return render(request, "public_round.html", {"d": found, "r": found.round, "accepting": rounds.ACCEPTING})


STYLE = re.compile(r"<style>(.*?)</style>", re.S)


@router.get("/public/rounds/{code}/guidelines")
def guidelines(code: str, request: Request, db: SessionDep, actor: OptionalUser):
    found = _published(db, code)
    page = render(request, "public_round_guidelines.html", {"d": found, "r": found.round})
    # The document is read offline too: its one style block is allowed by its hash, and nothing else runs.
    style = STYLE.search(page.body.decode()).group(1)
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    page.headers["Content-Security-Policy"] = (f"default-src 'none'; style-src 'sha256-{digest}'; base-uri 'none'; "
                                               "form-action 'none'; frame-ancestors 'none'")
    filename = f"募集要項_{found.round.code}.html"
    page.headers["Content-Disposition"] = (f"attachment; filename=\"guidelines_{found.round.code}.html\"; "
                                           f"filename*=UTF-8''{quote(filename)}")
    return page
