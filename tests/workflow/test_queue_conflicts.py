"""A call's queue follows the engine's rule of interest: an applicant's member is out while
the call has no partner, and the queue says so exactly when the engine refuses them.

Every test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from datetime import date

import pytest

from tests.calls.conftest import CallWorld, scores
from workflow import directory
from workflow.actors import load_actor
from workflow.engine import load_case_row
from workflow.engine.authorization import in_reach
from workflow.queries.worklists import queue


@pytest.fixture
def city(session, clock):
    w = CallWorld(session, clock)
    uid = directory.add_user(session, "d3", "木村", "d3@city.jp", ("department",), department_id=w.dept,
                             organisation_ids=(w.third_org,), clock=clock)
    session.commit()
    w.actors["member_staff"] = load_actor(session, uid)
    session.commit()
    return w


def listed(city, who: str, pid: int) -> bool:
    ids = [i.id for i in queue(city.s, city[who], "department").items]
    city.s.commit()
    return pid in ids


def may_act(city, who: str, pid: int) -> bool:
    ok = in_reach(city.s, city[who], "department", load_case_row(city.s, pid))
    city.s.commit()
    return ok


def test_an_officer_whose_group_applies_leaves_the_queue_while_the_call_has_no_partner(city):
    pid = city.new_call()
    city.do(pid, "open_call", "department")
    assert listed(city, "member_staff", pid) and may_act(city, "member_staff", pid)

    apps = {who: city.apply_as(pid, who) for who in ("proposer", "third")}
    # Their group applied: the call is not theirs to run any more; it stays their colleague's.
    assert not listed(city, "member_staff", pid) and not may_act(city, "member_staff", pid)
    assert listed(city, "department", pid)

    city.clock.advance_to_date(date(2026, 5, 7))
    city.do(pid, "close_applications", "department",
            reviewer_ids=[city["reviewer1"].user_id, city["reviewer2"].user_id])
    for app in apps.values():
        for r in ("reviewer1", "reviewer2"):
            city.do(pid, "review_application", r, application_id=app, **scores(4, 4, 4, 4))
    city.do(pid, "refer_for_selection", "department", department_opinion="適当")
    city.do(pid, "select", "approver", selected_application_id=apps["proposer"], reasons="実績が豊富なため")
    # Another group is the partner: the engine lets them act again, and the queue agrees.
    assert may_act(city, "member_staff", pid) and listed(city, "member_staff", pid)
