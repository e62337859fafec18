"""The city's queues: what waits for me, due date first, overdue marked; and the review page.

Reviewers score the four Article 9(2) criteria with a comment; the form is the
``submit_review`` transition's inputs from ``states/``.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from sqlalchemy import select

from db.models import Department
from states import get_lifecycle
from states.vocabulary import FIELDS
from web.deps import ClockDep, CurrentUser, Forbidden, SessionDep, SettingsDep, require_role, verify_csrf
from web.pages import render
from web.routes.cases import show_case
from web.worklists import QUEUE_ROLES, Cursor, queue, waiting_states
from workflow.calendar.clock import japan_today

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])
LC = get_lifecycle("citizen_proposal")


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


@router.get("/queue", dependencies=[Depends(require_role(*QUEUE_ROLES))])
def queue_page(request: Request, db: SessionDep, actor: CurrentUser, clock: ClockDep, settings: SettingsDep,
               role: str | None = None, field: str | None = None, department: str | None = None,
               state: str | None = None, after: str | None = None, before: str | None = None):
    mine = [r for r in QUEUE_ROLES if r in actor.roles]
    role = role if role in mine else mine[0]
    states = waiting_states(LC, role)
    state = state if state in {s.name for s in states} else None
    page = queue(db, actor, role, LC, field=_int(field), department_id=_int(department), state=state,
                 after=Cursor.decode(after), before=Cursor.decode(before), limit=settings.page_size)
    departments = list(db.execute(select(Department).order_by(Department.id)).scalars())
    db.rollback()
    return render(request, "queue.html", {
        "page": page, "role": role, "my_roles": mine, "states": states, "fields": FIELDS,
        "departments": departments, "today": japan_today(clock),
        "filters": {"field": _int(field), "department": _int(department), "state": state},
    })


@router.get("/proposals/{pid}/review")
def review_page(pid: int, request: Request, db: SessionDep, actor: CurrentUser, clock: ClockDep):
    if not actor.roles & {"reviewer", "secretariat", "department", "approver", "admin"}:
        raise Forbidden()
    return show_case(request, db, actor, clock, pid, "review")
