"""Citizen proposals (Art. 10) and the city's calls for partners (Art. 9) side by side.

Every list, queue, board, public page and the API reads each case with its own
lifecycle: a call waiting on reviewers stands in the reviewer's queue beside a proposal,
the secretariat counts both, a call's late deadline is a late duty like any other, the
public sees a call as a call, and filters the lists do not know are refused with words.
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from fastapi.testclient import TestClient

from tests.calls.conftest import CallWorld, scores
from tests.support import SCORES
from tests.web.test_api import client, token_for

PROPOSAL = "川辺の清掃の提案"
CALL = "地域の防災訓練を企画・運営する協働事業"
APPLICANTS = ("みどりの会", "青葉台自治会", "NPO法人 まちの防災ラボ")
REVIEWERS = ("伊藤", "渡辺")


@pytest.fixture
def world(session, clock):
    """The web app's people, plus a third group that applies to calls."""
    return CallWorld(session, clock)


@pytest.fixture
def cases(world):
    """A proposal and a call both waiting on reviewers 1 and 2; a draft call of the department."""
    proposal = world.new_proposal(title=PROPOSAL)
    world.to_under_review(proposal)
    call = world.new_call()
    apps = world.to_reviewing(call)  # three applications; the clock is now after the closing date
    draft = world.new_call(title="準備中の公募", closing_on=date(2026, 6, 30))
    return {"proposal": proposal, "call": call, "apps": apps, "draft": draft}


def titles(html: str) -> set[str]:
    return {t for t in (PROPOSAL, CALL, "準備中の公募") if t in html}


def test_the_reviewer_queue_holds_both_until_the_reviewer_is_done(web, world, cases, as_):
    r1 = as_("reviewer1")
    page = r1.get("/queue")
    assert page.status_code == 200
    assert titles(page.text) == {PROPOSAL, CALL}
    assert f"/proposals/{cases['proposal']}/review" in page.text and f"/proposals/{cases['call']}/review" in page.text
    assert "選定審査中" in page.text and "審査中" in page.text  # each state labelled by its own lifecycle
    only_calls = r1.get("/queue?state=city_call:reviewing")
    assert only_calls.status_code == 200 and titles(only_calls.text) == {CALL}

    # Two of three applications reviewed: the call still waits on this reviewer.
    for who in ("proposer", "outsider"):
        world.do(cases["call"], "review_application", "reviewer1", application_id=cases["apps"][who],
                 **scores(4, 4, 4, 4))
    assert CALL in r1.get("/queue").text
    world.do(cases["call"], "review_application", "reviewer1", application_id=cases["apps"]["third"],
             **scores(3, 3, 3, 3))
    world.do(cases["proposal"], "submit_review", "reviewer1", **SCORES)
    assert titles(r1.get("/queue").text) == set()
    assert titles(as_("reviewer2").get("/queue").text) == {PROPOSAL, CALL}


def test_the_department_desk_and_queue_show_both(web, world, cases, as_):
    d = as_("department")
    desk = d.get("/department")
    assert desk.status_code == 200
    assert titles(desk.text) == {PROPOSAL, CALL, "準備中の公募"}  # its own draft call too
    assert "公募準備中" in desk.text and "（相手方の選定前）" in desk.text
    assert titles(d.get("/department?state=city_call:draft").text) == {"準備中の公募"}
    assert as_("other_department").get("/department").status_code == 200
    assert titles(as_("other_department").get("/department").text) == set()

    opened = world.new_call(title="公募中の事業", closing_on=date(2026, 6, 30))
    world.do(opened, "open_call", "department")
    queue = d.get("/queue?role=department")
    assert queue.status_code == 200 and "公募中の事業" in queue.text and "公募中" in queue.text


def test_the_secretariat_lists_and_counts_every_lifecycle(web, world, cases, as_):
    s = as_("secretariat")
    page = s.get("/secretariat")
    assert page.status_code == 200
    assert titles(page.text) == {PROPOSAL, CALL}  # a draft belongs to its authors alone
    for label in ("市民協働事業の提案（第10条）", "市の発意による協働事業の公募（第9条）"):
        assert label in page.text
    counts = dict(re.findall(r'href="/secretariat\?state=([a-z_]+:[a-z_]+)"[^>]*><span class="n">(\d+)</span>',
                             page.text))
    assert counts["citizen_proposal:under_review"] == "1" and counts["city_call:reviewing"] == "1"
    assert "citizen_proposal:draft" not in counts and "city_call:draft" not in counts
    assert titles(s.get("/secretariat?state=city_call:reviewing").text) == {CALL}
    assert titles(s.get("/secretariat?lifecycle=citizen_proposal").text) == {PROPOSAL}
    assert titles(s.get("/secretariat?state=under_review").text) == {PROPOSAL}


