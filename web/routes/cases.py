"""One case: its page, and the one handler through which every trigger is sent.

The action handler is the web's only road to ``workflow.engine.apply``: it reads the
trigger and its inputs from the posted form (the form was generated from ``states/``),
passes the version the person saw, and on a refusal shows the same page again with the
engine's message beside the field it concerns.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse

from states import get_lifecycle
from web.casepage import case_context
from web.deps import ClockDep, CurrentUser, SessionDep, verify_csrf, visible_case
from web.forms import FORM_PAGES, read_inputs, echo_values
from web.i18n import t
from web.pages import flash, language, render
from workflow import engine
from workflow.errors import (
    ConditionNotMet,
    Conflict,
    InvalidInput,
    InvalidState,
    KyodoError,
    MissingInput,
    NotAllowed,
)

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])

PAGE_TEMPLATES = {"case": "case.html", "review": "case_review.html", "decision": "case_decision.html",
                  "contract": "case_contract.html"}


def show_case(request: Request, db, actor, clock, pid: int, page: str = "case", *, status: int = 200,
              extra: dict | None = None):
    row = visible_case(db, actor, pid)
    context = case_context(db, actor, row, language(request), clock, page)
    context.update(extra or {})
    return render(request, PAGE_TEMPLATES[page], context, status=status)


@router.get("/proposals/{pid}")
def case_page(pid: int, request: Request, db: SessionDep, actor: CurrentUser, clock: ClockDep):
    return show_case(request, db, actor, clock, pid)


@router.post("/proposals/{pid}/actions")
async def act(pid: int, request: Request, db: SessionDep, actor: CurrentUser, clock: ClockDep):
    form = await request.form()
    trigger = str(form.get("trigger", ""))
    page = str(form.get("page", "case"))
    page = page if page in PAGE_TEMPLATES else "case"
    lang = language(request)
    row = visible_case(db, actor, pid)
    db.rollback()
    lc = get_lifecycle(row.lifecycle)
    t_def = lc.transition_from(trigger, row.state)
    inputs = read_inputs(lc, t_def, form) if t_def else {}
    try:
        version = int(str(form.get("version", "")))
    except ValueError:
        version = None
    errors: dict[str, str] = {}
    message: tuple[str, str] | None = None
    status = 200
    try:
        out = engine.apply(db, pid, trigger, actor, inputs, expected_version=version, clock=clock,
                           settings=request.app.state.settings)
    except MissingInput as exc:
        errors = {name: t(lang, "field_required") for name in exc.missing}
        message, status = (exc.message_ja, exc.message_en), 422
    except InvalidInput as exc:
        errors = {exc.name: exc.message(lang)}
        message, status = (exc.message_ja, exc.message_en), 422
    except ConditionNotMet as exc:
        message, status = (exc.message_ja, exc.message_en), 422
    except Conflict as exc:
        message, status = (exc.message_ja + exc.hint_ja, exc.message_en + "; " + exc.hint_en), 409
    except NotAllowed as exc:
        message, status = (exc.message_ja, exc.message_en), 403
    except InvalidState as exc:
        message, status = (exc.message_ja, exc.message_en), 409
    except KyodoError as exc:
        message, status = (exc.message_ja, exc.message_en), 400
    if status != 200:
        # Keyed by trigger: the page finds the form that holds it (adopt and reject share one).
        extra = {"form_errors": {trigger: errors}, "form_messages": {trigger: message},
                 "form_values": {trigger: echo_values(lc, t_def, form)} if t_def else {},
                 "page_error": message}
        return show_case(request, db, actor, clock, pid, page, status=status, extra=extra)
    done = lc.transition_from(trigger, out.from_state)
    flash(request, "success", f"「{done.label_ja}」を行いました。", f"Done: {done.label_en}.")
    back = FORM_PAGES.get(trigger) if out.from_state == out.to_state else None
    target = f"/proposals/{pid}/{back}" if back and back == page and page != "case" else f"/proposals/{pid}"
    if trigger == "submit_review":
        target = "/queue"  # the reviewer's next case waits there
    return RedirectResponse(target, status_code=303)
