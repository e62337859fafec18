"""The secretariat (市民協働推進課): all proposals, the compliance board, failed notices.

Assigning reviewers and the department is the ``start_review`` transition, shown on the
case page as a form generated from ``states/``.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import func, select

from db.models import Deadline, Department, Notice, Organisation, Proposal, User
from db.models.notices import FAILED
from states import get_lifecycle
from states.notices import NOTICE_KINDS
from states.vocabulary import FIELDS
from web.compliance import by_article, late_duties
from web.deps import ClockDep, CurrentUser, SessionDep, SettingsDep, require_role, verify_csrf
from web.pages import flash, render
from workflow.calendar.clock import japan_today

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])
LC = get_lifecycle("citizen_proposal")
Staff = Depends(require_role("secretariat"))
Oversight = Depends(require_role("secretariat", "admin"))


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


@router.get("/secretariat", dependencies=[Staff])
def all_proposals(request: Request, db: SessionDep, actor: CurrentUser, clock: ClockDep, settings: SettingsDep,
                  state: str | None = None, field: str | None = None, department: str | None = None,
                  q: str | None = None, after: str | None = None):
    next_due = (select(Deadline.proposal_id, func.min(Deadline.due_on).label("due"))
                .where(Deadline.closed_at.is_(None)).group_by(Deadline.proposal_id).subquery())
    query = (select(Proposal.id, Proposal.title, Proposal.state, Proposal.field, Organisation.name,
                    Department.name_ja, Department.name_en, next_due.c.due)
             .join(Organisation, Organisation.id == Proposal.organisation_id)
             .outerjoin(Department, Department.id == Proposal.department_id)
             .outerjoin(next_due, next_due.c.proposal_id == Proposal.id)
             .where(Proposal.state != "draft"))  # drafts belong to their groups alone
    state = state if state and LC.has_state(state) else None
    if state:
        query = query.where(Proposal.state == state)
    if _int(field) is not None:
        query = query.where(Proposal.field == _int(field))
    if _int(department) is not None:
        query = query.where(Proposal.department_id == _int(department))
    if q:
        query = query.where(Proposal.title.contains(q[:100], autoescape=True))
    if _int(after):
        query = query.where(Proposal.id < _int(after))
    rows = list(db.execute(query.order_by(Proposal.id.desc()).limit(settings.page_size + 1)))
    more = len(rows) > settings.page_size
    rows = rows[: settings.page_size]
    counts = dict(db.execute(select(Proposal.state, func.count()).where(Proposal.state != "draft")
                             .group_by(Proposal.state)).all())
    departments = list(db.execute(select(Department).order_by(Department.id)).scalars())
    db.rollback()
    return render(request, "secretariat.html", {
        "rows": rows, "next_after": rows[-1].id if more and rows else None, "counts": counts,
        "filters": {"state": state, "field": _int(field), "department": _int(department), "q": q or ""},
        "fields": FIELDS, "departments": departments, "today": japan_today(clock),
    })


@router.get("/secretariat/compliance", dependencies=[Oversight])
def compliance(request: Request, db: SessionDep, actor: CurrentUser, clock: ClockDep):
    today = japan_today(clock)
    duties = late_duties(db, today)
    return render(request, "compliance.html", {"articles": by_article(duties), "count": len(duties),
                                               "today": today})


@router.get("/secretariat/notices", dependencies=[Oversight])
def failed_notices(request: Request, db: SessionDep, actor: CurrentUser):
    rows = list(db.execute(
        select(Notice, User.name, Proposal.title).join(User, User.id == Notice.recipient_id)
        .outerjoin(Proposal, Proposal.id == Notice.proposal_id)
        .where(Notice.status == FAILED).order_by(Notice.id)).all())
    db.rollback()
    return render(request, "notices_failed.html", {"rows": rows, "kinds": NOTICE_KINDS})


@router.post("/secretariat/notices/{nid}/resend", dependencies=[Oversight])
def resend(nid: int, request: Request, db: SessionDep, actor: CurrentUser, clock: ClockDep):
    from notifications.outbox import resend as put_back

    if put_back(db, nid, clock.now()):
        flash(request, "success", f"通知 {nid} を再送の列に戻しました。", f"Notice {nid} is queued again.")
    else:
        flash(request, "error", f"通知 {nid} は送信失敗の状態ではありません。", f"Notice {nid} is not a failed notice.")
    return RedirectResponse("/secretariat/notices", status_code=303)
