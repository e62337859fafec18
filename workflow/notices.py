"""Writing notices into the outbox, in the transaction of the change that causes them.

Which transition notifies whom is data (``Transition.notify`` in ``states/``); this module
gathers what each notice says at the moment of the change — the reasons of a decision
are copied verbatim then, so a later correction cannot alter a notice already owed.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from config import Settings
from db.models import Contract, Deadline, Department, Notice, Organisation, OwnProject
from workflow.clock import japan_today
from workflow.context import Case
from workflow.recipients import Recipient, resolve


def encode(value: Any) -> Any:
    """Dates survive the JSON column as {"$date": "2026-04-01"}."""
    if isinstance(value, datetime):
        return {"$date": value.date().isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, dict):
        return {k: encode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [encode(v) for v in value]
    return value


def decode(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"$date"}:
            return date.fromisoformat(value["$date"])
        return {k: decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode(v) for v in value]
    return value


def common_context(session: Session, proposal, settings: Settings) -> dict[str, Any]:
    # A city's call for partners (Art. 9) has no organisation until its partner is selected.
    org = session.get(Organisation, proposal.organisation_id) if proposal.organisation_id is not None else None
    dept = session.get(Department, proposal.department_id) if proposal.department_id else None
    return {
        "proposal": {"id": proposal.id, "title": proposal.title},
        "organisation": {"name": org.name, "representative_title": org.representative_title,
                         "representative_name": org.representative_name} if org else None,
        "department": {"name": dept.name_ja} if dept else None,
        "case_url": f"{settings.base_url}/proposals/{proposal.id}",
        "city_name": settings.city_name,
        "sender_section": settings.sender_section,
    }


def _due(session: Session, proposal_id: int, key: str, scope: str = "", case: Case | None = None) -> date | None:
    if case is not None and (key, scope) in case.opened:
        return case.opened[(key, scope)]
    return session.execute(
        select(Deadline.due_on).where(
            Deadline.proposal_id == proposal_id, Deadline.key == key, Deadline.scope == scope,
            Deadline.closed_at.is_(None),
        )
    ).scalar()


def _kind_context(case: Case, kind: str, role: str) -> dict[str, Any]:
    s, p, v, today = case.session, case.proposal, case.values, japan_today(case.clock)
    fy = v.get("fiscal_year")
    if kind == "receipt":
        return {"submitted_on": today, "expected_decision_on": _due(s, p.id, "decision", case=case)}
    if kind == "revision_requested":
        return {"revision_request": v["revision_request"], "due_on": _due(s, p.id, "revision", case=case)}
    if kind == "review_assigned":
        return {"due_on": _due(s, p.id, "review", case=case)}
    if kind == "decision":
        adopted = case.transition.trigger == "adopt"
        dept = s.get(Department, p.department_id) if p.department_id else None
        return {
            "outcome": "adopted" if adopted else "not_adopted",
            "document_number": case.facts["document_number"],
            "decided_on": today,
            "reasons": v["reasons"],
            "article": "第10条第2項",
            "mayor_title": case.settings.mayor_title,
            "next_step_contact": {
                "section": dept.name_ja if adopted and dept else case.settings.sender_section,
                "email": case.settings.contact_email,
                "phone": case.settings.contact_phone,
            },
        }
    if kind == "contract_concluded":
        c = s.execute(select(Contract).where(Contract.proposal_id == p.id)).scalar_one()
        return {"contract": {"form": c.form, "exempt": c.exempt, "period_start": c.period_start,
                             "period_end": c.period_end, "amount_yen": c.amount_yen}}
    if kind == "own_project_received":
        own_id = case.facts.get("own_project_id") or v.get("own_project_id")
        own = s.get(OwnProject, own_id)
        return {"own_project": {"title": own.title, "started_on": own.started_on, "ended_on": own.ended_on},
                "which": "end" if case.transition.trigger == "notify_own_project_end" else "start"}
    if kind == "evaluation_requested":
        due = _due(s, p.id, "annual_evaluation", str(fy), case=case) if fy else _due(s, p.id, "final_evaluation", case=case)
        return {"period_label_fy": fy, "due_on": due, "side": "partner" if role == "proposer" else "city"}
    if kind == "evaluation_published":
        return {"period_label_fy": fy, "public_url": f"{case.settings.base_url}/public/proposals/{p.id}"}
    if kind.startswith("call_"):
        from workflow.call_notices import kind_context

        return kind_context(case, kind, role)
    raise KeyError(f"no context for notice kind {kind!r}")


def enqueue(session: Session, *, kind: str, recipients: list[Recipient], context: dict[str, Any],
            proposal_id: int | None, now: datetime, dedupe: str | None = None, key: str | None = None) -> int:
    """Write one outbox row per recipient; returns how many new rows were written.

    With ``dedupe`` a row whose key exists already is skipped by the database itself, so
    two reminder scans running at once cannot both write the same reminder. ``key`` is for
    rows that cannot exist yet (a transition's, keyed by the case's new version): they are
    written in one statement, and the unique key still refuses a duplicate.
    """
    base_key = dedupe or key
    rows = [
        dict(proposal_id=proposal_id, kind=kind, recipient_id=r.user_id, email=r.email, language=r.language,
             context=encode({**context, "recipient_name": r.name}),
             dedupe_key=f"{base_key}:{r.user_id}" if base_key else None,
             status="pending", attempts=0, next_attempt_at=now, created_at=now)
        for r in recipients if r.email
    ]
    if not rows:
        return 0
    if dedupe is None:
        session.execute(insert(Notice.__table__), rows)
        return len(rows)
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    written = 0
    for row in rows:
        stmt = (dialect.insert(Notice.__table__).values(**row)
                .on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(Notice.__table__.c.id))
        # RETURNING, not rowcount: the driver may not report a count for ON CONFLICT.
        written += len(session.execute(stmt).all())
    return written


def on_transition(case: Case, from_state: str, to_state: str) -> None:
    if not case.transition.notify:
        return
    # The row as it is after the change (department assigned, partner selected …).
    proposal = case.after
    base = common_context(case.session, proposal, case.settings)
    for kind, role in case.transition.notify:
        context = {**base, **_kind_context(case, kind, role)}
        if role == "unselected_applicants":
            from workflow.call_notices import enqueue_per_applicant

            enqueue_per_applicant(case, proposal, kind, context)
            continue
        recipients = resolve(case.session, role, proposal)
        enqueue(case.session, kind=kind, recipients=recipients, context=context, proposal_id=proposal.id,
                now=case.now, key=f"t:{proposal.id}:{proposal.version}:{kind}")
