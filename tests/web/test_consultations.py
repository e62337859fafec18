"""Prior consultation (事前相談) and applying in a round, in the browser and through the API: a group
requests a consultation, the secretariat records it with confidential notes that no page of the group
and no public page ever shows; the editor offers the rounds open today and their themes; a round that
requires a consultation refuses the submission until one is recorded; a late submission through the
API is refused with the closing date in 和暦 and kept in the round's trail."""

from __future__ import annotations

import re
from datetime import date, datetime

from fastapi.testclient import TestClient
from sqlalchemy import select

from db.models import Consultation, DirectoryEvent, Proposal
from states import get_lifecycle
from tests.support import COMPLETE
from tests.web.test_api import client, token_for
from tests.web.test_crawl import crawl
from tests.workflow.test_round_entry import make_round, make_theme
from workflow.calendar.clock import JST

NOTES = "機密メモ：代表者の体調と団体の資金繰りについて聴取"
SUBMIT = get_lifecycle("citizen_proposal", 1).transitions_for("submit")[0].trigger


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _consultation(world, cid: int) -> Consultation:
    world.s.rollback()
    return world.s.get(Consultation, cid)


def _request(world, group, **changes) -> int:
    """The group requests a consultation on its page; returns the new consultation's number."""
    r = group.post("/consultations", {"organisation_id": str(world.org), "round_id": "",
                                      "topic": "地域食堂の進め方について", "preferred_dates": "4月20日午後、4月22日10時以降",
                                      **changes})
    assert r.status_code == 303, r.text[:2000]
    world.s.rollback()
    return max(world.s.execute(select(Consultation.id)).scalars())


def test_a_group_requests_the_secretariat_records_and_the_notes_stay_with_the_secretariat(web, world, as_):
    rid = make_round(world, requires_consultation=True)
    group = as_("proposer")
    page = group.get("/consultations")
    assert page.status_code == 200 and "事前相談を申し込む" in page.text
    assert "令和8年度 協働事業提案（2026-spring）" in page.text and "事前相談が必要" in page.text
    cid = _request(world, group, round_id=str(rid))
    assert "日程調整中" in _text(group.get("/consultations").text)

    staff = as_("secretariat")
    listed = staff.get("/secretariat/consultations")
    assert listed.status_code == 200 and "地域食堂の進め方について" in listed.text and "みどりの会" in listed.text
    r = staff.post(f"/secretariat/consultations/{cid}", {"held_on": "2026-04-06", "notes": NOTES})
    assert r.status_code == 303
    assert _consultation(world, cid).held_on == date(2026, 4, 6) and _consultation(world, cid).notes == NOTES
    assert NOTES in staff.get("/secretariat/consultations").text

    mine = group.get("/consultations")
    assert "令和8年4月6日に実施済み" in _text(mine.text)
    pid = world.new_proposal(round_id=rid)
    for path in ("/consultations", "/portal", f"/proposals/{pid}", f"/proposals/{pid}/edit", "/public"):
        seen = group.get(path)
        assert seen.status_code == 200, path
        assert NOTES not in seen.text and "資金繰り" not in seen.text, path
    api = client(web, token_for(as_, "proposer"))
    assert NOTES not in api.get(f"/api/v1/proposals/{pid}").text
    seen, _ = crawl(TestClient(web, follow_redirects=False), "/")
    anonymous = TestClient(web, follow_redirects=False)
    for path in seen:
        assert "資金繰り" not in anonymous.get(path).text, path

    trail = world.s.execute(select(DirectoryEvent.action, DirectoryEvent.details).where(
        DirectoryEvent.subject == "consultation", DirectoryEvent.subject_id == cid).order_by(DirectoryEvent.id)).all()
    assert [a for a, _ in trail] == ["requested", "held"] and all("資金繰り" not in str(d) for _, d in trail)


def test_the_secretariat_alone_records_and_mistakes_are_said_beside_the_field(web, world, as_):
    group = as_("proposer")
    cid = _request(world, group)
    assert group.get("/secretariat/consultations").status_code == 403
    assert group.post(f"/secretariat/consultations/{cid}", {"held_on": "2026-04-06", "notes": "x"}).status_code == 403
    assert as_("department").get("/secretariat/consultations").status_code == 403

    staff = as_("secretariat")
    future = staff.post(f"/secretariat/consultations/{cid}", {"held_on": "2026-04-30", "notes": NOTES})
    assert future.status_code == 422 and "今日（令和8年4月6日）までの日付" in future.text
    assert _consultation(world, cid).held_on is None

    empty = group.post("/consultations", {"organisation_id": str(world.org), "round_id": "", "topic": " ",
                                          "preferred_dates": "いつでも"})
    assert empty.status_code == 422 and "相談したい内容を入力してください" in empty.text
    other = group.post("/consultations", {"organisation_id": str(world.other_org), "round_id": "", "topic": "x",
                                          "preferred_dates": "y"})
    assert other.status_code == 403
    world.s.rollback()
    assert world.s.execute(select(Consultation.id)).scalars().all() == [cid]


