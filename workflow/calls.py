"""Creating a city's call for partners (Article 9); everything after goes through the engine.

A call is a case (a ``Proposal`` row with lifecycle ``city_call``) that a department
prepares: what the project is (title, purpose, content, field, budget), the selection
criteria it adds to the Article 9(2) ones, and the closing date. Its organisation stays
empty until the approver selects a partner.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import insert
from sqlmodel import Session

from db.models import CaseNote, Department, Proposal, ProposalRevision
from db.session import begin_write
from states import get_lifecycle
from workflow.actors import Actor
from workflow.call_records import (  # noqa: F401  (re-exported for callers)
    CRITERIA_NOTE,
    LIFECYCLE,
    MAX_REVIEW_TOTAL,
    CallTerms,
    call_terms,
    note_closing_date,
    score_table,
    selection_record,
)
from workflow.clock import Clock, SystemClock
from workflow.engine import load_case_row, write_change
from workflow.errors import InvalidInput, NotAllowed
from workflow.proposals import clean_content


def create_call(
    session: Session, actor: Actor, *, title: str, purpose: str, criteria: str, closing_on: date,
    content: str = "", field: int | None = None, estimated_cost_yen: int | None = None,
    contract_form: str | None = None, proposed_roles: str = "", clock: Clock | None = None,
) -> int:
    """A new draft call of the actor's department; ``open_call`` publishes it."""
    clock = clock or SystemClock()
    if "department" not in actor.roles or actor.department_id is None:
        raise NotAllowed("公募は所管課の職員が作成します。", "a call for partners is created by department staff")
    if not str(criteria or "").strip():
        raise InvalidInput("criteria", "選定基準を入力してください。", "give the selection criteria")
    if not isinstance(closing_on, date):
        raise InvalidInput("closing_on", "応募締切日は日付で指定してください。", "closing_on must be a date")
    fields = clean_content({
        "title": title, "purpose": purpose, "content": content, "field": field,
        "estimated_cost_yen": estimated_cost_yen, "desired_contract_form": contract_form,
        "proposed_roles": proposed_roles,
    })
    fields = {k: v for k, v in fields.items() if v not in (None, "")}
    now = clock.now()
    try:
        begin_write(session)
        if session.get(Department, actor.department_id) is None:
            raise InvalidInput("department_id", "所属の所管課が登録されていません。", "the actor's department is unknown")
        pid = session.execute(
            insert(Proposal).values(
                lifecycle=LIFECYCLE, state=get_lifecycle(LIFECYCLE).initial, version=0, organisation_id=None,
                department_id=actor.department_id, revision=1, created_by=actor.user_id,
                created_at=now, updated_at=now, **fields,
            ).returning(Proposal.id)
        ).scalar_one()
        session.execute(insert(ProposalRevision).values(
            proposal_id=pid, number=1, created_by=actor.user_id, created_at=now, **fields))
        session.execute(insert(CaseNote).values(
            proposal_id=pid, kind=CRITERIA_NOTE, text=criteria.strip(), author_id=actor.user_id, created_at=now))
        note_closing_date(session, pid, closing_on, actor.user_id, now)
        row = load_case_row(session, pid)
        write_change(session, row, trigger="create", to_state=row.state, actor=actor, role="department",
                     audit_inputs={"revision": 1, "criteria": criteria.strip(), "closing_on": closing_on.isoformat()},
                     now=now)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return pid