def test_a_late_call_deadline_is_on_the_compliance_board(web, world, cases, as_):
    opened = world.new_call(title="締切を過ぎた公募", closing_on=date(2026, 5, 20))
    world.do(opened, "open_call", "department")
    world.clock.advance(days=60)  # the call's review and the open call's closing are both late now
    page = as_("secretariat").get("/secretariat/compliance")
    assert page.status_code == 200
    assert CALL in page.text and "応募の選定審査" in page.text and "第9条第2項" in page.text
    assert "締切を過ぎた公募" in page.text and "応募の締切（締切後に審査へ）" in page.text
    assert PROPOSAL in page.text and "第10条第2項" in page.text
    assert as_("admin").get("/secretariat/compliance").status_code == 200


def test_the_public_sees_a_call_as_a_call_and_nothing_of_its_review(web, world, cases, as_):
    adopted = world.new_proposal(title="採用された事業")
    world.to_contracting(adopted)
    for who in ("proposer", "outsider", "third"):
        world.do(cases["call"], "review_application", "reviewer1", application_id=cases["apps"][who],
                 **scores(5, 5, 5, 5, "極めて優秀"))
    anonymous = TestClient(web)
    listing = anonymous.get("/public")
    assert listing.status_code == 200
    assert CALL in listing.text and "採用された事業" in listing.text and PROPOSAL not in listing.text
    assert "準備中の公募" not in listing.text and "選定中" in listing.text

    page = anonymous.get(f"/public/proposals/{cases['call']}")
    assert page.status_code == 200
    assert CALL in page.text and "区内での活動実績" in page.text and "令和8年4月30日" in page.text
    for secret in (*APPLICANTS, *REVIEWERS, "極めて優秀"):
        assert secret not in page.text, secret
    assert anonymous.get(f"/public/proposals/{cases['draft']}").status_code == 404
    assert anonymous.get(f"/public/proposals/{cases['proposal']}").status_code == 404

    data = anonymous.get("/public/data.json").json()
    assert [c["title"] for c in data["calls"]] == [CALL] and data["calls"][0]["selected_partner"] is None
    assert [p["title"] for p in data["projects"]] == ["採用された事業"]
    assert not any(name in anonymous.get("/public/data.json").text for name in (*APPLICANTS[1:], *REVIEWERS))
    assert anonymous.get("/api/v1/public/calls").json()["calls"][0]["id"] == cases["call"]
    rows = anonymous.get("/public/calls.csv").text.lstrip("\ufeff").splitlines()
    assert rows[0].startswith("公募ID") and len(rows) == 2


def test_a_selected_call_becomes_a_project_report(web, world, cases, as_):
    call = cases["call"]
    for who in ("proposer", "outsider", "third"):
        for reviewer in ("reviewer1", "reviewer2"):
            world.do(call, "review_application", reviewer, application_id=cases["apps"][who], **scores(4, 4, 4, 4))
    world.do(call, "refer_for_selection", "department", department_opinion="適当")
    approver = as_("approver").get("/queue")
    assert CALL in approver.text and f"/proposals/{call}/decision" in approver.text
    world.do(call, "select", "approver", selected_application_id=cases["apps"]["third"], reasons="実績が豊富なため")
    page = TestClient(web).get(f"/public/proposals/{call}")
    assert page.status_code == 200 and "1 協働契約の相手方" in page.text
    assert "NPO法人 まちの防災ラボ" in page.text and "青葉台自治会" not in page.text


def test_the_front_page_tells_both_ways_in(web):
    page = TestClient(web).get("/")
    assert page.status_code == 200
    for words in ("市民協働事業の提案（第10条）", "市の発意による協働事業の公募（第9条）", "公募中", "所管課調整中",
                  "協働契約準備中"):
        assert words in page.text, words
    assert page.text.count("協働契約準備中") == 1  # the shared stage is told once


def test_the_api_reads_a_call_with_its_own_lifecycle(web, world, cases, as_):
    dept = client(web, token_for(as_, "department"))
    body = dept.get(f"/api/v1/proposals/{cases['call']}").json()
    assert body["lifecycle"] == "city_call" and body["state"] == "reviewing"
    assert body["state_label_ja"] == "選定審査中" and body["closing_on"] == "2026-04-30"
    assert body["selection_criteria"].startswith("区内での活動実績") and body["organisation_id"] is None
    assert [a["organisation"] for a in body["applications"]] == list(APPLICANTS)
    assert all(a["scores"] is not None for a in body["applications"])
    assert "refer_for_selection" not in {t["trigger"] for t in body["possible_transitions"]}
    [blocked] = [b for b in body["blocked_transitions"] if b["trigger"] == "refer_for_selection"]
    assert {r["condition"] for r in blocked["reasons"]} == {"applications_reviewed"}
    assert "審査結果が2件そろっていない応募があります。" in [r["message_ja"] for r in blocked["reasons"]]

    reviewer = client(web, token_for(as_, "reviewer1")).get(f"/api/v1/proposals/{cases['call']}").json()
    # Besides reviewing, an assigned reviewer may declare a conflict of interest.
    assert {t["trigger"] for t in reviewer["possible_transitions"]} == {"review_application", "declare_conflict"}
    assert all(a["scores"] is None and a["reviewed_by_you"] is False for a in reviewer["applications"])
    applicant = client(web, token_for(as_, "outsider")).get(f"/api/v1/proposals/{cases['call']}").json()
    assert [a["organisation"] for a in applicant["applications"]] == ["青葉台自治会"]

    draft = dept.get(f"/api/v1/proposals/{cases['draft']}").json()
    assert "open_call" in {t["trigger"] for t in draft["possible_transitions"]}
    proposal = client(web, token_for(as_, "reviewer1")).get(f"/api/v1/proposals/{cases['proposal']}").json()
    assert proposal["lifecycle"] == "citizen_proposal" and proposal["applications"] is None
    queue = client(web, token_for(as_, "reviewer1")).get("/api/v1/queue").json()
    assert {(i["id"], i["lifecycle"]) for i in queue["items"]} == {(cases["proposal"], "citizen_proposal"),
                                                                    (cases["call"], "city_call")}


