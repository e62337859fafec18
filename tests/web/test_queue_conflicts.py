"""A queue lists only work the person may do: never a case they have an interest in.

A person who declared a conflict of interest on a case, or who belongs to the group that
proposed it, may take no part in it (the engine refuses them); their queue, on the web
and through the API, does not hold it out to them as waiting for them. A colleague in the
same role without a conflict still sees it.
"""

from __future__ import annotations

import pytest

from tests.support import World
from tests.web.conftest import LOGINS
from tests.web.test_api import client, token_for
from workflow import directory
from states import get_lifecycle
from workflow.actors import load_actor
from workflow.engine import load_case_row
from workflow.queries.cases import offers

TITLE = "川辺の清掃の提案（利害関係）"


@pytest.fixture
def world(session, clock, monkeypatch):
    """The web tests' people, plus a second officer of the department in charge and an
    approver who is a member of the proposing group."""
    w = World(session, clock)
    extra = {
        "colleague": ("d3", "木村", "d3@city.jp", ("department",), dict(department_id=w.dept)),
        "member_approver": ("a2", "山田三郎", "a2@city.jp", ("approver",), dict(organisation_ids=(w.org,))),
    }
    for who, (login, name, email, roles, kw) in extra.items():
        uid = directory.add_user(session, login, name, email, roles, clock=clock, **kw)
        session.commit()
        w.actors[who] = load_actor(session, uid)
        session.commit()
        monkeypatch.setitem(LOGINS, who, login)
    return w


def api_queue(web, as_, who: str, role: str) -> set[str]:
    body = client(web, token_for(as_, who)).get("/api/v1/queue", params={"role": role}).json()
    return {i["title"] for i in body["items"]}


def test_an_officer_who_declared_a_conflict_no_longer_finds_the_case_in_the_queue(web, world, as_):
    pid = world.new_proposal(title=TITLE)
    world.to_in_coordination(pid)
    officer, colleague = as_("department"), as_("colleague")
    assert TITLE in officer.get("/queue").text and TITLE in api_queue(web, as_, "department", "department")

    world.do(pid, "declare_conflict", "department", conflict_reason="提案団体の理事を務めています")
    page = officer.get("/queue")
    assert page.status_code == 200 and TITLE not in page.text
    assert TITLE not in api_queue(web, as_, "department", "department")
    # The colleague of the same department coordinates it instead: it waits on them.
    assert TITLE in colleague.get("/queue").text and TITLE in api_queue(web, as_, "colleague", "department")
    # Nor is the officer offered anything to do on the case; the colleague is.
    row = load_case_row(world.s, pid)
    lc = get_lifecycle(row.lifecycle)
    offered = {who: {o.transition.trigger for o in offers(world.s, lc, row, world[who], clock=world.clock)}
               for who in ("department", "colleague")}
    world.s.commit()
    assert offered["department"] == set() and "refer_for_decision" in offered["colleague"]


def test_an_approver_of_the_proposing_group_does_not_find_its_proposal_in_the_queue(web, world, as_):
    pid = world.new_proposal(title=TITLE)
    world.to_awaiting_decision(pid)
    member = as_("member_approver").get("/queue")
    assert member.status_code == 200 and TITLE not in member.text
    assert TITLE not in api_queue(web, as_, "member_approver", "approver")
    assert TITLE in as_("approver").get("/queue").text and TITLE in api_queue(web, as_, "approver", "approver")


def test_a_secretariat_officer_with_a_conflict_is_not_asked_to_start_the_review(web, world, as_):
    """The secretariat's list of every case still shows it (that list is the section's, not
    the officer's work); the officer's queue does not."""
    pid = world.new_proposal(title=TITLE)
    world.do(pid, "submit", "proposer")
    s = as_("secretariat")
    assert TITLE in s.get("/queue").text
    world.do(pid, "declare_conflict", "secretariat", conflict_reason="提案団体の会員です")
    assert TITLE not in s.get("/queue").text
    assert TITLE in s.get("/secretariat").text
