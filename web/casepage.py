"""Everything one case page shows, gathered for the person looking at it.

The same gathering serves the case page, the review page, the decision page and the
contract page; they differ only in which forms they show. What a person may see is
decided here once: a group never sees reviews or the city's internal notes, and of a
call only its own application; a reviewer sees only their own review; removed
attachments are shown to the city only; notices shown are the ones sent to the viewer
(or, for a group, to its members). What a person may do is the engine's answer
(``workflow.queries.cases.offers``): a form where it is possible now, and where a
condition does not hold yet, which one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import aliased
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
from config import Settings
from states import Transition, lifecycle_of
from states.notices import NOTICE_KINDS
from web.forms import build_forms, has_generic_form
from web.i18n import pick
from web.pages import end_reads
from workflow.actors import Actor
from workflow.calendar.clock import Clock, japan_today
from workflow.engine.authorization import in_reach
from workflow.engine.outbox import decode
from workflow.proposals import revisions
from workflow.queries import cases as queries
from workflow.rules.calls import MAX_REVIEW_TOTAL, ApplicationScores, score_table

CITY_ROLES = {"secretariat", "department", "approver", "admin"}
# Notes the city writes for itself: the department's opinion to the approver, a return.
# Notes a group never reads: the city's internal opinions, and for a call the full score
# sheet of every applicant and the other applicants' withdrawals.
INTERNAL_NOTES = {"department_opinion", "returned_by_approver", "selection_record", "application_withdrawn"}


@dataclass(frozen=True)
class NotYet:
    """A step the person will be able to take, and why not now (in the page's language)."""

    transition: Transition
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Confirmation:
    """The second step of an action that cannot be undone: what is asked, and what is carried."""

    action: str
    transition: Transition
    hidden: tuple[tuple[str, str], ...]
    back: str
    subject: str = ""  # what it is done to, when the step alone does not say (a file's name)


@dataclass(frozen=True)
class Applications:
    """A call's applications as the viewer may see them; ``scores``: "all", "own" or "" (none)."""

    rows: list[ApplicationScores]
    scores: str


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


def can_edit(db: Session, actor: Actor, row) -> bool:
    """Whether the actor may change the case's content and attachments in its state (``State.editable_by``)."""
    state = lifecycle_of(row).state(row.state)
    return any(r in actor.roles and in_reach(db, actor, r, row) for r in state.editable_by)


def applications_for(db: Session, actor: Actor, row, is_city: bool) -> Applications:
    """A call's applications: the city sees every score; an assigned reviewer every
    application with its own scores only (as on a proposal); a group its own application."""
    table = score_table(db, row.id)
    if not table:
        return Applications([], "")
    if is_city:
        return Applications(table, "all")
    if "reviewer" in actor.roles and in_reach(db, actor, "reviewer", row):
        for a in table:
            a.reviews = [r for r in a.reviews if r.reviewer_id == actor.user_id]
        return Applications(table, "own")
    if "proposer" in actor.roles:
        return Applications([a for a in table if a.organisation_id in actor.organisation_ids], "")
    return Applications([], "")


def _attachments(db: Session, pid: int, is_city: bool) -> list:
    remover = aliased(User)
    q = (select(Attachment, remover.name).outerjoin(remover, remover.id == Attachment.removed_by)
         .where(Attachment.proposal_id == pid).order_by(Attachment.id))
    if not is_city:
        q = q.where(Attachment.removed_at.is_(None))  # removed files stay on the record, for the city
    return list(db.execute(q))


def _periods(db: Session, pid: int) -> list[tuple[EvaluationPeriod, dict[str, Evaluation]]]:
    """Each evaluation period of the case with its evaluations by side, in one statement."""
    out: dict[int, tuple[EvaluationPeriod, dict[str, Evaluation]]] = {}
    for period, evaluation in db.execute(
            select(EvaluationPeriod, Evaluation).outerjoin(Evaluation, Evaluation.period_id == EvaluationPeriod.id)
            .where(EvaluationPeriod.proposal_id == pid).order_by(EvaluationPeriod.id, Evaluation.id)):
        sides = out.setdefault(period.id, (period, {}))[1]
        if evaluation is not None:
            sides[evaluation.side] = evaluation
    return list(out.values())


def case_context(db: Session, actor: Actor, row, lang: str, clock: Clock, page: str = "case",
                 settings: Settings | None = None) -> dict[str, Any]:
    lc = lifecycle_of(row)
    pid = row.id
    proposal = db.get(Proposal, pid)
    is_member = "proposer" in actor.roles and row.organisation_id in actor.organisation_ids
    is_city = bool(actor.roles & CITY_ROLES)

    offered = [o for o in queries.offers(db, lc, row, actor, clock=clock, settings=settings)
               if has_generic_form(o.transition)]
    all_forms, empty = build_forms(db, lc, [o for o in offered if o.ready], row, actor, lang, clock)
    forms = [f for f in all_forms if f.transitions[0].page == page]
    elsewhere = sorted({f.transitions[0].page for f in all_forms} - {page, "case"})
    if page == "decision":
        forms.sort(key=lambda f: not f.needs_reasons)  # the decision first, a return below it
    # What is not possible yet, and why: on its own page, and all of it on the case page.
    not_yet = [NotYet(o.transition, tuple(pick(lang, ja, en) for _, ja, en in o.unmet))
               for o in offered if not o.ready and page in ("case", o.transition.page)]
    not_yet += [NotYet(t, reasons) for t, reasons in empty if page in ("case", t.page)]

    notes = list(db.execute(select(CaseNote, User.name).join(User, User.id == CaseNote.author_id)
                            .where(CaseNote.proposal_id == pid).order_by(CaseNote.id)))
    if not is_city:
        notes = [(n, name) for n, name in notes if n.kind not in INTERNAL_NOTES]

    review_q = select(Review, User.name).join(User, User.id == Review.reviewer_id).where(Review.proposal_id == pid)
    if is_city:
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

    periods = _periods(db, pid)

    history = list(queries.history(db, pid))
    if not is_city and "proposer" in actor.roles:
        # Of a call, a group sees its own steps only: never who else applied or withdrew.
        fellows = set(db.execute(select(Membership.user_id).where(
            Membership.organisation_id.in_(list(actor.organisation_ids) or [-1]))).scalars())
        history = [(ev, name) for ev, name in history if ev.actor_role != "proposer" or ev.actor_id in fellows]
    deadlines = queries.deadlines(db, pid)
    context = {
        "lc": lc,
        "p": proposal,
        "row": row,
        "state": lc.state(row.state),
        "organisation": db.get(Organisation, row.organisation_id) if row.organisation_id else None,
        "department": db.get(Department, row.department_id) if row.department_id else None,
        "is_member": is_member,
        "is_city": is_city,
        # A case that calls for applications (Art. 9) states its selection terms; a proposal does not.
        "is_call": proposal.closing_on is not None or bool(proposal.selection_criteria),
        "max_review_total": MAX_REVIEW_TOTAL,
        "editable": can_edit(db, actor, row),
        "forms": forms,
        "not_yet": not_yet,
        "other_pages": elsewhere,
        "page": page,
        "notes": notes,
        "reviews": reviews,
        "applications": applications_for(db, actor, row, is_city),
        "decision": queries.decision(db, pid),
        "contract": contract,
        "amendments": amendments,
        "partners": partners,
        "own_projects": list(db.execute(select(OwnProject).where(OwnProject.proposal_id == pid)
                                        .order_by(OwnProject.id)).scalars()),
        "periods": periods,
        "attachments": _attachments(db, pid, is_city),
        "history": history,
        "deadlines": deadlines,
        "open_deadlines": [d for d in deadlines if d.closed_at is None],
        "notices": notices_for(db, actor, pid, lang, organisation_id=row.organisation_id if is_member else None),
        "revisions": revisions(db, pid),
        "today": japan_today(clock),
        "form_errors": {},
        "form_values": {},
        "form_messages": {},
        "confirming": None,
    }
    end_reads(db)  # the template reads what is gathered here, and nothing more
    return context