def test_the_api_creates_a_call_for_the_department(web, world, as_):
    call = {"title": "公園の花壇づくり", "purpose": "花のある公園", "content": "花壇の設計と維持", "field": 4,
            "selection_criteria": "地域での園芸活動の実績", "closing_on": "2026-06-30"}
    r = client(web, token_for(as_, "department")).post("/api/v1/calls", json=call)
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["lifecycle"], body["state"], body["department_id"]) == ("city_call", "draft", world.dept)
    assert body["selection_criteria"] == "地域での園芸活動の実績" and body["closing_on"] == "2026-06-30"
    proposer = client(web, token_for(as_, "proposer")).post("/api/v1/calls", json=call)
    assert proposer.status_code == 403 and proposer.json()["allowed_roles"] == ["department"]
    missing = client(web, token_for(as_, "department")).post("/api/v1/calls", json={"title": "締切なし"})
    assert missing.status_code == 422


def test_numbers_out_of_range_are_refused_not_crashed(web, world, as_):
    api = client(web, token_for(as_, "secretariat"))
    for pid in ("0", "-1", str(2**31), str(2**64), "99999999999999999999999"):
        assert api.get(f"/api/v1/proposals/{pid}").status_code == 422, pid
    assert api.get(f"/api/v1/proposals/{2**31 - 1}").status_code == 404
    assert api.get("/api/v1/public/projects", params={"after": str(2**63)}).status_code == 422
    s = as_("secretariat")
    for path in (f"/proposals/{2**64}/review", f"/proposals/{2**64}/decision", f"/public/proposals/{2**64}",
                 f"/secretariat?after={2**64}", f"/public?after={2**64}", "/queue?after=2026-01-01_99999999999999"):
        assert 400 <= s.get(path).status_code < 500, path
    assert 400 <= as_("department").get(f"/department?after={2**64}").status_code < 500


def test_unknown_filter_values_are_refused_with_words(web, world, as_):
    s = as_("secretariat")
    for path in ("/secretariat?state=nonsense", "/secretariat?state=city_call:under_review",
                 "/secretariat?lifecycle=nonsense", "/secretariat?field=99", "/secretariat?field=abc",
                 "/secretariat?department=424242", "/queue?state=nonsense", "/queue?field=0",
                 "/queue?department=x", "/queue?role=approver"):
        page = s.get(path)
        assert page.status_code == 422, path
        assert "選べません" in page.text or "一覧はありません" in page.text, path
    d = as_("department")
    assert d.get("/department?state=nonsense").status_code == 422
    assert d.get("/department?state=citizen_proposal:under_review").status_code == 422  # not a department's state
    api = client(web, token_for(as_, "reviewer1"))
    r = api.get("/api/v1/queue", params={"state": "nonsense"})
    assert r.status_code == 422 and r.json()["field"] == "state" and r.json()["message_ja"]
    assert api.get("/api/v1/queue", params={"cursor": "garbage"}).status_code == 422


def test_a_queue_pages_through_both_lifecycles_in_due_order(world, cases):
    from workflow.queries.worklists import queue

    for n in range(3):
        pid = world.new_proposal(title=f"後の提案{n}")
        world.to_under_review(pid)
        world.clock.advance(days=1)
    r1 = world["reviewer1"]
    whole = queue(world.s, r1, "reviewer", limit=50, count=True)
    assert whole.total == 5 and len(whole.items) == 5
    assert [(i.due, i.id) for i in whole.items] == sorted((i.due, i.id) for i in whole.items)
    assert {i.lifecycle for i in whole.items} == {"citizen_proposal", "city_call"}
    pages, page = [], queue(world.s, r1, "reviewer", limit=2)
    while True:
        pages.append([i.id for i in page.items])
        if page.next is None:
            break
        page = queue(world.s, r1, "reviewer", limit=2, after=page.next)
    assert [pid for p in pages for pid in p] == [i.id for i in whole.items] and len(pages) == 3
    back = queue(world.s, r1, "reviewer", limit=2, before=page.prev)
    assert [i.id for i in back.items] == pages[1]
