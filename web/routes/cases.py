"""One case: its page, and the one handler through which every trigger is sent.

The action handler is the web's only road to ``workflow.engine.apply`` for the forms
generated from ``states/``: it reads the trigger and its inputs from the posted form,
passes the version the person saw, and on a refusal shows the same page again with the
engine's message beside the field it concerns. A transition the definition marks
``confirm`` (a withdrawal, a refusal, a cancellation: nothing undoes it) is asked again
first: the first post only shows what will be done, the second one does it.

``web.errors.refusal`` translates the engine's errors for a page, once, for every handler.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse

from states import Transition, lifecycle_of
from web.casepage import Confirmation, case_context
from web.deps import ClockDep, CurrentUser, SessionDep, verify_csrf, visible_case, Id
from web.forms import echo_values, has_generic_form, read_inputs
from web.pages import flash, language, render
from workflow import engine, round_entry
from workflow.engine.inputs import validate
from web.errors import refusal
from workflow.errors import KyodoError, NotAllowed

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])

PAGE_TEMPLATES = {"case": "case.html", "review": "case_review.html", "decision": "case_decision.html",
                  "contract": "case_contract.html"}
# Where a person goes after a transition that says where (``Transition.then``).
THEN = {"queue": "/queue"}


def show_case(request: Request, db, actor, clock, pid: Id, page: str = "case", *, status: int = 200,
              extra: dict | None = None):
    row = visible_case(db, actor, pid)
    context = case_context(db, actor, row, language(request), clock, page, request.app.state.settings)
    context.update(extra or {})
    return render(request, PAGE_TEMPLATES[page], context, status=status)


def hidden_fields(values: dict) -> tuple[tuple[str, str], ...]:
    """Posted values as hidden fields (a list becomes one field per item)."""
    out: list[tuple[str, str]] = []
    for name, value in values.items():
        for v in value if isinstance(value, list) else [value]:
            out.append((name, str(v)))
    return tuple(out)


def confirmation(request: Request, db, actor, clock, pid: Id, page: str, action: str, t_def: Transition,
                 carried: dict, back: str, subject: str = ""):
    """The page again, asking whether to do ``t_def`` with the values carried unchanged."""
    ask = Confirmation(action, t_def, hidden_fields(carried), back, subject)
    return show_case(request, db, actor, clock, pid, page, extra={"confirming": ask})


def _not_here(lc, trigger: str) -> NotAllowed:
    label = lc.trigger_label(trigger) or (trigger, trigger)
    return NotAllowed(f"「{label[0]}」はこのフォームからは行えません。", f"{label[1]} is not done from this form")


@router.get("/proposals/{pid}")
def case_page(pid: Id, request: Request, db: SessionDep, actor: CurrentUser, clock: ClockDep):
    return show_case(request, db, actor, clock, pid)


@router.post("/proposals/{pid}/actions")
async def act(pid: Id, request: Request, db: SessionDep, actor: CurrentUser, clock: ClockDep):
    form = await request.form()
    trigger = str(form.get("trigger", ""))
    page = str(form.get("page", "case"))
    page = page if page in PAGE_TEMPLATES else "case"
    lang = language(request)
    row = visible_case(db, actor, pid)
    db.rollback()
    lc = lifecycle_of(row)
    t_def = lc.transition_from(trigger, row.state)
    inputs = read_inputs(lc, t_def, form) if t_def else {}
    try:
        version = int(str(form.get("version", "")))
    except ValueError:
        version = None
    try:
        if t_def is not None and not has_generic_form(t_def):
            raise _not_here(lc, trigger)  # content, files and the system's steps have their own roads
        if t_def is not None and t_def.confirm and form.get("confirmed") != "1":
            validate(lc, t_def, inputs)  # ask only about something that could be done
            carried = {"trigger": trigger, "version": "" if version is None else str(version), "page": page,
                       **echo_values(lc, t_def, form)}
            back = f"/proposals/{pid}" + (f"/{page}" if page != "case" else "")
            return confirmation(request, db, actor, clock, pid, page, f"/proposals/{pid}/actions", t_def,
                                carried, back)
        out = engine.apply(db, pid, trigger, actor, inputs, expected_version=version, clock=clock,
                           settings=request.app.state.settings)
    except KyodoError as exc:
        exc = round_entry.refused(db, exc, pid, actor, clock)  # a late submission is kept in its round's trail
        refused = refusal(exc, lang)
        # Keyed by trigger: the page finds the form that holds it (adopt and reject share one).
        extra = {"form_errors": {trigger: refused.errors}, "form_messages": {trigger: refused.message},
                 "form_values": {trigger: echo_values(lc, t_def, form)} if t_def else {},
                 "page_error": refused.message}
        return show_case(request, db, actor, clock, pid, page, status=refused.status, extra=extra)
    done = lc.transition_from(trigger, out.from_state)
    flash(request, "success", f"「{done.label_ja}」を行いました。", f"Done: {done.label_en}.")
    if done.then in THEN:
        target = THEN[done.then]  # the reviewer's next case waits there, say
    elif out.from_state == out.to_state and done.page == page != "case":
        target = f"/proposals/{pid}/{page}"  # more of the same may follow on that page
    else:
        target = f"/proposals/{pid}"
    return RedirectResponse(target, status_code=303)
