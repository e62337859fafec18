"""A department's call for partners (Article 9): writing a new one.

The call is created through the engine (the lifecycle's creation transition) as a draft
of the person's department; on its case page the department then opens it, and from
there on every step is the case page's generic forms, as for any case.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse

from db.models import Department
from states import get_lifecycle
from web import editor
from web.deps import ClockDep, CurrentUser, Forbidden, SessionDep, require_role, verify_csrf
from web.pages import flash, language
from web.errors import refusal
from workflow import calls
from workflow.actors import Actor
from workflow.errors import KyodoError

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])
ACTION = "/calls/new"


def _department(db, actor: Actor) -> Department:
    dept = db.get(Department, actor.department_id) if actor.department_id is not None else None
    if dept is None:
        raise Forbidden("公募を作成できるのは、所管課に所属する職員だけです。",
                        "Only staff of a department can create a call for partners.")
    return dept


def _kind() -> editor.Kind:
    return editor.kind_of(get_lifecycle(calls.LIFECYCLE))


@router.get(ACTION, dependencies=[Depends(require_role("department"))])
def new_call(request: Request, db: SessionDep, actor: CurrentUser):
    dept = _department(db, actor)
    db.rollback()
    kind = _kind()
    return editor.page(request, kind=kind, values=editor.blank(kind), errors={}, action=ACTION, dept=dept)


@router.post(ACTION, dependencies=[Depends(require_role("department"))])
async def create_call(request: Request, db: SessionDep, actor: CurrentUser, clock: ClockDep):
    form = await request.form()
    dept = _department(db, actor)
    db.rollback()
    kind = _kind()
    lang = language(request)
    data = editor.read(form, kind)
    clean, errors = editor.check(data, lang)
    if not errors:
        try:
            pid = calls.create_call(
                db, actor, title=clean.get("title") or "", purpose=clean.get("purpose") or "",
                content=clean.get("content") or "", field=clean.get("field"),
                estimated_cost_yen=clean.get("estimated_cost_yen"), contract_form=clean.get("desired_contract_form"),
                criteria=clean.get("selection_criteria") or "", closing_on=clean.get("closing_on") or "", clock=clock)
        except KyodoError as exc:
            refused = refusal(exc, lang)
            names = {f.name for f in kind.fields}
            return editor.page(request, kind=kind, values=data, action=ACTION, dept=dept, status=refused.status,
                               errors={k: v for k, v in refused.errors.items() if k in names},
                               message=refused.message)
        flash(request, "success", "公募の下書きを保存しました。内容を確認してから公募を開始してください。",
              "The draft call is saved. Check it, then open it for applications.")
        return RedirectResponse(f"/proposals/{pid}", status_code=303)
    return editor.page(request, kind=kind, values=data, errors=errors, action=ACTION, dept=dept, status=422)
