"""The yes/no rules of a city's call for partners (Article 9), answered from the stored case.

Merged into ``workflow.conditions.PREDICATES`` on import (``workflow/conditions.py``
imports this module at its end); the labels people read are declared with
the names in ``states/common.py`` (``CALL_CONDITIONS``).

A rule about one organisation's application answers "yes" when the person is not a
member of that organisation: the engine then refuses them as not allowed, so nobody
learns from a failed condition whether another group applied.
"""

from __future__ import annotations

from typing import Callable

from sqlalchemy import func, select

from db.models import ApplicationReview, CallApplication
from workflow.call_records import call_terms
from workflow.clock import japan_today
from workflow.conditions import PREDICATES, REQUIRED_PROPOSAL_FIELDS
from workflow.context import Case

CALL_REQUIRED_FIELDS = tuple(f for f in REQUIRED_PROPOSAL_FIELDS if f != "proposed_roles")


def closing_on(case: Case):
    """The call's closing date: the one given with the trigger, else the one stored."""
    return case.values.get("closing_on") or call_terms(case.session, case.proposal_id).closing_on


def _application(case: Case, input_name: str):
    return case.session.execute(
        select(CallApplication).where(
            CallApplication.id == case.values[input_name], CallApplication.proposal_id == case.proposal_id
        )
    ).scalar()


def _active_applications(case: Case) -> list[int]:
    return list(case.session.execute(
        select(CallApplication.id).where(
            CallApplication.proposal_id == case.proposal_id, CallApplication.withdrawn.is_(False)
        )
    ).scalars())


def call_ready(case: Case) -> bool:
    p = case.proposal
    if not all(getattr(p, f) not in (None, "") and str(getattr(p, f)).strip() for f in CALL_REQUIRED_FIELDS):
        return False
    if not call_terms(case.session, case.proposal_id).criteria.strip():
        return False
    closing = closing_on(case)
    return closing is not None and closing > japan_today(case.clock)


def call_accepting(case: Case) -> bool:
    closing = closing_on(case)
    return closing is not None and japan_today(case.clock) <= closing


def closing_date_passed(case: Case) -> bool:
    closing = closing_on(case)
    return closing is not None and japan_today(case.clock) > closing


def organisation_has_not_applied(case: Case) -> bool:
    org = case.values["organisation_id"]
    if org not in case.actor.organisation_ids:
        return True  # refused as not allowed by the effect, without telling what exists
    return case.session.execute(
        select(CallApplication.id).where(
            CallApplication.proposal_id == case.proposal_id, CallApplication.organisation_id == org
        )
    ).first() is None


def has_applications(case: Case) -> bool:
    return bool(_active_applications(case))


def application_active(case: Case) -> bool:
    app = _application(case, "application_id")
    if app is not None and case.role == "proposer" and app.organisation_id not in case.actor.organisation_ids:
        return True  # refused as not allowed by the effect
    return app is not None and not app.withdrawn


def application_reviewable(case: Case) -> bool:
    app = _application(case, "application_id")
    if app is None or app.withdrawn:
        return False
    return case.session.execute(
        select(ApplicationReview.id).where(
            ApplicationReview.application_id == app.id, ApplicationReview.reviewer_id == case.actor.user_id
        )
    ).first() is None


def applications_reviewed(case: Case) -> bool:
    active = _active_applications(case)
    if not active:
        return False
    counts = dict(case.session.execute(
        select(ApplicationReview.application_id, func.count())
        .where(ApplicationReview.application_id.in_(active))
        .group_by(ApplicationReview.application_id)
    ).all())
    return all(counts.get(a, 0) >= case.settings.required_reviews for a in active)


def application_selectable(case: Case) -> bool:
    app = _application(case, "selected_application_id")
    return app is not None and not app.withdrawn


CALL_PREDICATES: dict[str, Callable[[Case], bool]] = {
    f.__name__: f
    for f in (
        call_ready,
        call_accepting,
        organisation_has_not_applied,
        closing_date_passed,
        has_applications,
        application_active,
        application_reviewable,
        applications_reviewed,
        application_selectable,
    )
}
PREDICATES.update(CALL_PREDICATES)
