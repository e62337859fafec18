"""Article 15(1): every fiscal year a running project passes is evaluated, without anyone remembering to ask."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from db.models import AuditEvent, Deadline, Notice, User
from workflow.annual_evaluations import open_due
from workflow.directory import SYSTEM_LOGIN


def test_each_ended_fiscal_year_is_opened_once_by_the_system(world, session):
    pid = world.new_proposal()
    world.to_in_progress(pid, period_start=date(2026, 6, 1), period_end=date(2029, 3, 31))
    assert open_due(session, world.clock, world.settings) == []  # FY2026 has not ended yet
    world.clock.advance_to_date(date(2028, 4, 2))  # FY2026 and FY2027 have ended
    assert open_due(session, world.clock, world.settings) == [(pid, 2026), (pid, 2027)]
    assert open_due(session, world.clock, world.settings) == []  # never twice
    due = session.execute(select(Deadline.scope, Deadline.due_on).where(
        Deadline.proposal_id == pid, Deadline.key == "annual_evaluation").order_by(Deadline.scope)).all()
    assert [(s, d) for s, d in due] == [("2026", date(2027, 6, 30)), ("2027", date(2028, 6, 30))]
    events = session.execute(select(AuditEvent.trigger, User.login).join(User, User.id == AuditEvent.actor_id)
                             .where(AuditEvent.proposal_id == pid, AuditEvent.trigger == "open_annual_evaluation")).all()
    assert events == [("open_annual_evaluation", SYSTEM_LOGIN)] * 2
    asked = session.execute(select(Notice.email).where(Notice.proposal_id == pid,
                                                       Notice.kind == "evaluation_requested")).scalars().all()
    assert "p@example.jp" in asked and "d@city.jp" in asked and "" not in asked


def test_the_last_year_is_left_to_the_final_evaluation(world, session):
    pid = world.new_proposal()
    world.to_in_progress(pid, period_start=date(2026, 6, 1), period_end=date(2027, 3, 31))
    world.clock.advance_to_date(date(2027, 4, 5))  # still in progress, but FY2026 was its last year
    assert open_due(session, world.clock, world.settings) == []
