"""Prior consultation (事前相談): a group requests one, the secretariat records that it was held.

A group's contacts request a consultation from ``/consultations`` and see there what they
asked and whether it has been held — never the secretariat's notes, which only
``/secretariat/consultations`` shows. The rules and the trail are
``workflow.consultations``'.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import select

from db.models import Organisation
from db.session import write
from web.deps import ClockDep, CurrentUser, SessionDep, require_role, verify_csrf, Id
from web.errors import refusal
from web.pages import flash, language, render
from workflow import consultations
from workflow.calendar.clock import japan_today
from workflow.errors import InvalidInput, KyodoError

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])
Proposer = Depends(require_role("proposer"))
Staff = Depends(require_role("secretariat"))

GROUP_FIELDS = ("organisation_id", "round_id", "topic", "preferred_dates")


def _number(value) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isdigit() and len(text) <= 10 else None


def _group_page(request: Request, db, actor, clock, *, values: dict | None = None, errors: dict | None = None,
                message: tuple[str, str] | None = None, status: int = 200):
    orgs = list(db.execute(select(Organisation).where(Organisation.id.in_(sorted(actor.organisation_ids)))
                           .order_by(Organisation.id)).scalars())
    context = {
        "orgs": orgs,
        "rounds": consultations.rounds_to_consult(db, japan_today(clock)),
        "mine": consultations.for_groups(db, actor.organisation_ids),
        "values": values or {"organisation_id": str(orgs[0].id) if orgs else ""},
        "errors": errors or {},
        "message": message,
    }
    db.rollback()
    return render(request, "consultations.html", context, status=status)


@router.get("/consultations", dependencies=[Proposer])
def group_page(request: Request, db: SessionDep, actor: CurrentUser, clock: ClockDep):
    return _group_page(request, db, actor, clock)


@router.post("/consultations", dependencies=[Proposer])
async def request_consultation(request: Request, db: SessionDep, actor: CurrentUser, clock: ClockDep):
    form = await request.form()
    values = {name: str(form.get(name, "")) for name in GROUP_FIELDS}
    lang = language(request)
    org_id, round_text = _number(values["organisation_id"]), values["round_id"].strip()
    round_id = _number(round_text)
    try:
        if round_text and round_id is None:
            raise InvalidInput("round_id", "募集の指定が正しくありません。", "not a valid round")
        with write(db):
            consultations.request(db, actor, org_id if org_id is not None else -1, topic=values["topic"],
                                  preferred_dates=values["preferred_dates"], round_id=round_id, clock=clock)
    except KyodoError as exc:
        refused = refusal(exc, lang)
        return _group_page(request, db, actor, clock, values=values, errors=refused.errors, message=refused.message,
                           status=refused.status)
    flash(request, "success", "事前相談を申し込みました。日程について市民協働推進課から御連絡します。",
          "Your request for a consultation was sent; the secretariat will contact you about the date.")
    return RedirectResponse("/consultations", status_code=303)


def _staff_page(request: Request, db, *, values: dict | None = None, errors: dict | None = None,
                message: tuple[str, str] | None = None, status: int = 200):
    rows = consultations.for_secretariat(db)
    db.rollback()
    return render(request, "secretariat_consultations.html", {
        "waiting": [c for c in rows if c.held_on is None], "held": [c for c in rows if c.held_on is not None],
        "values": values or {}, "errors": errors or {}, "message": message,
    }, status=status)


@router.get("/secretariat/consultations", dependencies=[Staff])
def staff_page(request: Request, db: SessionDep, actor: CurrentUser):
    return _staff_page(request, db)


@router.post("/secretariat/consultations/{cid}", dependencies=[Staff])
async def record_held(cid: Id, request: Request, db: SessionDep, actor: CurrentUser, clock: ClockDep):
    form = await request.form()
    values = {"held_on": str(form.get("held_on", "")), "notes": str(form.get("notes", ""))}
    try:
        with write(db):
            changed = consultations.record_held(db, actor, cid, held_on=values["held_on"], notes=values["notes"],
                                                clock=clock)
    except KyodoError as exc:
        refused = refusal(exc, language(request))
        return _staff_page(request, db, values={cid: values}, errors={cid: refused.errors},
                           message=refused.message, status=refused.status)
    if changed:
        flash(request, "success", f"事前相談 {cid} の記録を保存しました。", f"Consultation {cid}: the record is saved.")
    else:
        flash(request, "info", "変更はありませんでした。", "Nothing was changed.")
    return RedirectResponse(f"/secretariat/consultations#c-{cid}", status_code=303)
