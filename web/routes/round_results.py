"""A round's results: the approver decides its proposals together; the public reads them from the publication date.

``/rounds/{id}/decide`` (approver) lists every proposal of the round waiting for a
decision with its reviews and panel result, and one form decides them all through
``workflow.round_results.decide`` — one transaction: a refusal of any case decides none,
and the page comes back naming that case. ``/public/rounds/{code}/results`` exists only
from the round's publication date on the app's clock (404 before).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from sqlmodel import Session

from web.deps import ClockDep, CurrentUser, Id, OptionalUser, SessionDep, require_role, verify_csrf
from web.messages import MESSAGES
from web.pages import flash, language, render
from workflow import round_results
from workflow.calendar.clock import japan_today
from workflow.errors import NotFound

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])
Approver = Depends(require_role(round_results.APPROVER))


@router.get("/rounds/decide", dependencies=[Approver])
def rounds_to_decide(request: Request, db: SessionDep, actor: CurrentUser):
    found = round_results.rounds_waiting(db)
    db.rollback()
    return render(request, "round_decide_list.html", {"rounds": found})


def _decide_page(request: Request, db: Session, rid: int, *, values=None, errors=None, message: str = "",
                 code: int = 200):
    r, cases = round_results.waiting(db, rid, clock=request.app.state.clock, settings=request.app.state.settings)
    db.rollback()
    return render(request, "round_decide.html", {"r": r, "cases": cases, "values": values or {},
                                                 "errors": errors or {}, "message": message}, status=code)


@router.get("/rounds/{rid}/decide", dependencies=[Approver])
def decide_page(rid: Id, request: Request, db: SessionDep, actor: CurrentUser):
    return _decide_page(request, db, rid)


def _text(form, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _version(text: str) -> int | None:
    return int(text) if text.isdigit() and len(text) < 10 else None


@router.post("/rounds/{rid}/decide", dependencies=[Approver])
async def decide(rid: Id, request: Request, db: SessionDep, actor: CurrentUser, clock: ClockDep):
    form = await request.form()
    lang = language(request)
    picks, values = [], {}
    for raw in form.getlist("case"):
        if not isinstance(raw, str) or not raw.isdigit() or len(raw) > 12:
            continue
        pid = int(raw)
        values[pid] = {"pick": _text(form, f"pick_{pid}"), "reasons": _text(form, f"reasons_{pid}")}
        picks.append(round_results.Pick(pid, values[pid]["pick"], values[pid]["reasons"],
                                        _version(_text(form, f"version_{pid}"))))
    try:
        done = round_results.decide(db, rid, picks, actor, clock=clock, settings=request.app.state.settings)
    except round_results.DecisionProblems as exc:
        errors = {pid: (en if lang == "en" else ja) for pid, (ja, en) in exc.problems.items()}
        return _decide_page(request, db, rid, values=values, errors=errors, message=exc.message(lang), code=422)
    except round_results.DecisionRefused as exc:
        return _decide_page(request, db, rid, values=values, errors={exc.proposal_id: exc.message(lang)},
                            message=exc.message(lang), code=409)
    r, _ = round_results.waiting(db, rid)
    db.rollback()
    ja, en = MESSAGES["results_done" if r.publication_on else "results_done_no_date"]
    on = {"n": len(done), "on": r.publication_on.isoformat() if r.publication_on else ""}
    flash(request, "success", ja.format(**on), en.format(**on))
    return RedirectResponse("/queue?role=approver", status_code=303)


@router.get("/public/rounds/{code}/results")
def public_results(code: str, request: Request, db: SessionDep, actor: OptionalUser, clock: ClockDep):
    found = round_results.public_results(db, code[:40], clock=clock)
    if found is None:
        raise NotFound(f"公表されている審査結果「{code[:40]}」はありません。", f"no published results {code[:40]!r}")
    return render(request, "public_round_results.html", {"res": found, "r": found.round,
                                                         "today": japan_today(clock)})
