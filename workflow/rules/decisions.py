"""Decisions with written reasons and a document number (Art. 10(2), Art. 9(1)).

One effect for every decision of every lifecycle: adopting or not adopting a proposal,
selecting a call's partner or ending the call without one. The outcome is the
transition's (``Transition.outcome``); a decision that picks an application marks it
and makes its organisation the case's partner; a decision on a call keeps the whole score
sheet with it, so the fair method Article 9(1) asks for stays on the record.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import insert, update

from db.models import CallApplication, Decision
from workflow.calendar.clock import japan_today
from workflow.calendar.japan import fiscal_year
from workflow.calendar.numbering import format_number, next_serial
from workflow.rules import notes
from workflow.rules.calls import application, score_table, selection_record, takes_applications

if TYPE_CHECKING:
    from workflow.engine.context import Case

_RECORD = insert(Decision.__table__)


def record_decision(case: Case):
    updates = {"decided_at": case.now}
    if "selected_application_id" in case.values:
        app = application(case, "selected_application_id")
        case.session.execute(update(CallApplication).where(CallApplication.id == app.id).values(selected=True))
        case.facts["selected_application_id"] = app.id
        updates["organisation_id"] = app.organisation_id
    fy = fiscal_year(japan_today(case.clock))
    prefix = case.settings.document_prefix
    serial = next_serial(case.session, prefix, fy)
    number = format_number(prefix, serial)
    case.db.execute(_RECORD, dict(
        proposal_id=case.proposal_id, outcome=case.transition.outcome, reasons=case.values["reasons"],
        decided_by=case.actor.user_id, document_prefix=prefix, fiscal_year=fy, serial=serial,
        document_number=number, decided_at=case.now,
    ))
    case.facts["document_number"] = number
    table = score_table(case.session, case.proposal_id) if takes_applications(case.lifecycle) else []
    if table:
        notes.keep(case, "selection_record", selection_record(table))
    return updates


EFFECTS = {"record_decision": record_decision}
