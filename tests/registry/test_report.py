"""The Article 20 report: counts a person can check against the file, and its own arithmetic."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from sqlalchemy import update

from db.models import Proposal, ProposalRound
from tests.calls.conftest import CallWorld, scores
from tests.registry.conftest import FY, sample_bytes
from tests.support import EVAL, TERMS
from tests.workflow.test_round_entry import make_round
from workflow import round_results
from workflow.calendar.japan import era_year
from workflow.registry.annual_report import build_report, compute
from workflow.registry.projects import engine_projects, import_file, parse, year_registry

# The sample file, counted by hand (tests/data/registry_sample.csv).
BY_HAND = {
    "projects": {"total": 30, "ward": 17, "bureau": 13},
    # field number: (ward, bureau)
    "fields": {1: (2, 1), 2: (2, 2), 3: (2, 1), 4: (1, 1), 5: (1, 1), 6: (2, 1), 7: (1, 1), 8: (2, 1),
               9: (1, 1), 10: (1, 1), 11: (1, 1), 12: (1, 1)},
    # B-001, B-003, B-004, B-006, B-008, B-012, W-017 (city); W-003, W-006 (citizen)
    "city": {"projects": 7, "contracts": 14, "amount_yen": 30_300_000},
    "citizen": {"projects": 2, "contracts": 2, "amount_yen": 550_000},
}


@pytest.fixture
def city(session, clock):
    return CallWorld(session, clock)


def test_the_report_of_the_sample_matches_the_counts_by_hand(session):
    import_file(session, sample_bytes(), FY)
    r = build_report(session, FY)
    assert r["projects"] == BY_HAND["projects"]
    assert {f["number"]: (f["ward"], f["bureau"]) for f in r["fields"]} == BY_HAND["fields"]
    assert all(f["total"] == f["ward"] + f["bureau"] for f in r["fields"])
    assert r["fields_total"] == {"ward": 17, "bureau": 13, "total": 30}
    for origin in ("city", "citizen"):
        got = r["contracted"]["by_origin"][origin]
        assert {k: got[k] for k in ("projects", "contracts", "amount_yen")} == BY_HAND[origin]
    assert (r["contracted"]["projects"], r["contracted"]["contracts"]) == (9, 16)
    assert r["contracted"]["amount_unknown"] == 1  # B-008, an agreement with no amount
    assert len(r["contracted_projects"]) == 9
    assert r["checks_ok"] and all(c["ok"] for c in r["checks"])
    assert "一致しています" in r["checks_summary_ja"]
    assert r["fiscal_year_label_ja"] == "令和8年度"


def test_a_total_that_is_not_the_sum_of_its_parts_is_reported():
    rows = parse(sample_bytes())
    rows[0].owner_kind = "village"  # a row that escapes both categories
    r = compute(rows, FY, generated_at=datetime.now(timezone.utc))
    assert not r["checks_ok"]
    failed = {c["key"] for c in r["checks"] if not c["ok"]}
    assert failed == {"projects", "field_1"}
    assert "一致しない" in r["checks_summary_ja"]


def test_every_page_has_the_five_parts_of_a_project_report(session):
    import_file(session, sample_bytes(), FY)
    page = next(p for p in build_report(session, FY)["contracted_projects"] if p["id"] == "B-004")
    assert page["partner"] == "株式会社 まちなかデザイン、NPO法人 ひろばの会"
    assert (page["contract_amount_yen"], page["contract_count"], page["article"]) == (3_600_000, 2, "第9条")
    for part in ("content", "results", "effect", "cost_kind_ja"):
        assert part in page


# --- Projects that passed through the engine appear by themselves


def _call_in_progress(city, **terms) -> int:
    pid = city.new_call()
    apps = city.to_reviewing(pid)
    for app in apps.values():
        for r in ("reviewer1", "reviewer2"):
            city.do(pid, "review_application", r, application_id=app, **scores(4, 3, 4, 4))
    city.do(pid, "refer_for_selection", "department", department_opinion="意見")
    city.do(pid, "select", "approver", selected_application_id=apps["third"], reasons="遂行能力が高いため")
    city.do(pid, "conclude_contract", "department", **{**TERMS, "partner_ids": [city.third_org], **terms})
    return pid


def test_engine_projects_appear_with_their_origin(session, city):
    call = _call_in_progress(city, amount_yen=900_000)
    citizen = city.new_proposal()
    city.to_in_progress(citizen)
    rows = {r.id: r for r in engine_projects(session, 2026)}
    assert set(rows) == {f"kyodo-{call}", f"kyodo-{citizen}"}
    c = rows[f"kyodo-{call}"]
    assert (c.origin, c.contract, c.contract_count, c.contract_amount_yen, c.cost_kind) == (
        "city", True, 1, 900_000, "entrustment")
    assert (c.owner_kind, c.owner, c.section, c.field, c.partner) == (
        "bureau", "環境創造局", "環境活動支援課", 8, "NPO法人 まちの防災ラボ")
    assert rows[f"kyodo-{citizen}"].origin == "citizen"
    # The contract runs 2026-06-01 to 2027-03-31: nothing in FY2025 or FY2027.
    assert engine_projects(session, 2025) == [] and engine_projects(session, 2027) == []


def test_engine_and_imported_projects_are_counted_together(session, city):
    _call_in_progress(city)
    import_file(session, sample_bytes(), FY)
    r = build_report(session, FY)
    assert r["projects"] == {"total": 31, "ward": 17, "bureau": 14}
    assert r["contracted"]["by_origin"]["city"]["projects"] == 8
    assert r["sources"] == {"imported": 30, "engine": 1, "engine_superseded": []}
    assert r["checks_ok"]


def test_an_imported_row_of_an_engine_project_replaces_it_and_is_not_counted_twice(session, city):
    pid = _call_in_progress(city)
    head = sample_bytes().splitlines()[0].decode()
    own = f"kyodo-{pid},地域の防災訓練（登録簿の表記）,bureau,環境創造局,環境活動支援課,防災・災害救援活動,NPO法人 まちの防災ラボ,1,city,1,500000"
    result = import_file(session, f"{head}\n{own}\n".encode(), FY)
    assert result.linked == 1
    reg = year_registry(session, FY)
    assert [r.id for r in reg.rows] == [f"kyodo-{pid}"]
    assert reg.superseded == [f"kyodo-{pid}"]
    row = reg.rows[0]
    assert (row.name, row.source, row.proposal_id, row.cost_kind) == (
        "地域の防災訓練（登録簿の表記）", "import", pid, "entrustment")
    assert build_report(session, FY)["projects"]["total"] == 1


def test_a_waived_contract_is_a_project_without_an_article_12_contract(session, city):
    pid = city.new_proposal()
    city.to_contracting(pid)
    city.do(pid, "exempt_contract", "department", exemption_reason="軽易なもの", period_start=date(2026, 5, 1),
            period_end=date(2026, 9, 30))
    row = engine_projects(session, 2026)[0]
    assert (row.contract, row.origin, row.contract_count, row.cost_kind) == (False, "citizen", 0, "exempt")
    r = build_report(session, 2026)
    assert (r["projects"]["total"], r["contracted"]["projects"]) == (1, 0)


def test_results_and_effect_come_from_the_published_evaluation(session, city):
    pid = city.new_proposal()
    city.to_evaluating(pid)
    city.do(pid, "submit_final_evaluation", "proposer", **{**EVAL, "role_sharing_assessment": "団体の機動力が生きた"})
    city.do(pid, "submit_final_evaluation", "department",
            **{**EVAL, "evaluation_results": "参加者300人", "role_sharing_assessment": "市の広報が効いた"})
    assert engine_projects(session, 2026)[0].results == ""  # not published yet
    city.do(pid, "publish_final_evaluation", "secretariat")
    row = engine_projects(session, 2026)[0]
    assert row.results == "参加者300人"
    assert row.effect == "市：市の広報が効いた\n相手方：団体の機動力が生きた"
    assert row.content == "月1回の清掃"


def test_confidential_content_stays_out_of_the_report(session, city):
    pid = city.new_proposal(confidential_fields=["content"])
    city.to_in_progress(pid)
    assert session.get(Proposal, pid).content == "月1回の清掃"
    assert engine_projects(session, 2026)[0].content == ""


# --- Proposals and adoptions per round (募集)


def _decide(world, round_id: int, adopt: dict[int, bool]) -> None:
    """The approver decides these cases of the round together, each adopted or not, as the page offers it."""
    _, cases = round_results.waiting(world.s, round_id, clock=world.clock, settings=world.settings)
    picks = [round_results.Pick(w.id, next(t.trigger for t in w.choices
                                           if (t.outcome == round_results.ADOPTED) == adopt[w.id]),
                                f"理由{w.id}", w.version)
             for w in cases if w.id in adopt]
    round_results.decide(world.s, round_id, picks, world["approver"], clock=world.clock, settings=world.settings)


def hold_rounds(world, year: int) -> dict[str, dict[str, int]]:
    """Rounds around ``year`` with proposals at every step, through the engine; returns the counts by hand.

    ``year - 1``: one round, its one proposal adopted. ``year``: a spring round (a draft never
    submitted, one adopted, one not, one waiting for the decision, one still in screening)
    and an autumn round (two adopted, one not). ``year + 1``: a round with one proposal
    submitted, after the report's year. A proposal outside any round is adopted too.
    """
    codes = {f"{year - 1}-autumn": year - 1, f"{year}-spring": year, f"{year}-autumn": year,
             f"{year + 1}-spring": year + 1}
    rid = {}
    for code, fy in codes.items():
        rid[code] = make_round(world, code=code)
        world.s.execute(update(ProposalRound).where(ProposalRound.id == rid[code]).values(
            fiscal_year=fy, title_ja=f"{era_year(fy)} 協働事業提案（{code}）", title_en=f"Collaboration proposals {code}"))
    world.s.commit()

    def waiting_decision(code: str, n: int) -> list[int]:
        pids = [world.new_proposal(round_id=rid[code], title=f"{code}の提案{i}") for i in range(n)]
        for pid in pids:
            world.to_awaiting_decision(pid)
        return pids

    (earlier,) = waiting_decision(f"{year - 1}-autumn", 1)
    _decide(world, rid[f"{year - 1}-autumn"], {earlier: True})

    world.new_proposal(round_id=rid[f"{year}-spring"], title="下書きのままの提案")
    yes, no, undecided = waiting_decision(f"{year}-spring", 3)
    screening = world.new_proposal(round_id=rid[f"{year}-spring"], title="審査中の提案")
    world.to_under_review(screening)
    _decide(world, rid[f"{year}-spring"], {yes: True, no: False})

    autumn = waiting_decision(f"{year}-autumn", 3)
    _decide(world, rid[f"{year}-autumn"], dict(zip(autumn, (True, False, True))))

    world.to_under_review(world.new_proposal(round_id=rid[f"{year + 1}-spring"]))
    world.to_contracting(world.new_proposal(title="募集によらない提案"))
    return {
        f"{year - 1}-autumn": {"applied": 1, "adopted": 1, "rejected": 0, "undecided": 0},
        f"{year}-spring": {"applied": 4, "adopted": 1, "rejected": 1, "undecided": 2},
        f"{year}-autumn": {"applied": 3, "adopted": 2, "rejected": 1, "undecided": 0},
        f"{year + 1}-spring": {"applied": 1, "adopted": 0, "rejected": 0, "undecided": 1},
    }


COUNTS = ("applied", "adopted", "rejected", "undecided")


def test_the_report_counts_proposals_and_adoptions_per_round_up_to_its_year(session, world):
    by_hand = hold_rounds(world, 2026)
    r = build_report(session, 2026)
    assert [g["code"] for g in r["rounds"]] == ["2025-autumn", "2026-spring", "2026-autumn"]  # oldest first
    for g in r["rounds"]:
        assert {k: g[k] for k in COUNTS} == by_hand[g["code"]], g["code"]
    spring = r["rounds"][1]
    assert (spring["fiscal_year"], spring["era_year"]) == (2026, "令和8年度")
    assert (spring["title_ja"], spring["title_en"]) == ("令和8年度 協働事業提案（2026-spring）",
                                                        "Collaboration proposals 2026-spring")
    assert r["rounds"][0]["era_year"] == "令和7年度"
    # The next year's report adds that year's round.
    assert [g["code"] for g in build_report(session, 2027)["rounds"]][-1] == "2027-spring"


def test_a_year_without_rounds_has_an_empty_list(session, world):
    hold_rounds(world, 2026)
    assert build_report(session, 2024)["rounds"] == []
    assert compute(parse(sample_bytes()), FY, generated_at=datetime.now(timezone.utc))["rounds"] == []
