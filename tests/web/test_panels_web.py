"""The review panel of a round's public presentation in the browser: the secretariat names the
panel and schedules the presentations (the group is told), reads the panel's table with names;
a member scores on their own page, mistakes said beside the criterion (422); a recused member
cannot score; the scores never reach the group's pages or the public ones."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from sqlalchemy import select

from db.models import Notice
from tests.support import COMPLETE
from tests.workflow.test_panels import make_round, score, to_presentation
from workflow import panels, proposals
from workflow.calendar.clock import JST


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def fy2027(world, web):
    world.clock.set(datetime(2027, 5, 10, 10, tzinfo=JST))
    rid = make_round(world)
    mine = world.new_proposal(round_id=rid)
    theirs = proposals.create(world.s, world["outsider"], world.other_org,
                              {**COMPLETE, "title": "商店街の子育てひろば", "round_id": rid}, clock=world.clock)
    to_presentation(world, mine)
    to_presentation(world, theirs, "outsider")
    world.s.commit()
    return rid, mine, theirs


def test_the_secretariat_names_the_panel_schedules_and_reads_the_table(world, fy2027, as_):
    rid, mine, theirs = fy2027
    s = as_("secretariat")
    page = s.get(f"/secretariat/rounds/{rid}/panel")
    assert page.status_code == 200 and "審査委員はまだ登録されていません" in page.text
    for who in ("reviewer1", "reviewer2", "department"):
        r = s.post(f"/secretariat/rounds/{rid}/panel/members", {"user_id": str(world[who].user_id)})
        assert r.status_code == 303, r.text[:2000]
    bad = s.post(f"/secretariat/rounds/{rid}/panel/members", {"user_id": "abc"})
    assert bad.status_code == 422 and "審査委員を選んでください" in bad.text

    refused = s.post(f"/secretariat/rounds/{rid}/panel/proposals/{mine}/slot", {"starts_at": "2027-06-12T14:30"})
    assert refused.status_code == 422 and "会場またはオンライン参加のURLを入力してください" in refused.text
    done = s.post(f"/secretariat/rounds/{rid}/panel/proposals/{mine}/slot",
                  {"starts_at": "2027-06-12T14:30", "place": "市民協働ホール", "online_url": "", "position": "1"})
    assert done.status_code == 303, done.text[:2000]
    world.s.rollback()
    told = world.s.execute(select(Notice.email).where(Notice.kind == "presentation_scheduled",
                                                      Notice.proposal_id == mine)).scalars().all()
    assert "p@example.jp" in told

    world.do(mine, "declare_conflict", "department", conflict_reason="親族が理事")
    score(world, mine, "reviewer1", 4, 3, 8)  # 74
    score(world, mine, "reviewer2", 3, 3, 7)  # 63
    words = _text(s.get(f"/secretariat/rounds/{rid}/panel").text)
    assert "伊藤" in words and "渡辺" in words and "74.00" in words and "63.00" in words
    assert "68.50" in words and "利害関係により除外" in words and "合格" in words
    assert "令和9年6月12日 14:30" in words

    # Anyone else is kept out of the secretariat's page.
    assert as_("proposer").get(f"/secretariat/rounds/{rid}/panel").status_code == 403


def test_a_member_scores_on_their_page_and_a_mistake_is_said_beside_the_criterion(world, fy2027, as_):
    rid, mine, theirs = fy2027
    for who in ("reviewer1", "department"):
        panels.add_member(world.s, rid, world[who].user_id, clock=world.clock)
    world.s.commit()
    world.do(mine, "declare_conflict", "department", conflict_reason="親族が理事")

    r1 = as_("reviewer1")
    listing = r1.get("/panel")
    assert listing.status_code == 200 and 'href="/panel"' in listing.text  # in the navigation
    words = _text(listing.text)
    assert "公益性（40）" in words and "協働の効果（30）" in words and "商店街の子育てひろば" in words
    form = r1.get(f"/panel/proposals/{mine}")
    assert form.status_code == 200 and 'name="benefit"' in form.text

    for bad in ("-1", "6", str(2**31), "abc"):
        r = r1.post(f"/panel/proposals/{mine}", {"benefit": bad, "feasibility": "3", "collaboration": "8"})
        assert r.status_code == 422, (bad, r.text[:2000])
        assert "「公益性」の評点は0から5までの整数で入力してください" in r.text
    r = r1.post(f"/panel/proposals/{mine}", {"benefit": "4", "feasibility": "3", "collaboration": "8"})
    assert r.status_code == 303, r.text[:2000]
    world.s.rollback()
    assert panels.round_results(world.s, rid)[0].mean == 74

    # The recused member is told why, offered no form, and refused if they send one anyway.
    d = as_("department")
    page = d.get(f"/panel/proposals/{mine}")
    assert page.status_code == 200 and "利害関係があるため" in page.text and 'name="benefit"' not in page.text
    sent = d.post(f"/panel/proposals/{mine}", {"benefit": "5", "feasibility": "5", "collaboration": "10"})
    assert sent.status_code == 403
    # Someone not on the panel learns nothing of the proposal there.
    r3 = as_("reviewer3")
    assert r3.get(f"/panel/proposals/{mine}").status_code == 404
    assert 'href="/panel"' not in r3.get("/queue").text


def test_scores_never_reach_the_group_or_the_public(world, fy2027, as_, visitor):
    rid, mine, theirs = fy2027
    for who in ("reviewer1", "reviewer2"):
        panels.add_member(world.s, rid, world[who].user_id, clock=world.clock)
    world.s.commit()
    score(world, mine, "reviewer1", 4, 3, 8)  # 74
    score(world, mine, "reviewer2", 3, 3, 7)  # 63
    world.do(mine, "record_presentation", "secretariat", note="公開プレゼンテーションを実施した")
    p = as_("proposer")
    anyone = visitor()
    pages = [p.get(f"/proposals/{mine}"), p.get("/portal"), p.get("/panel"),
             anyone.get("/public"), anyone.get("/public/rounds/2027-free"), anyone.get("/public/data.json")]
    for page in pages:
        words = _text(page.text)
        for secret in ("74.00", "63.00", "68.50", "68.5", "採点の集計"):
            assert secret not in words, (page.url, secret)
    assert p.get(f"/panel/proposals/{mine}").status_code == 404
