"""A city's call for partners (Article 9) as a department starts it; the rest goes through the engine.

A call is a case (a ``Proposal`` row with lifecycle ``city_call``) that a department
prepares: what the project is (title, purpose, content, field, budget), the selection
criteria it adds to the Article 9(2) ones, and the closing date. Its organisation stays
empty until the approver selects a partner.
"""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from workflow.actors import Actor
from workflow.calendar.clock import Clock
from workflow.engine import core
from workflow.rules.calls import MAX_REVIEW_TOTAL, score_table, selection_record  # noqa: F401  (for callers)

LIFECYCLE = "city_call"


def create_call(
    session: Session, actor: Actor, *, title: str, purpose: str, criteria: str, closing_on: date | str,
    content: str = "", field: int | None = None, estimated_cost_yen: int | None = None,
    contract_form: str | None = None, proposed_roles: str = "", clock: Clock | None = None,
) -> int:
    """A new draft call of the actor's department; ``open_call`` publishes it."""
    body = {"title": title, "purpose": purpose, "content": content, "field": field,
            "estimated_cost_yen": estimated_cost_yen, "desired_contract_form": contract_form,
            "proposed_roles": proposed_roles}
    body = {k: v for k, v in body.items() if v not in (None, "")}
    out = core.create(session, LIFECYCLE, actor,
                      {"content": body, "selection_criteria": criteria, "closing_on": closing_on}, clock=clock)
    return out.proposal_id
