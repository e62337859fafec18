"""The approver decides a round's proposals on one page (all or none); the public reads the results from the publication day."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import func, select

from db.models import Decision, PanelMember
from tests.workflow.test_round_results import ADOPT, PUBLICATION, REJECT, three  # noqa: F401  (fixture)

RESULTS = "/public/rounds/2026-spring/results"


def _form(page_text: str, pids, choices=(ADOPT, ADOPT, REJECT), reasons=None):
    data = {"case": [str(p) for p in pids]}
    for pid, trigger in zip(pids, choices):
        data[f"pick_{pid}"] = trigger
        data[f"reasons_{pid}"] = (reasons or {}).get(pid, f"公益性が高い（{pid}）")
        data[f"version_{pid}"] = re.search(rf'name="version_{pid}" value="(\d+)"', page_text).group(1)
    return data


def _decided(world) -> int:
    world.s.rollback()
    return world.s.execute(select(func.count()).select_from(Decision)).scalar()


def test_the_approver_decides_the_round_together(world, three, as_):
    rid, pids = three
    approver = as_("approver")
    queue = approver.get("/queue?role=approver")
    assert "/rounds/decide" in queue.text
    assert f"/rounds/{rid}/decide" in approver.get("/rounds/decide").text
    page = approver.get(f"/rounds/{rid}/decide")
    assert page.status_code == 200
    assert all(f"提案{n}" in page.text for n in (1, 2, 3)) and "伊藤" in page.text  # the screening reviews
    done = approver.post(f"/rounds/{rid}/decide", _form(page.text, pids))
    assert done.status_code == 303, done.text[:2000]
    assert _decided(world) == 3
    assert "3件の提案を決定しました" in approver.follow(done).text


def test_reasons_are_required_for_each_and_nothing_is_decided_without_them(world, three, as_):
    rid, pids = three
    approver = as_("approver")
    page = approver.get(f"/rounds/{rid}/decide")
    refused = approver.post(f"/rounds/{rid}/decide", _form(page.text, pids, reasons={pids[1]: " "}))
    assert refused.status_code == 422
    assert "提案2」の決定の理由を入力してください" in refused.text
    assert _decided(world) == 0


def test_a_case_changed_meanwhile_decides_none_and_the_page_names_it(world, three, as_):
    rid, pids = three
    approver = as_("approver")
    page = approver.get(f"/rounds/{rid}/decide")
    world.do(pids[2], "return_to_coordination", "approver", note="確認が必要")
    refused = approver.post(f"/rounds/{rid}/decide", _form(page.text, pids))
    assert refused.status_code == 409
    assert f"提案「提案3」（ID {pids[2]}）を決定できなかったため、どの提案も決定していません" in refused.text
    assert _decided(world) == 0


def test_only_the_approver_may_decide(world, three, as_):
    rid, pids = three
    assert as_("department").get(f"/rounds/{rid}/decide").status_code == 403
    page = as_("approver").get(f"/rounds/{rid}/decide")
    assert as_("secretariat").post(f"/rounds/{rid}/decide", _form(page.text, pids)).status_code == 403
    assert _decided(world) == 0


def _decide_all(world, rid, pids, as_):
    approver = as_("approver")
    page = approver.get(f"/rounds/{rid}/decide")
    assert approver.post(f"/rounds/{rid}/decide", _form(page.text, pids)).status_code == 303


def test_results_are_public_from_the_publication_day_and_not_before(world, three, as_, visitor):
    rid, pids = three
    _decide_all(world, rid, pids, as_)
    # A panel member's name never reaches the public page.
    world.s.add(PanelMember(round_id=rid, user_id=world["reviewer3"].user_id, added_at=world.clock.now()))
    world.s.commit()
    public = visitor()
    world.clock.advance_to_date(date(2026, 6, 14))
    assert public.get(RESULTS).status_code == 404

    world.clock.advance_to_date(PUBLICATION)
    shown = public.get(RESULTS)
    assert shown.status_code == 200
    assert "提案1" in shown.text and "提案3" in shown.text
    assert f"公益性が高い（{pids[0]}）" in shown.text and f"公益性が高い（{pids[2]}）" not in shown.text
    assert "中村" not in shown.text  # the panel member


def test_adopted_cases_of_the_round_stay_off_the_public_lists_until_the_publication_day(world, three, as_, visitor):
    rid, pids = three
    _decide_all(world, rid, pids, as_)
    public = visitor()
    world.clock.advance_to_date(date(2026, 6, 14))
    assert "提案1" not in public.get("/public").text
    assert public.get(f"/public/proposals/{pids[0]}").status_code == 404
    world.clock.advance_to_date(PUBLICATION)
    assert "提案1" in public.get("/public").text
    assert public.get(f"/public/proposals/{pids[0]}").status_code == 200
