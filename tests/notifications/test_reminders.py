"""Reminders follow the city's business days, escalate when overdue, and stop when the case moves."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from config import Settings
from db.models import Deadline, Notice
from notifications.reminders import current_step, scan
from states import get_lifecycle
from tests.support import SCORES
from workflow.calendar.clock import JST, MovableClock
from workflow.calendar.japan import add_business_days

LC = get_lifecycle("citizen_proposal")


def at(d: date) -> MovableClock:
    return MovableClock(datetime(d.year, d.month, d.day, 9, tzinfo=JST))


def test_steps_skip_golden_week():
    review = LC.deadline("review")  # 3 and 1 business days before, on the day, every 3 after
    due = date(2026, 5, 7)  # the first business day after Golden Week
    # One business day before 7 May is 1 May (2–6 May are weekend and holidays).
    assert current_step(review, due, date(2026, 4, 27)) is None
    assert current_step(review, due, date(2026, 4, 28)).key == "before-3"  # 29 April is a holiday
    assert current_step(review, due, date(2026, 4, 30)).key == "before-3"
    assert current_step(review, due, date(2026, 5, 1)).key == "before-1"
    assert current_step(review, due, date(2026, 5, 6)) is None  # a holiday: nobody is in to act on it
    assert current_step(review, due, date(2026, 5, 7)).key == "on-day"
    late = current_step(review, due, date(2026, 5, 11))  # only 2 business days late
    assert (late.key, late.kind, late.days) == ("on-day", "overdue", 2)  # missed, it says how late
    late = current_step(review, due, date(2026, 5, 12))
    assert late.key == "overdue-3" and late.escalated


def test_steps_skip_the_year_end_closure():
    coordination = LC.deadline("coordination")  # 5 and 1 before; every 3 after
    due = date(2027, 1, 5)
    # Five business days before 5 January 2027 reach back over the closure (29 Dec – 3 Jan)
    # to 23 December; one business day before is 4 January.
    assert current_step(coordination, due, date(2026, 12, 22)) is None
    assert current_step(coordination, due, date(2026, 12, 23)).key == "before-5"
    assert current_step(coordination, due, date(2026, 12, 28)).key == "before-5"
    assert current_step(coordination, due, date(2026, 12, 30)) is None  # the offices are closed
    assert current_step(coordination, due, date(2027, 1, 4)).key == "before-1"
    assert current_step(coordination, due, date(2027, 1, 5)).key == "on-day"
    assert current_step(coordination, due, date(2027, 1, 7)).key == "on-day"
    assert current_step(coordination, due, date(2027, 1, 8)).key == "overdue-3"


def _reminders(session) -> list[Notice]:
    return list(session.execute(select(Notice).where(Notice.kind == "reminder").order_by(Notice.id)).scalars())


def test_reminders_escalate_when_overdue_and_stop_when_the_case_moves(world, session):
    pid = world.new_proposal()
    world.do(pid, "submit", "proposer")
    world.do(pid, "start_review", "secretariat",
             reviewer_ids=[world["reviewer1"].user_id, world["reviewer2"].user_id], department_id=world.dept)
    due = session.execute(select(Deadline.due_on).where(Deadline.proposal_id == pid, Deadline.key == "review",
                                                          Deadline.closed_at.is_(None))).scalar_one()
    assert due == date(2026, 4, 20)  # 10 business days after Monday 6 April 2026
    settings = Settings()
    assert scan(session, at(date(2026, 4, 14)), settings) == 0  # nothing yet
    assert scan(session, at(date(2026, 4, 15)), settings) == 2  # 3 business days before: both reviewers
    assert scan(session, at(date(2026, 4, 15)), settings) == 0  # the same step is never written twice
    assert scan(session, at(date(2026, 4, 20)), settings) == 2  # on the day
    overdue = scan(session, at(date(2026, 4, 23)), settings)  # 3 business days late: escalated
    reminders = _reminders(session)
    escalated = [n for n in reminders if n.context["escalated"]]
    assert overdue == 3 and {n.email for n in escalated} == {"r1@city.jp", "r2@city.jp", "s@city.jp"}
    world.do(pid, "submit_review", "reviewer1", **SCORES)
    world.do(pid, "submit_review", "reviewer2", **SCORES)
    world.do(pid, "finish_review", "secretariat")
    def about_review():
        return [n for n in _reminders(session) if n.context["deadline"]["label_en"] == "Review"]

    before = len(about_review())
    scan(session, at(date(2026, 4, 28)), settings)  # the review deadline is closed now
    scan(session, at(date(2026, 5, 20)), settings)
    assert len(about_review()) == before == 7




def test_the_daily_digest_lists_proposals_and_calls_each_in_its_own_words(session, clock):
    from notifications.reminders import digest
    from tests.calls.conftest import CallWorld, scores
    from workflow.engine.outbox import decode

    city = CallWorld(session, clock)
    proposal = city.new_proposal(title="審査する提案")
    city.to_under_review(proposal)
    call = city.new_call()
    apps = city.to_reviewing(call)
    settings = Settings()

    def digests(day: date) -> dict[str, list[dict]]:
        rows = session.execute(select(Notice).where(Notice.kind == "reviewer_digest",
                                                    Notice.dedupe_key.like(f"digest:{day.isoformat()}%"))).scalars()
        found = {n.email: decode(n.context)["items"] for n in rows}
        session.commit()
        return found

    today = date(2026, 5, 7)
    assert digest(session, at(today), settings) == 2
    sent = digests(today)
    assert set(sent) == {"r1@city.jp", "r2@city.jp"}
    items = {i["id"]: i for i in sent["r1@city.jp"]}
    assert set(items) == {proposal, call}
    assert items[proposal]["state_ja"] == "審査中" and items[call]["state_ja"] == "選定審査中"
    assert items[call]["due_on"] is not None and not items[call]["overdue"]

    # Reviewer 1 scores two of the three applications: the call is still pending for them.
    for who in ("proposer", "outsider"):
        city.do(call, "review_application", "reviewer1", application_id=apps[who], **scores(4, 4, 4, 4))
    city.do(proposal, "submit_review", "reviewer1", **SCORES)
    tomorrow = date(2026, 5, 8)
    assert digest(session, at(tomorrow), settings) == 2
    assert [i["id"] for i in digests(tomorrow)["r1@city.jp"]] == [call]
    city.do(call, "review_application", "reviewer1", application_id=apps["third"], **scores(3, 3, 3, 3))
    after = date(2026, 5, 11)
    assert digest(session, at(after), settings) == 1
    assert set(digests(after)) == {"r2@city.jp"}


# --- Business days only, and the real number of them.

IMPLEMENTATION = LC.deadline("implementation")  # the contract's end: 20 and 5 business days before


def test_a_step_reached_late_says_how_many_business_days_are_really_left():
    # A contract ending 9 business days from now opens its deadline inside the 20-day step.
    today = date(2027, 3, 17)
    due = add_business_days(today, 9)
    step = current_step(IMPLEMENTATION, due, today)
    assert (step.key, step.kind, step.days) == ("before-20", "before", 9)
    assert current_step(IMPLEMENTATION, due, add_business_days(due, -5)).days == 5
    # Past the due date: every 3 business days, and it says how late it really is.
    late = current_step(IMPLEMENTATION, due, add_business_days(due, 4))
    assert (late.key, late.days) == ("overdue-3", 4)


def test_a_deadline_on_a_saturday_is_reminded_on_business_days_only():
    saturday = date(2027, 3, 27)  # a contract period may end on any day
    for closed in (saturday, date(2027, 3, 28)):
        assert current_step(IMPLEMENTATION, saturday, closed) is None
    friday = current_step(IMPLEMENTATION, saturday, date(2027, 3, 26))
    assert (friday.key, friday.days) == ("before-5", 1)  # due, in effect, on Monday
    monday = current_step(IMPLEMENTATION, saturday, date(2027, 3, 29))
    assert (monday.key, monday.kind, monday.days) == ("on-day", "on_day", 0)


def _implementation_reminders(session) -> list[Notice]:
    return [n for n in _reminders(session) if n.context["deadline"]["label_en"] == IMPLEMENTATION.label_en]


def test_the_scan_writes_the_real_number_of_business_days_into_the_letter(world, session):
    from notifications.render import render
    from workflow.engine.outbox import decode

    pid = world.new_proposal()
    world.to_in_progress(pid)  # the contract runs to Wednesday 31 March 2027
    today = add_business_days(date(2027, 3, 31), -9)
    assert scan(session, at(today), Settings()) >= 1
    letters = [render("reminder", "ja", decode(n.context)) for n in _implementation_reminders(session)]
    assert letters and all("（あと9開庁日）" in r.subject and "期限まであと9開庁日です" in r.text for r in letters)


def test_no_reminder_is_written_on_a_saturday(world, session):
    pid = world.new_proposal()
    world.to_in_progress(pid)
    # A deadline row due on a Saturday, as rows written before due dates were moved to a
    # business day still are.
    row = session.execute(select(Deadline).where(Deadline.proposal_id == pid, Deadline.key == "implementation",
                                                 Deadline.closed_at.is_(None))).scalar_one()
    row.due_on = date(2027, 3, 27)
    session.commit()
    assert scan(session, at(date(2027, 3, 27)), Settings()) == 0
    assert scan(session, at(date(2027, 3, 28)), Settings()) == 0
    assert _implementation_reminders(session) == []
    assert scan(session, at(date(2027, 3, 29)), Settings()) >= 1  # Monday: due today, in effect
    monday = _implementation_reminders(session)
    assert {n.context["step"] for n in monday} == {"on_day"}
    assert {n.context["deadline"]["due_on"]["$date"] for n in monday} == {"2027-03-29"}


def _statements_of_a_scan(session, db_engine, when) -> tuple[int, int]:
    from sqlalchemy import event

    seen = []

    def count(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(db_engine, "before_cursor_execute", count)
    try:
        written = scan(session, when, Settings())
    finally:
        event.remove(db_engine, "before_cursor_execute", count)
    return written, len(seen)


def test_a_scan_asks_the_database_as_often_for_twenty_reminders_as_for_five(world, session, db_engine):
    """The letters are read and written in bulk: a big city's thousands of reminders cost
    a few statements, not a few per reminder."""
    from sqlalchemy import delete

    receipt_due = at(date(2026, 4, 13))  # every receipt deadline is today
    for n in range(5):
        world.do(world.new_proposal(title=f"案件{n}"), "submit", "proposer")
    five = _statements_of_a_scan(session, db_engine, receipt_due)
    for n in range(5, 20):
        world.do(world.new_proposal(title=f"案件{n}"), "submit", "proposer")
    session.execute(delete(Notice).where(Notice.kind == "reminder"))
    session.commit()
    twenty = _statements_of_a_scan(session, db_engine, receipt_due)
    assert (five[0], twenty[0]) == (5, 20)
    assert twenty[1] == five[1]
    assert scan(session, receipt_due, Settings()) == 0  # written once, whatever the count
