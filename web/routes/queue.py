"""The city's queues: what waits for me, due date first, overdue marked; and the review page.

Every lifecycle's cases stand in one queue, each read with its own lifecycle; the query
is ``workflow.queries.worklists.queue``. Reviewers score the four Article 9(2) criteria
with a comment on the review page; its form is generated from ``states/``.
"""

from __future__ import annotations


from fastapi import APIRouter, Depends, Request
from sqlalchemy import select

from db.models import Department
from states.vocabulary import FIELDS
from web.deps import ClockDep, CurrentUser, Forbidden, SessionDep, SettingsDep, require_role, verify_csrf, Id
from web.limits import Filter
from web.messages import MESSAGES
from web.pages import end_reads, render
from web.routes.cases import show_case
from workflow.calendar.clock import japan_today
from workflow.errors import InvalidInput
from workflow.queries.worklists import (
    QUEUE_ROLES,
    Cursor,
    parse_department,
    parse_field,
    parse_state,
    queue,
    task_page,
    waiting_states,
)

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])


@router.get("/queue", dependencies=[Depends(require_role(*QUEUE_ROLES))])
def queue_page(request: Request, db: SessionDep, actor: CurrentUser, clock: ClockDep, settings: SettingsDep,
               role: Filter = None, field: Filter = None, department: Filter = None, state: Filter = None,
               after: Filter = None, before: Filter = None):
    mine = [r for r in QUEUE_ROLES if r in actor.roles]
    if role and role not in mine:
        ja, en = MESSAGES["unknown_queue_role"]
        raise InvalidInput("role", ja.format(role=role[:40]), en.format(role=role[:40]))
    role = role or mine[0]
    choices = waiting_states(role)
    filters = {"field": parse_field(field), "department": parse_department(db, department),
               "state": parse_state(state, choices)}
    page = queue(db, actor, role, field=filters["field"], department_id=filters["department"],
                 states=filters["state"], after=Cursor.decode(after), before=Cursor.decode(before),
                 limit=settings.page_size)
    departments = list(db.execute(select(Department).order_by(Department.id)).scalars())
    end_reads(db)  # the filter's departments are read by the template without loading them again
    return render(request, "queue.html", {
        "page": page, "role": role, "my_roles": mine, "choices": choices, "fields": FIELDS,
        "departments": departments, "today": japan_today(clock), "task_page": task_page,
        "filters": {**filters, "state": state or ""},
    })


@router.get("/proposals/{pid}/review")
def review_page(pid: Id, request: Request, db: SessionDep, actor: CurrentUser, clock: ClockDep):
    if not actor.roles & {"reviewer", "secretariat", "department", "approver", "admin"}:
        raise Forbidden()
    return show_case(request, db, actor, clock, pid, "review")
