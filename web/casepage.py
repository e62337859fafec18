"""Everything one case page shows, gathered for the person looking at it.

The same gathering serves the case page, the review page, the decision page and the
contract page; they differ only in which forms they show. What a person may see is
decided here once: a group never sees reviews or the city's internal notes; a reviewer
sees only their own review; notices shown are the ones sent to the viewer (or, for a
group, to its members).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from db.models import (
    Attachment,
    CaseNote,
    ContractPartner,
    Department,
    Evaluation,
    EvaluationPeriod,
    Membership,
    Notice,
    Organisation,
    OwnProject,
    Proposal,
    Review,
    User,
)
from states import get_lifecycle
from states.notices import NOTICE_KINDS
from workflow.queries import cases as queries
from workflow.actors import Actor
from workflow.calendar.clock import Clock, japan_today
from workflow.engine.outbox import decode
from workflow.proposals import EDITABLE_STATES, revisions
from web.forms import FORM_PAGES, build_forms

CITY_ROLES = {"secretariat", "department", "approver", "admin"}
# Notes the city writes for itself: the department's opinion to the approver, a return.
# Notes a group never reads: the city's internal opinions, and for a call the full score
# sheet of every applicant and the other applicants' withdrawals.
INTERNAL_NOTES = {"department_opinion", "returned_by_approver", "selection_record", "application_withdrawn"}


@dataclass(frozen=True)
class NoticeView:
    id: int
    kind_label: tuple[str, str]
    subject: str | None
    status: str
    created_at: Any
    sent_at: Any
    body: str | None


def _render_notice(notice: Notice, lang: str) -> str | None:
    try:
        from notifications.render import render
    except Exception:  # noqa: BLE001 - the notices package may be mid-change; the page still works
        return None
    try:
        return render(notice.kind, lang, decode(notice.context)).text
    except Exception:  # noqa: BLE001 - an old notice whose template changed: show the subject only
        return None


def notices_for(db: Session, actor: Actor, proposal_id: int | None, lang: str, limit: int = 50,
                organisation_id: int | None = None) -> list[NoticeView]:
    recipients = [actor.user_id]
    if organisation_id is not None and organisation_id in actor.organisation_ids:
        recipients = list(db.execute(
            select(Membership.user_id).where(Membership.organisation_id == organisation_id)).scalars())
    q = select(Notice).where(Notice.recipient_id.in_(recipients)).order_by(Notice.id.desc()).limit(limit)
    if proposal_id is not None:
        q = q.where(Notice.proposal_id == proposal_id)
    seen: set[tuple] = set()
    out = []
    for n in db.execute(q).scalars():
        # A group sees one copy of a notice sent to each of its contacts.
        key = (n.kind, n.proposal_id, n.dedupe_key.rsplit(":", 1)[0] if n.dedupe_key else n.id)
        if key in seen:
            continue
        seen.add(key)
        out.append(NoticeView(n.id, NOTICE_KINDS.get(n.kind, (n.kind, n.kind)), n.subject, n.status,
                              n.created_at, n.sent_at, _render_notice(n, lang)))
    return out


def case_context(db: Session, actor: Actor, row, lang: str, clock: Clock, page: str = "case") -> dict[str, Any]:
    lc = get_lifecycle(row.lifecycle)
    pid = row.id
    proposal = db.get(Proposal, pid)
    is_member = "proposer" in actor.roles and row.organisation_id in actor.organisation_ids
    is_city = bool(actor.roles & CITY_ROLES)

    possible = queries.possible_triggers(db, lc, row, actor)
    on_page = [t for t in possible if FORM_PAGES.get(t.trigger, "case") == page]
    elsewhere = sorted({FORM_PAGES.get(t.trigger, "case") for t in possible} - {page, "case"})
    forms = build_forms(db, lc, on_page, row, lang, clock)
    if page == "decision":
        forms.sort(key=lambda f: not f.needs_reasons)  # the decision first, a return below it

    notes = list(db.execute(select(CaseNote, User.name).join(User, User.id == CaseNote.author_id)
                            .where(CaseNote.proposal_id == pid).order_by(CaseNote.id)))
    if not is_city:
        notes = [(n, name) for n, name in notes if n.kind not in INTERNAL_NOTES]

    review_q = select(Review, User.name).join(User, User.id == Review.reviewer_id).where(Review.proposal_id == pid)
    if actor.roles & {"secretariat", "department", "approver", "admin"}:
        reviews = list(db.execute(review_q.order_by(Review.id)))
    elif "reviewer" in actor.roles:
        reviews = list(db.execute(review_q.where(Review.reviewer_id == actor.user_id)))
    else:
        reviews = []

    contract, amendments = queries.contract(db, pid)
    partners = []
    if contract:
        partners = list(db.execute(
            select(Organisation).join(ContractPartner, ContractPartner.organisation_id == Organisation.id)
            .where(ContractPartner.contract_id == contract.id).order_by(Organisation.id)).scalars())

    periods = []
    for period in db.execute(select(EvaluationPeriod).where(EvaluationPeriod.proposal_id == pid)
                             .order_by(EvaluationPeriod.id)).scalars():
        sides = {e.side: e for e in db.execute(select(Evaluation).where(Evaluation.period_id == period.id)).scalars()}
        periods.append((period, sides))

    history = [(ev, name) for ev, name in queries.history(db, pid)]
    deadlines = queries.deadlines(db, pid)
    context = {
        "p": proposal,
        "row": row,
        "state": lc.state(row.state),
        "organisation": db.get(Organisation, row.organisation_id) if row.organisation_id else None,
        "department": db.get(Department, row.department_id) if row.department_id else None,
        "is_member": is_member,
        "is_city": is_city,
        "editable": is_member and row.state in EDITABLE_STATES,
        "forms": forms,
        "other_pages": elsewhere,
        "page": page,
        "notes": notes,
        "reviews": reviews,
        "decision": queries.decision(db, pid),
        "contract": contract,
        "amendments": amendments,
        "partners": partners,
        "own_projects": list(db.execute(select(OwnProject).where(OwnProject.proposal_id == pid)
                                        .order_by(OwnProject.id)).scalars()),
        "periods": periods,
        "attachments": list(db.execute(select(Attachment).where(Attachment.proposal_id == pid)
                                       .order_by(Attachment.id)).scalars()),
        "history": history,
        "deadlines": deadlines,
        "open_deadlines": [d for d in deadlines if d.closed_at is None],
        "notices": notices_for(db, actor, pid, lang, organisation_id=row.organisation_id if is_member else None),
        "revisions": revisions(db, pid),
        "today": japan_today(clock),
        "form_errors": {},
        "form_values": {},
        "form_messages": {},
    }
    db.rollback()
    return context
