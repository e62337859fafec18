"""The review panel of a round's public presentation, in the browser.

The secretariat (``/secretariat/rounds/{id}/panel``) names the panel's members,
schedules each presentation and reads the panel's table: per proposal each member's
total with their name, the mean, the rank and whether it passes. A panel member
(``/panel``) sees the proposals of their rounds at their presentation, with the
criteria, their weights and the slot, and scores each one (``/panel/proposals/{id}``)
until the presentation is recorded.

Scores are confidential: only these pages show them, to the secretariat and to the
member who gave them; never a public page, never the group. Everything goes through
``workflow.panels``; a mistake comes back as the same page with the problem beside its
field (422).
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from sqlmodel import Session

from db.models import Organisation, Proposal
from db.session import write
from web.changes import in_language, run_change
from web.deps import ClockDep, CurrentUser, Id, SessionDep, require_role, verify_csrf
from web.pages import env, flash, language, render
from workflow import panels, rounds
from workflow.calendar.clock import to_japan
from workflow.errors import InvalidInput, NotFound

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])
Secretariat = Depends(require_role("secretariat"))


def _on_panel(request: Request) -> bool:
    """Whether the signed-in person sits on a round's panel (the navigation offers them /panel).

    Read with the person themselves (``web.deps``), so the template asks the database nothing.
    """
    return bool(getattr(request.state, "on_panel", False))


env.globals["on_panel"] = _on_panel


def _detail(db: Session, rid: int) -> rounds.RoundDetail:
    found = rounds.round_detail(db, round_id=rid)
    if found is None:
        db.rollback()
        raise NotFound(f"募集 {rid} は登録されていません。", f"no round {rid}")
    return found


# --- the secretariat's page


def _slot_values(slot: panels.Slot | None) -> dict[str, str]:
    if slot is None:
        return {}
    return {"starts_at": to_japan(slot.starts_at).strftime("%Y-%m-%dT%H:%M"), "place": slot.place,
            "online_url": slot.online_url, "position": str(slot.position)}


def _panel_page(request: Request, db: Session, rid: int, *, section: str = "", values=None, errors=None,
                message: str = "", code: int = 200):
    d = _detail(db, rid)
    page = {
        "d": d, "r": d.round, "members": panels.members(db, rid), "candidates": panels.candidates(db, rid),
        "results": panels.round_results(db, rid), "fmt": panels.fmt, "section": section,
        "values": values or {}, "errors": errors or {}, "message": message,
    }
    page["slots"] = {x.proposal_id: _slot_values(x.slot) for x in page["results"]}
    db.rollback()
    return render(request, "panel_round.html", page, status=code)


@router.get("/secretariat/rounds/{rid}/panel", dependencies=[Secretariat])
def panel_page(rid: Id, request: Request, db: SessionDep, actor: CurrentUser):
    return _panel_page(request, db, rid)


def _change(request: Request, db: Session, rid: int, section: str, values: dict, change, done: tuple[str, str],
            anchor: str):
    return run_change(request, db, change, done, section=section, values=values,
                      redirect=f"/secretariat/rounds/{rid}/panel#{anchor}",
                      redisplay=lambda **shown: _panel_page(request, db, rid, **shown))


def _field(form, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


@router.post("/secretariat/rounds/{rid}/panel/members", dependencies=[Secretariat])
async def add_member(rid: Id, request: Request, db: SessionDep, actor: CurrentUser, clock: ClockDep):
    uid = _field(await request.form(), "user_id")
    return _change(request, db, rid, "members", {"user_id": uid},
                         lambda: panels.add_member(db, rid, uid, actor_id=actor.user_id, clock=clock),
                         ("審査委員を追加しました。", "The panel member is added."), "members")


@router.post("/secretariat/rounds/{rid}/panel/members/{uid}/remove", dependencies=[Secretariat])
async def remove_member(rid: Id, uid: Id, request: Request, db: SessionDep, actor: CurrentUser, clock: ClockDep):
    return _change(request, db, rid, "members", {},
                         lambda: panels.remove_member(db, rid, uid, actor_id=actor.user_id, clock=clock),
                         ("審査委員から外しました。", "The member is taken off the panel."), "members")


@router.post("/secretariat/rounds/{rid}/panel/proposals/{pid}/slot", dependencies=[Secretariat])
async def schedule(rid: Id, pid: Id, request: Request, db: SessionDep, actor: CurrentUser, clock: ClockDep):
    form = await request.form()
    values = {n: _field(form, n) for n in ("starts_at", "place", "online_url", "position")}
    p = db.get(Proposal, pid)
    if p is None or p.round_id != rid:
        db.rollback()
        raise NotFound(f"この募集に提案 {pid} はありません。", f"round {rid} has no proposal {pid}")
    db.rollback()
    settings = request.app.state.settings
    return _change(request, db, rid, f"slot-{pid}", values,
                         lambda: panels.schedule(db, pid, values, actor_id=actor.user_id, clock=clock,
                                                 settings=settings),
                         ("公開プレゼンテーションの日程を設定し、提案団体に通知しました。",
                          "The presentation is scheduled and the group is told."), f"slot-{pid}")


# --- a panel member's pages


@router.get("/panel")
def my_panel(request: Request, db: SessionDep, actor: CurrentUser):
    found = panels.to_score(db, actor.user_id)
    criteria = {x.round_id: _detail(db, x.round_id).criteria for x in found}
    db.rollback()
    return render(request, "panel.html", {"items": found, "criteria": criteria})


@dataclass(frozen=True)
class _Case:
    """What a member reads of the proposal they score (read before the transaction ends)."""

    id: int
    title: str
    organisation: str
    purpose: str
    content: str
    proposed_roles: str
    round_id: int


def _scoring(db: Session, actor, pid: int):
    p = db.get(Proposal, pid)
    item = next((x for x in panels.to_score(db, actor.user_id) if x.proposal_id == pid), None)
    if p is None or item is None:
        db.rollback()
        # Not on this proposal's panel, or not at its presentation: nothing of it is shown.
        raise NotFound(f"採点できる提案 {pid} はありません。", f"no proposal {pid} for you to score")
    org = db.get(Organisation, p.organisation_id) if p.organisation_id else None
    case = _Case(p.id, p.title, org.name if org else "", p.purpose, p.content, p.proposed_roles, p.round_id)
    return case, item, _detail(db, p.round_id)


def _score_page(request: Request, db: Session, actor, pid: int, *, values=None, errors=None, message: str = "",
                code: int = 200):
    case, item, d = _scoring(db, actor, pid)
    db.rollback()
    return render(request, "panel_score.html", {
        "case": case, "item": item, "d": d, "r": d.round,
        "values": values if values is not None else {k: str(v) for k, v in item.points.items()},
        "errors": errors or {}, "message": message,
    }, status=code)


@router.get("/panel/proposals/{pid}")
def score_page(pid: Id, request: Request, db: SessionDep, actor: CurrentUser):
    return _score_page(request, db, actor, pid)


@router.post("/panel/proposals/{pid}")
async def save_scores(pid: Id, request: Request, db: SessionDep, actor: CurrentUser, clock: ClockDep):
    form = await request.form()
    _, _, d = _scoring(db, actor, pid)
    values = {c.key: _field(form, c.key) for c in d.criteria}
    db.rollback()
    lang = language(request)
    try:
        with write(db):
            changed = panels.record_scores(db, pid, actor.user_id, values, clock=clock)
    except rounds.RoundProblems as exc:
        return _score_page(request, db, actor, pid, values=values, errors=in_language(lang, exc.problems), code=422)
    except InvalidInput as exc:
        return _score_page(request, db, actor, pid, values=values, message=exc.message(lang), code=422)
    if changed:
        flash(request, "success", "採点を保存しました。公開プレゼンテーションの結果が記録されるまでは修正できます。",
              "Your scores are saved; you can correct them until the presentation is recorded.")
    else:
        flash(request, "info", "変更はありませんでした。", "Nothing was changed.")
    return RedirectResponse("/panel", status_code=303)
