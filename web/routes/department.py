"""The department in charge and the approver: their cases, the decision, the contract.

The department's desk lists every case of its department, citizen proposals and its own
calls for partners alike (``workflow.queries.worklists.department_cases``). The decision
and contract pages are the case's task pages; their forms are generated from the
transitions ``states/`` offers there, and the engine refuses blank reasons whatever the
page does.
"""

from __future__ import annotations


from fastapi import APIRouter, Depends, Request

from web.deps import ClockDep, CurrentUser, Forbidden, SessionDep, SettingsDep, require_role, verify_csrf, Id, AfterId
from web.limits import Filter
from web.pages import end_reads, render
from web.routes.cases import show_case
from workflow.calendar.clock import japan_today
from workflow.queries.worklists import department_cases, department_choices, parse_state

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])


@router.get("/department", dependencies=[Depends(require_role("department"))])
def department_desk(request: Request, db: SessionDep, actor: CurrentUser, clock: ClockDep, settings: SettingsDep,
                    state: Filter = None, after: AfterId = None):
    choices = department_choices()
    found = department_cases(db, actor, states=parse_state(state, choices), after=after, limit=settings.page_size)
    end_reads(db)
    return render(request, "department.html", {
        "rows": found.rows, "next_after": found.next_after, "state": state or "", "choices": choices,
        "today": japan_today(clock),
    })


@router.get("/proposals/{pid}/decision")
def decision_page(pid: Id, request: Request, db: SessionDep, actor: CurrentUser, clock: ClockDep):
    if not actor.roles & {"approver", "secretariat", "department", "admin"}:
        raise Forbidden()
    return show_case(request, db, actor, clock, pid, "decision")


@router.get("/proposals/{pid}/contract")
def contract_page(pid: Id, request: Request, db: SessionDep, actor: CurrentUser, clock: ClockDep):
    if not actor.roles & {"department", "secretariat", "approver", "admin"}:
        raise Forbidden()
    return show_case(request, db, actor, clock, pid, "contract")
