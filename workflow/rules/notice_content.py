"""What a notice states, gathered at the moment of the change that sends it.

A notice kind names its parts in ``states/notices.py`` (``NoticeKind.content``); each
part is answered here from the case, the transition (its outcome and article) and what
the effects learnt. Reasons are copied verbatim now, so a later correction cannot alter
a notice already owed. ``kyodo states check`` refuses a part that is not answered here.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any, Callable

from sqlalchemy import bindparam, select

from db.models import Contract, Deadline, OwnProject
from states import Notify
from workflow.calendar.clock import japan_today
from workflow.rules.budgets import awaited_year
from workflow.rules.calls import score_table
from workflow.rules.contracts import CONCLUDED

if TYPE_CHECKING:
    from workflow.engine.context import Case

_CONTRACT = Contract.__table__
_DEADLINE = Deadline.__table__
# Built once.
_CONTRACT_TERMS = select(_CONTRACT.c.form, _CONTRACT.c.exempt, _CONTRACT.c.period_start, _CONTRACT.c.period_end,
                         _CONTRACT.c.amount_yen).where(_CONTRACT.c.proposal_id == bindparam("pid"))
_OPEN_DUE = select(_DEADLINE.c.due_on).where(_DEADLINE.c.proposal_id == bindparam("pid"),
                                             _DEADLINE.c.key == bindparam("key"), _DEADLINE.c.scope == bindparam("scope"),
                                             _DEADLINE.c.closed_at.is_(None))

Part = Callable[["Case", Notify, str], dict[str, Any]]


def due_date(case: Case, key: str) -> date | None:
    """The due date of an open deadline of this case: one this change opened, else the stored one."""
    policy = case.lifecycle.deadline(key)
    scope = ""
    if policy.scope_by:
        value = case.values.get(policy.scope_by, case.facts.get(policy.scope_by))
        scope = "" if value is None else str(value)
    if (key, scope) in case.opened:
        return case.opened[(key, scope)]
    return case.db.execute(_OPEN_DUE, {"pid": case.proposal_id, "key": key, "scope": scope}).scalar()


def _submitted(case: Case, notify: Notify, role: str):
    return {"submitted_on": japan_today(case.clock)}


def _due(case: Case, notify: Notify, role: str):
    return {"due_on": due_date(case, notify.due) if notify.due else None}


def _revision_request(case: Case, notify: Notify, role: str):
    return {"revision_request": case.values.get("revision_request", "")}


def _decision(case: Case, notify: Notify, role: str):
    p, t = case.after, case.transition
    dept = case.department(p.department_id) if p.department_id else None
    # The department answers after an adoption, and always for a case it started itself.
    department_answers = dept is not None and (
        t.outcome == "adopted" or "department" in (case.lifecycle.creation.roles if case.lifecycle.creation else ()))
    contact = {
        "section": dept.name_ja if department_answers else case.settings.sender_section,
        "email": case.settings.contact_email,
        "phone": case.settings.contact_phone,
    }
    return {
        "outcome": t.outcome,
        "document_number": case.facts["document_number"],
        "decided_on": japan_today(case.clock),
        "reasons": case.values["reasons"],
        "article": t.article,
        "mayor_title": case.settings.mayor_title,
        "contact": contact,
        # An adoption for a later fiscal year: the contract follows that year's budget.
        "budget_year": awaited_year(case) if t.outcome == "adopted" else None,
    }


def _contract(case: Case, notify: Notify, role: str):
    # The terms the change has just written, else the stored ones.
    terms = case.memo.get(CONCLUDED)
    if terms is None:
        terms = case.db.execute(_CONTRACT_TERMS, {"pid": case.proposal_id}).one()._asdict()
    return {"contract": {k: terms[k] for k in ("form", "exempt", "period_start", "period_end", "amount_yen")}}


def _own_project(case: Case, notify: Notify, role: str):
    own = case.session.get(OwnProject, case.facts.get("own_project_id") or case.values.get("own_project_id"))
    return {"own_project": {"title": own.title, "started_on": own.started_on, "ended_on": own.ended_on},
            "which": case.facts.get("own_project_event", "start")}


def _evaluation_period(case: Case, notify: Notify, role: str):
    return {"period_label_fy": case.values.get("fiscal_year")}


def _evaluation_side(case: Case, notify: Notify, role: str):
    return {"side": "partner" if role == "proposer" else "city"}


def _public_page(case: Case, notify: Notify, role: str):
    return {"public_url": f"{case.settings.base_url}/public/proposals/{case.proposal_id}"}


def _call_applications(case: Case, notify: Notify, role: str):
    return {
        "criteria": case.after.selection_criteria,
        "applications": [{"id": a.application_id, "organisation": a.organisation_name}
                         for a in score_table(case.session, case.proposal_id) if not a.withdrawn],
    }


def _selected_partner(case: Case, notify: Notify, role: str):
    app_id = case.facts.get("selected_application_id")
    selected = None
    if app_id is not None:
        selected = next(a.organisation_name for a in score_table(case.session, case.proposal_id)
                        if a.application_id == app_id)
    return {"partner_selected": selected is not None, "selected_organisation": {"name": selected} if selected else None}


PARTS: dict[str, Part] = {
    "submitted": _submitted,
    "due": _due,
    "revision_request": _revision_request,
    "decision": _decision,
    "contract": _contract,
    "own_project": _own_project,
    "evaluation_period": _evaluation_period,
    "evaluation_side": _evaluation_side,
    "public_page": _public_page,
    "call_applications": _call_applications,
    "selected_partner": _selected_partner,
}
