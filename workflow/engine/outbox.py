"""Writing notices into the outbox, in the transaction of the change that causes them.

Which transition notifies whom is data (``Transition.notify`` in ``states/``), and so is
what each kind states (``NoticeKind.content``, answered by ``workflow/rules/
notice_content.py`` at the moment of the change: the reasons of a decision are copied
verbatim then, so a later correction cannot alter a notice already owed). Each letter
records the role its recipients are reached in (``addressed_as``): the templates write
the group's letter for the group and a copy (写し) for the department. Recipients named by
the change rather than the case (``CHANGE_RECIPIENTS`` in ``states/roles.py``: the
reviewers just asked) are resolved from the change's facts and addressed in their role.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from config import Settings
from db.models import Department, Notice, Organisation
from states.notices import NOTICE_KINDS
from states.roles import CHANGE_RECIPIENTS
from workflow.engine.context import Case
from workflow.engine.recipients import Recipient, recipient_groups, resolve_all
from workflow.rules.notice_content import PARTS


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


def _context(proposal, org, dept, settings: Settings) -> dict[str, Any]:
    return {
        "proposal": {"id": proposal.id, "title": proposal.title},
        "organisation": {"name": org.name, "representative_title": org.representative_title,
                         "representative_name": org.representative_name} if org else None,
        "department": {"name": dept.name_ja} if dept else None,
        "case_url": f"{settings.base_url}/proposals/{proposal.id}",
        "city_name": settings.city_name,
        "sender_section": settings.sender_section,
    }


def common_context(session: Session, proposal, settings: Settings) -> dict[str, Any]:
    # A city's call for partners (Art. 9) has no organisation until its partner is selected.
    org = session.get(Organisation, proposal.organisation_id) if proposal.organisation_id is not None else None
    dept = session.get(Department, proposal.department_id) if proposal.department_id else None
    return _context(proposal, org, dept, settings)


def _case_context(case: Case, proposal) -> dict[str, Any]:
    """``common_context`` from what the change has read already (the case's names come with its row)."""
    dept = case.department(proposal.department_id) if proposal.department_id else None
    return _context(proposal, case.organisation(proposal.organisation_id), dept, case.settings)


_WRITE = insert(Notice.__table__)


def notice_rows(*, kind: str, recipients: list[Recipient], context: dict[str, Any], proposal_id: int | None,
                now: datetime, base_key: str | None) -> list[dict[str, Any]]:
    """One outbox row per recipient with an address (the reminder scan writes the same rows in bulk)."""
    if not any(r.email for r in recipients):
        return []
    shared = encode(context)  # once per letter: a name is a string, which encoding leaves as it is
    return [
        dict(proposal_id=proposal_id, kind=kind, recipient_id=r.user_id, email=r.email, language=r.language,
             context={**shared, "recipient_name": r.name},
             dedupe_key=f"{base_key}:{r.user_id}" if base_key else None,
             status="pending", attempts=0, next_attempt_at=now, created_at=now)
        for r in recipients if r.email
    ]


def enqueue(session: Session, *, kind: str, recipients: list[Recipient], context: dict[str, Any],
            proposal_id: int | None, now: datetime, dedupe: str | None = None, key: str | None = None) -> int:
    """Write one outbox row per recipient; returns how many new rows were written.

    With ``dedupe`` a row whose key exists already is skipped by the database itself, so
    two reminder scans running at once cannot both write the same reminder. ``key`` is for
    rows that cannot exist yet (a transition's, keyed by the case's new version): they are
    written in one statement, and the unique key still refuses a duplicate.
    """
    rows = notice_rows(kind=kind, recipients=recipients, context=context, proposal_id=proposal_id, now=now,
                 base_key=dedupe or key)
    if not rows:
        return 0
    if dedupe is None:
        session.execute(_WRITE, rows)
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
    """The transition's notices, one per recipient and kind: a person reached in two roles
    (a department employee who is also the group's contact) is told once, by the letter
    of the role the definition lists first (the addressee's, before the copies)."""
    if not case.transition.notify:
        return
    # The row as it is after the change (department assigned, partner selected …).
    proposal = case.after
    base = _case_context(case, proposal)
    # Every role the notices name, resolved in one query (the applicants' letters apart).
    resolved = resolve_all(case.db, [n.to for n in case.transition.notify if n.to != "unselected_applicants"],
                           proposal, case.facts)
    told: dict[str, set[int]] = {}
    rows: list[dict[str, Any]] = []
    for n in case.transition.notify:
        context = dict(base)
        for part in NOTICE_KINDS[n.kind].content:
            context.update(PARTS[part](case, n, n.to))
        seen = told.setdefault(n.kind, set())
        for extra, recipients, suffix in recipient_groups(case.session, n.to, proposal, case.facts, resolved):
            if not suffix:  # a letter addressed to one organisation is that organisation's
                recipients = [r for r in recipients if r.user_id not in seen]
                seen.update(r.user_id for r in recipients)
            letter = {**context, **extra, "addressed_as": CHANGE_RECIPIENTS.get(n.to, n.to)}
            rows += notice_rows(kind=n.kind, recipients=recipients, context=letter, proposal_id=proposal.id, now=case.now,
                          base_key=f"t:{proposal.id}:{proposal.version}:{n.kind}{suffix}")
    # Rows that cannot exist yet (keyed by the case's new version): one statement for all of
    # them, and the unique key still refuses a duplicate.
    if rows:
        case.db.execute(_WRITE, rows)
