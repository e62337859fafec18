"""Own projects a partner runs alongside the collaboration, notified at start and end (Art. 11(2))."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import insert, select, update

from db.models import OwnProject

if TYPE_CHECKING:
    from workflow.engine.context import Case


def record_own_project_start(case: Case):
    case.facts["own_project_id"] = case.session.execute(
        insert(OwnProject).values(
            proposal_id=case.proposal_id, title=case.values["own_project_title"],
            started_on=case.values["own_project_start"], notified_start_at=case.now,
        ).returning(OwnProject.id)
    ).scalar_one()
    case.facts["own_project_event"] = "start"


def record_own_project_end(case: Case):
    case.session.execute(
        update(OwnProject).where(OwnProject.id == case.values["own_project_id"])
        .values(ended_on=case.values["own_project_end"], notified_end_at=case.now))
    case.facts["own_project_event"] = "end"


def own_project_open(case: Case) -> bool:
    row = case.session.execute(
        select(OwnProject.started_on, OwnProject.ended_on).where(
            OwnProject.id == case.values["own_project_id"], OwnProject.proposal_id == case.proposal_id)
    ).first()
    return row is not None and row.ended_on is None and case.values["own_project_end"] >= row.started_on


EFFECTS = {"record_own_project_start": record_own_project_start, "record_own_project_end": record_own_project_end}
CONDITIONS = {"own_project_open": own_project_open}
