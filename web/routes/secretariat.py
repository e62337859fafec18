"""The secretariat (市民協働推進課): every case, the compliance board, failed notices.

Citizen proposals and the departments' calls for partners are listed and counted side by
side, grouped by lifecycle (``workflow.queries.worklists``); the compliance board reads
each late duty with its case's own lifecycle (``workflow.queries.compliance``).
"""

from __future__ import annotations


from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import select

from db.models import Department, Notice, Proposal, User
from db.models.notices import FAILED
from states.notices import NOTICE_KINDS
from states.vocabulary import FIELDS
from web.deps import ClockDep, CurrentUser, SessionDep, SettingsDep, require_role, verify_csrf, Id, AfterId
from web.limits import Filter
from web.pages import end_reads, flash, render
from workflow.calendar.clock import japan_today
from workflow.queries.compliance import by_article, late_duties, running_by_version
from workflow.queries.worklists import (
    all_cases,
    counts_by_state,
    parse_department,
    parse_field,
    parse_lifecycle,
    parse_state,
    secretariat_choices,
)

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])
Staff = Depends(require_role("secretariat"))
Oversight = Depends(require_role("secretariat", "admin"))


@router.get("/secretariat", dependencies=[Staff])
def all_proposals(request: Request, db: SessionDep, actor: CurrentUser, clock: ClockDep, settings: SettingsDep,
                  state: Filter = None, lifecycle: Filter = None, field: Filter = None, department: Filter = None,
                  q: Filter = None, after: AfterId = None):
    choices = secretariat_choices()
    filters = {"state": parse_state(state, choices), "lifecycle": parse_lifecycle(lifecycle),
               "field": parse_field(field), "department": parse_department(db, department)}
    found = all_cases(db, states=filters["state"], lifecycle=filters["lifecycle"], field=filters["field"],
                      department_id=filters["department"], title=q or "", after=after, limit=settings.page_size)
    counts = counts_by_state(db)
    departments = list(db.execute(select(Department).order_by(Department.id)).scalars())
    end_reads(db)  # the filter's departments are read by the template without loading them again
    return render(request, "secretariat.html", {
        "rows": found.rows, "next_after": found.next_after, "counts": counts, "choices": choices,
        "filters": {**filters, "state": state or "", "q": q or ""},
        "fields": FIELDS, "departments": departments, "today": japan_today(clock),
    })


@router.get("/secretariat/compliance", dependencies=[Oversight])
def compliance(request: Request, db: SessionDep, actor: CurrentUser, clock: ClockDep):
    today = japan_today(clock)
    duties = late_duties(db, today)
    return render(request, "compliance.html", {"articles": by_article(duties), "count": len(duties),
                                               "today": today, "versions": running_by_version(db)})


@router.get("/secretariat/notices", dependencies=[Oversight])
def failed_notices(request: Request, db: SessionDep, actor: CurrentUser):
    rows = list(db.execute(
        select(Notice, User.name, Proposal.title, Proposal.lifecycle).join(User, User.id == Notice.recipient_id)
        .outerjoin(Proposal, Proposal.id == Notice.proposal_id)
        .where(Notice.status == FAILED).order_by(Notice.id)).all())
    db.rollback()
    return render(request, "notices_failed.html", {"rows": rows, "kinds": NOTICE_KINDS})


@router.post("/secretariat/notices/{nid}/resend", dependencies=[Oversight])
def resend(nid: Id, request: Request, db: SessionDep, actor: CurrentUser, clock: ClockDep):
    from notifications.outbox import resend as put_back

    if put_back(db, nid, clock.now()):
        flash(request, "success", f"通知 {nid} を再送の列に戻しました。", f"Notice {nid} is queued again.")
    else:
        flash(request, "error", f"通知 {nid} は送信失敗の状態ではありません。", f"Notice {nid} is not a failed notice.")
    return RedirectResponse("/secretariat/notices", status_code=303)