def test_the_editor_offers_the_open_rounds_and_their_themes(web, world, as_):
    rid = make_round(world)
    tid = make_theme(world, rid)
    other = make_round(world, code="2026-autumn")
    foreign = make_theme(world, other, "公園の花壇づくり")
    make_round(world, code="2025-autumn", opens=date(2025, 10, 1), closes=date(2025, 11, 28))
    group = as_("proposer")
    page = group.get(f"/proposals/new?organisation_id={world.org}")
    assert page.status_code == 200
    assert f'<option value="{rid}">' in page.text and "令和8年4月1日から令和8年5月29日まで" in page.text
    assert f'<option value="{tid}">' in page.text and "川辺の生きもの調査" in page.text
    assert "2025-autumn" not in page.text  # closed: not offered

    form = {"organisation_id": str(world.org), **{k: str(v) for k, v in COMPLETE.items()}}
    refused = group.post("/proposals/new", {**form, "round_id": str(rid), "theme_id": str(foreign)})
    assert refused.status_code == 422 and "テーマではありません" in refused.text
    assert world.s.execute(select(Proposal.id)).first() is None

    made = group.post("/proposals/new", {**form, "round_id": str(rid), "theme_id": str(tid)})
    assert made.status_code == 303
    world.s.rollback()
    p = world.s.execute(select(Proposal)).scalar_one()
    assert (p.round_id, p.theme_id) == (rid, tid)
    edit = group.get(f"/proposals/{p.id}/edit")
    assert f'<option value="{rid}" selected>' in edit.text and f'<option value="{tid}" selected>' in edit.text


def test_a_round_requiring_consultation_refuses_submission_until_the_secretariat_records_one(web, world, as_):
    rid = make_round(world, requires_consultation=True)
    pid = world.new_proposal(round_id=rid)
    group = as_("proposer")
    case = group.get(f"/proposals/{pid}")
    assert "事前相談が必要です" in case.text
    world.s.rollback()
    version = world.s.get(Proposal, pid).version
    refused = group.post(f"/proposals/{pid}/actions", {"trigger": SUBMIT, "version": str(version)})
    assert refused.status_code == 422

    cid = _request(world, group, round_id=str(rid))
    assert as_("secretariat").post(f"/secretariat/consultations/{cid}",
                                   {"held_on": "2026-04-06", "notes": NOTES}).status_code == 303
    done = group.post(f"/proposals/{pid}/actions", {"trigger": SUBMIT, "version": str(version)})
    assert done.status_code == 303
    world.s.rollback()
    assert world.s.get(Proposal, pid).state != get_lifecycle("citizen_proposal", 1).initial


def test_a_late_submission_through_the_api_is_refused_with_the_date_and_logged(web, world, as_):
    rid = make_round(world)
    api = client(web, token_for(as_, "proposer"))
    made = api.post("/api/v1/proposals", json={"organisation_id": world.org, **COMPLETE, "round_id": rid})
    assert made.status_code == 201 and made.json()["round_id"] == rid
    pid = made.json()["id"]
    world.clock.set(datetime(2026, 5, 30, 9, tzinfo=JST))
    r = api.post(f"/api/v1/proposals/{pid}/transitions",
                 json={"trigger": SUBMIT, "version": made.json()["version"]})
    assert r.status_code == 422
    body = r.json()
    assert body["failed_conditions"] == ["round_window_open"]
    assert body["message_ja"] == "募集期間（令和8年5月29日まで）を過ぎているため提出できません。"
    assert "29 May 2026" in body["message_en"]
    world.s.rollback()
    [event] = world.s.execute(select(DirectoryEvent).where(
        DirectoryEvent.subject == "round", DirectoryEvent.subject_id == rid,
        DirectoryEvent.action == "late_submission_refused")).scalars().all()
    assert event.details == {"proposal_id": pid, "organisation_id": world.org}
    assert world.s.get(Proposal, pid).state == get_lifecycle("citizen_proposal", 1).initial
