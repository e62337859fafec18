"""Adding or replacing a reviewer asks the newcomer alone, in both lifecycles.

The reviewers already at work were asked when the review started; a second "please
review" would read as a new request. The reviewer who is replaced is not asked again.
Every test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import select

from db.models import Notice
from notifications.render import render
from tests.calls.conftest import CallWorld
from workflow.engine.outbox import decode


@pytest.fixture
def city(session, clock):
    return CallWorld(session, clock)


def asked(w, pid: int, kind: str) -> Counter:
    """How many letters of ``kind`` each address received about the case."""
    emails = w.s.execute(select(Notice.email).where(Notice.proposal_id == pid, Notice.kind == kind)).scalars().all()
    w.s.commit()
    return Counter(emails)


def last_letter(w, pid: int, kind: str) -> Notice:
    notice = w.s.execute(select(Notice).where(Notice.proposal_id == pid, Notice.kind == kind)
                         .order_by(Notice.id.desc())).scalars().first()
    w.s.commit()
    return notice


def reads_as_a_request_to_review(notice: Notice, kind: str, name: str) -> None:
    """The newcomer's letter is the same request the first reviewers got, due date included."""
    ctx = decode(notice.context)
    assert ctx["addressed_as"] == "reviewer" and ctx["due_on"] is not None
    ja, en = render(kind, "ja", ctx), render(kind, "en", ctx)
    assert f"{name} 様" in ja.text and "審査期限" in ja.text and "審査をお願いします" in ja.subject
    assert "Review due by" in en.text and en.subject.startswith("Please review")


# --- the citizen proposal (Art. 10)


def test_an_added_reviewer_is_asked_and_those_at_work_are_not_asked_again(world):
    pid = world.new_proposal()
    world.to_under_review(pid)
    assert asked(world, pid, "review_assigned") == {"r1@city.jp": 1, "r2@city.jp": 1}
    world.do(pid, "add_reviewer", "secretariat", reviewer_ids=[world["reviewer3"].user_id])
    assert asked(world, pid, "review_assigned") == {"r1@city.jp": 1, "r2@city.jp": 1, "r3@city.jp": 1}
    reads_as_a_request_to_review(last_letter(world, pid, "review_assigned"), "review_assigned", "中村")


def test_a_replacement_reviewer_is_asked_and_nobody_else(world):
    pid = world.new_proposal()
    world.to_under_review(pid)
    world.do(pid, "replace_reviewer", "secretariat", leaving_reviewer_id=world["reviewer1"].user_id,
             incoming_reviewer_id=world["reviewer3"].user_id, replacement_reason="病気療養のため")
    # The one replaced is not asked again; the one still at work is not asked twice.
    assert asked(world, pid, "review_assigned") == {"r1@city.jp": 1, "r2@city.jp": 1, "r3@city.jp": 1}
    reads_as_a_request_to_review(last_letter(world, pid, "review_assigned"), "review_assigned", "中村")


# --- the city's call for partners (Art. 9)


def test_a_reviewer_added_to_a_call_is_asked_alone(city):
    pid = city.new_call()
    city.to_reviewing(pid)
    assert asked(city, pid, "call_review_assigned") == {"r1@city.jp": 1, "r2@city.jp": 1}
    city.do(pid, "add_reviewer", "department", reviewer_ids=[city["reviewer3"].user_id])
    assert asked(city, pid, "call_review_assigned") == {"r1@city.jp": 1, "r2@city.jp": 1, "r3@city.jp": 1}
    letter = last_letter(city, pid, "call_review_assigned")
    reads_as_a_request_to_review_a_call(letter)


def test_a_call_reviewer_replaced_is_not_asked_again_and_the_other_not_twice(city):
    pid = city.new_call()
    city.to_reviewing(pid)
    city.do(pid, "replace_reviewer", "secretariat", leaving_reviewer_id=city["reviewer2"].user_id,
            incoming_reviewer_id=city["reviewer3"].user_id, replacement_reason="利害関係の申出")
    assert asked(city, pid, "call_review_assigned") == {"r1@city.jp": 1, "r2@city.jp": 1, "r3@city.jp": 1}
    reads_as_a_request_to_review_a_call(last_letter(city, pid, "call_review_assigned"))


def reads_as_a_request_to_review_a_call(notice: Notice) -> None:
    ctx = decode(notice.context)
    assert notice.email == "r3@city.jp" and ctx["addressed_as"] == "reviewer"
    assert ctx["due_on"] is not None and len(ctx["applications"]) == 3
    ja = render("call_review_assigned", "ja", ctx)
    assert "中村 様" in ja.text and "選定審査をお願いします" in ja.subject and "審査期限" in ja.text
