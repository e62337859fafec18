"""The busy pages run a fixed number of statements, however many cases the city has.

Each page is read with three cases of every kind, then with thirty; the statements the
request sends to the database (SQLAlchemy's ``before_cursor_execute``) are counted both
times. The case page is read on a case whose record grew the same way: three rounds of
coordination notes, revision requests, revised versions, attachments and resubmissions,
then thirty. A page whose count grows asks the database once per row it shows (an N+1,
or a template reading an attribute the session had to load again); a page above its
ceiling asks too much even without growing. Either would make the page slow at a big
city's volume, where the lists stand on 100,000 cases.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event

from tests.support import APPLICATION, EVAL, CallWorld, stored_file
from workflow import proposals
from workflow.calendar.clock import japan_today


@pytest.fixture
def world(session, clock):
    return CallWorld(session, clock)


@contextmanager
def counting(engine):
    statements: list[str] = []

    def seen(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK")):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", seen)


class City:
    """Cases of every kind the busy pages list, ``n`` of each added at a time, and one case
    whose own record grows by ``n`` rounds of everything a case page shows."""

    def __init__(self, world: CallWorld):
        self.w = world
        self.ids: dict[str, list[int]] = {}
        self.busy = world.new_proposal(title="記録の多い提案")
        world.to_in_coordination(self.busy)

    def _keep(self, kind: str, pid: int) -> int:
        self.ids.setdefault(kind, []).append(pid)
        return pid

    def add(self, n: int) -> None:
        w = self.w
        for _ in range(n):
            w.do(self._keep("submitted", w.new_proposal()), "submit", "proposer")
            w.to_under_review(self._keep("under_review", w.new_proposal()))
            w.to_in_coordination(self._keep("in_coordination", w.new_proposal()))
            w.to_awaiting_decision(self._keep("awaiting_decision", w.new_proposal()))
            w.to_in_progress(self._keep("in_progress", w.new_proposal()))
            pid = self._keep("closed", w.new_proposal())
            w.to_evaluating(pid)
            w.do(pid, "submit_final_evaluation", "proposer", **EVAL)
            w.do(pid, "submit_final_evaluation", "department", **EVAL)
            w.do(pid, "publish_final_evaluation", "secretariat")
            call = self._keep("open_call", w.new_call(closing_on=japan_today(w.clock) + timedelta(days=30)))
            w.do(call, "open_call", "department")
            w.apply_as(call, "proposer", **APPLICATION)
            # The busy case: a note, a revision asked for, made, with a file, and sent back.
            w.do(self.busy, "log_coordination", "department", note="団体と打合せを行った")
            w.do(self.busy, "request_revision", "department", revision_request="費用の内訳を追記してください")
            proposals.save_revision(w.s, w["proposer"], self.busy, {"content": f"月1回の清掃（改{len(self.ids['closed'])}）"},
                                    clock=w.clock)
            w.do(self.busy, "add_attachment", "proposer", file=stored_file())
            w.do(self.busy, "resubmit", "proposer", revision_note="内訳を追記しました")


# name: (who, address, ceiling). The ceiling counts every statement of the request but
# BEGIN/COMMIT/ROLLBACK, the signed-in person included: their session, roles, organisations
# and panel seat are one statement (``workflow.actors.load_signed_in``), and the navigation
# asks nothing more; a page reading them apart again goes over its ceiling.
PAGES = {
    "reviewer queue": ("reviewer1", lambda c: "/queue", 3),
    "department queue": ("department", lambda c: "/queue", 3),
    "approver queue": ("approver", lambda c: "/queue", 3),
    "secretariat queue": ("secretariat", lambda c: "/queue?role=secretariat", 3),
    "department desk": ("department", lambda c: "/department", 2),
    "secretariat list": ("secretariat", lambda c: "/secretariat", 4),
    "secretariat list, filtered": ("secretariat", lambda c: "/secretariat?state=citizen_proposal:closed", 4),
    "group portal": ("proposer", lambda c: "/portal", 6),
    "public list": (None, lambda c: "/public", 10),
    "public project": (None, lambda c: f"/public/proposals/{c.ids['closed'][0]}", 8),
    "case page (secretariat)": ("secretariat", lambda c: f"/proposals/{c.busy}", 19),
    "case page (department)": ("department", lambda c: f"/proposals/{c.busy}", 21),
    "case page (group)": ("proposer", lambda c: f"/proposals/{c.busy}", 19),
    "case page (reviewer)": ("reviewer1", lambda c: f"/proposals/{c.busy}", 22),
    "case page (closed project)": ("secretariat", lambda c: f"/proposals/{c.ids['closed'][-1]}", 19),
    "case page (open call)": ("department", lambda c: f"/proposals/{c.ids['open_call'][-1]}", 21),
}


def test_busy_pages_run_a_fixed_number_of_statements(web, world, db_engine, as_, visitor):
    city = City(world)
    people: dict = {}

    def measure() -> dict[str, int]:
        out = {}
        for name, (who, address, _) in PAGES.items():
            if who not in people:
                people[who] = as_(who) if who else visitor()
            path = address(city)
            with counting(db_engine) as statements:
                page = people[who].get(path)
            assert page.status_code == 200, (name, page.status_code, page.text[:500])
            out[name] = len(statements)
        return out

    city.add(3)
    few = measure()
    city.add(27)
    many = measure()
    grew = {name: (few[name], many[name]) for name in PAGES if many[name] > few[name]}
    assert grew == {}, f"statements per page (3 → 30 cases of every kind) grew: {grew}"
    over = {name: (many[name], PAGES[name][2]) for name in PAGES if many[name] > PAGES[name][2]}
    assert over == {}, f"statements per page above the ceiling: {over}"
