"""The department in charge and the approver: their cases, the decision, the contract.

The decision form is the ``adopt``/``reject`` transitions' inputs from ``states/``: it
cannot be sent without reasons (the field is required in the page, and the engine
refuses blank reasons whatever the page does). The contract editor is the
``conclude_contract`` transition (every Article 12(2) term) and ``amend_contract``.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from sqlalchemy import func, select

from db.models import Deadline, Organisation, Proposal
from states import get_lifecycle
from web.deps import ClockDep, CurrentUser, Forbidden, SessionDep, SettingsDep, require_role, verify_csrf
from web.pages import render
from web.routes.cases import show_case
from workflow.calendar.clock import japan_today

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])
LC = get_lifecycle("citizen_proposal")


@router.get("/department", dependencies=[Depends(require_role("department"))])
def department_cases(request: Request, db: SessionDep, actor: CurrentUser, clock: ClockDep, settings: SettingsDep,
                     state: str | None = None, after: int | None = None):
    next_due = (select(Deadline.proposal_id, func.min(Deadline.due_on).label("due"))
                .where(Deadline.closed_at.is_(None)).group_by(Deadline.proposal_id).subquery())
    q = (select(Proposal.id, Proposal.title, Proposal.state, Organisation.name, next_due.c.due)
         .join(Organisation, Organisation.id == Proposal.organisation_id)
         .outerjoin(next_due, next_due.c.proposal_id == Proposal.id)
         # A department user without a department sees nothing, not every unassigned case.
         .where(Proposal.department_id == (actor.department_id if actor.department_id is not None else -1),
                Proposal.state != "draft"))
    if state and LC.has_state(state):
        q = q.where(Proposal.state == state)
    if after:
        q = q.where(Proposal.id < after)
    rows = list(db.execute(q.order_by(Proposal.id.desc()).limit(settings.page_size + 1)))
    more = len(rows) > settings.page_size
    rows = rows[: settings.page_size]
    db.rollback()
    return render(request, "department.html", {
        "rows": rows, "next_after": rows[-1].id if more and rows else None, "state": state,
        "today": japan_today(clock),
    })


@router.get("/proposals/{pid}/decision")
def decision_page(pid: int, request: Request, db: SessionDep, actor: CurrentUser, clock: ClockDep):
    if not actor.roles & {"approver", "secretariat", "department", "admin"}:
        raise Forbidden()
    return show_case(request, db, actor, clock, pid, "decision")


@router.get("/proposals/{pid}/contract")
def contract_page(pid: int, request: Request, db: SessionDep, actor: CurrentUser, clock: ClockDep):
    if not actor.roles & {"department", "secretariat", "approver", "admin"}:
        raise Forbidden()
    return show_case(request, db, actor, clock, pid, "contract")
