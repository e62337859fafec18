"""The amendment of 令和9年4月1日 (citizen_proposal version 1 → 2) applied to running cases in every state.

Cases in every state of version 1 are running when the amendment takes effect; the plan
moves those not yet reviewed to version 2 (which adds the public presentation) and leaves
the others on version 1 to finish as they started. Checked for each case: its state and
version, its open deadlines, its audit trail and the notices it is still owed; that the
dry run lists the moves the run makes; that a second run moves nothing; that a case left
on version 1 finishes its whole lifecycle after the amendment took effect; and (on
PostgreSQL, with real processes) that two runs at once, or a run killed and run again,
move every case exactly once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from db.models import AuditEvent, Deadline, Notice, Proposal
from db.models.notices import PENDING
from db.session import new_session
from states import get_lifecycle, in_effect
from states.migration_plan import MIGRATION_TRIGGER
from states.plans import PLANS
from tests.support import EVAL, SCORES, TERMS, World
from tests.workflow.test_round_entry import make_round
from workflow.calendar.clock import JST
from workflow.directory import system_actor
from workflow.lifecycle_migration import PlanRefused, dry_run, run

PLAN = PLANS["citizen_proposal_1_to_2"]
EFFECTIVE = get_lifecycle("citizen_proposal", 2).effective


def _case(world, pid):
    row = world.s.execute(select(Proposal.state, Proposal.lifecycle_version).where(Proposal.id == pid)).one()
    world.s.commit()
    return row


def _open(world, pid):
    rows = world.s.execute(select(Deadline.key, Deadline.due_on).where(Deadline.proposal_id == pid,
                                                                     Deadline.closed_at.is_(None))).all()
    world.s.commit()
    return dict(rows)


def _migrations(world, pid):
    rows = world.s.execute(select(AuditEvent).where(AuditEvent.proposal_id == pid,
                                                    AuditEvent.trigger == MIGRATION_TRIGGER)).scalars().all()
    world.s.commit()
    return rows


def _owed(world, pid):
    n = world.s.execute(select(func.count()).select_from(Notice).where(Notice.proposal_id == pid,
                                                                      Notice.status == PENDING)).scalar_one()
    world.s.commit()
    return n


def running_cases_in_every_state(world: World) -> dict[str, int]:
    """One case in each state of version 1; the early ones opened shortly before the amendment."""
    w, cases = world, {}
    for state, path in (("closed", w.to_closed), ("evaluating", w.to_evaluating), ("in_progress", w.to_in_progress),
                        ("contracting", w.to_contracting), ("awaiting_decision", w.to_awaiting_decision),
                        ("in_coordination", w.to_in_coordination)):
        cases[state] = pid = w.new_proposal(title=f"{state}の提案")
        path(pid)
    cases["revision_requested"] = pid = w.new_proposal(title="修正依頼中の提案")
    w.to_in_coordination(pid)
    w.do(pid, "request_revision", "department", revision_request="予算の内訳を示してください")
    cases["not_adopted"] = pid = w.new_proposal(title="不採用の提案")
    w.to_awaiting_decision(pid)
    w.do(pid, "reject", "approver", reasons="既存事業と重複するため")
    cases["withdrawn"] = pid = w.new_proposal(title="取り下げた提案")
    w.do(pid, "withdraw", "proposer")
    # A round's project adopted for the next fiscal year, waiting for its budget.
    cases["awaiting_budget"] = pid = w.new_proposal(title="予算化待ちの提案", round_id=make_round(w))
    w.to_awaiting_decision(pid)
    w.do(pid, "adopt_for_budget", "approver", reasons="公益性が高いため")
    # A review that began long ago: its deadline has passed and must not move.
    cases["under_review_late"] = pid = w.new_proposal(title="審査が遅れている提案")
    w.to_under_review(pid)
    # A week before the amendment: a draft, a proposal just received, a review under way.
    w.clock.advance_to_date(date(2027, 3, 25))
    cases["draft"] = w.new_proposal(title="作成中の提案")
    cases["submitted"] = pid = w.new_proposal(title="受付済みの提案")
    w.do(pid, "submit", "proposer")
    cases["under_review"] = pid = w.new_proposal(title="審査中の提案")
    w.to_under_review(pid)
    return cases


MOVES_ON = {"draft", "submitted", "under_review", "under_review_late"}


def test_the_shipped_plan_and_both_versions_are_sound():
    from states.migration_plan import problems
    from states.registry import BY_VERSION
    from states.validate import problems as graph_problems

    assert problems(PLAN, BY_VERSION) == []
    assert graph_problems(get_lifecycle("citizen_proposal", 2)) == []
    assert in_effect("citizen_proposal", date(2027, 3, 31)).version == 1
    assert in_effect("citizen_proposal", EFFECTIVE).version == 2


def test_the_amendment_moves_running_cases_in_every_state(world):
    cases = running_cases_in_every_state(world)
    assert {s for s in cases} >= {s.name for s in get_lifecycle("citizen_proposal", 1).states}
    before = {k: (_open(world, pid), _owed(world, pid)) for k, pid in cases.items()}
    world.clock.advance_to_date(EFFECTIVE)
    actor = system_actor(world.s)

    planned = dry_run(world.s, PLAN, world.clock, world.settings)
    assert {p.proposal_id for p in planned} == set(cases.values())
    assert all(not p.problems for p in planned)
    by_case = {p.proposal_id: p for p in planned}
    report = run(world.s, PLAN, actor, clock=world.clock, settings=world.settings)
    # The dry run listed exactly the moves the run made.
    assert sorted(report.moved) == sorted(p.proposal_id for p in planned if p.to_state)
    assert sorted(report.stayed) == sorted(p.proposal_id for p in planned if not p.to_state)

    for name, pid in cases.items():
        state, version = _case(world, pid)
        moved = _migrations(world, pid)
        if name in MOVES_ON:
            assert (state, version) == (name.removesuffix("_late"), 2), name
            assert len(moved) == 1, name
            event = moved[0]
            assert (event.from_state, event.to_state, event.actor_role) == (state, state, "system")
            assert event.inputs["from"] == "citizen_proposal@1" and event.inputs["to"] == "citizen_proposal@2"
            assert event.inputs["plan"] == PLAN.name
        else:
            assert version == 1 and moved == [], name
        # Notices owed before are owed still: the outbox delivers them whatever the version.
        assert _owed(world, pid) == before[name][1], name
        assert by_case[pid].notices_owed == before[name][1], name

    # The review opened a week ago now runs 15 business days (version 2), not 10.
    review_before = before["under_review"][0]["review"]
    review_after = _open(world, cases["under_review"])["review"]
    assert review_after > review_before
    opened = date(2027, 3, 25)
    from workflow.calendar.japan import add_business_days

    assert review_after == add_business_days(opened, 15) and review_before == add_business_days(opened, 10)
    change = next(c for c in _migrations(world, cases["under_review"])[0].inputs["deadlines"] if c["key"] == "review")
    assert (change["due_before"], change["due_after"]) == (review_before.isoformat(), review_after.isoformat())
    # A passed deadline keeps its day: its lateness happened.
    assert _open(world, cases["under_review_late"]) == before["under_review_late"][0]
    # Every other deadline of the cases that stayed is untouched.
    for name in set(cases) - MOVES_ON:
        assert _open(world, cases[name]) == before[name][0], name

    # Safe to run again: nothing left to move, nothing written twice.
    again = run(world.s, PLAN, actor, clock=world.clock, settings=world.settings)
    assert again.moved == [] and sorted(again.stayed) == sorted(report.stayed)
    assert all(len(_migrations(world, pid)) == (1 if name in MOVES_ON else 0) for name, pid in cases.items())


def test_a_moved_case_is_presented_in_public_and_one_left_behind_finishes_under_version_1(world):
    moved = world.new_proposal(title="改正後の手続で進む提案")
    world.to_under_review(moved)
    stayed = world.new_proposal(title="改正前の手続で終わる提案")
    world.to_in_coordination(stayed)
    world.clock.advance_to_date(EFFECTIVE)
    run(world.s, PLAN, system_actor(world.s), clock=world.clock, settings=world.settings)

    # Version 2: after the reviews comes the public presentation, then coordination.
    world.do(moved, "submit_review", "reviewer1", **SCORES)
    world.do(moved, "submit_review", "reviewer2", **SCORES)
    assert world.do(moved, "finish_review", "secretariat").to_state == "public_presentation"
    assert set(_open(world, moved)) >= {"presentation"}
    out = world.do(moved, "record_presentation", "secretariat", note="市民30名が参加し、質疑応答を行った")
    assert out.to_state == "in_coordination"

    # Version 1, after the amendment took effect: the whole rest of its lifecycle, unchanged.
    world.do(stayed, "refer_for_decision", "department", department_opinion="採用が適当")
    world.do(stayed, "adopt", "approver", reasons="公益性が高いため")
    world.do(stayed, "conclude_contract", "department",
             **{**TERMS, "period_start": date(2027, 5, 1), "period_end": date(2028, 3, 31), "partner_ids": [world.org]})
    world.do(stayed, "complete", "department", completion_report="完了")
    world.do(stayed, "submit_final_evaluation", "proposer", **EVAL)
    world.do(stayed, "submit_final_evaluation", "department", **EVAL)
    assert world.do(stayed, "publish_final_evaluation", "secretariat").to_state == "closed"
    assert _case(world, stayed) == ("closed", 1)
    trail = world.s.execute(select(AuditEvent.to_state).where(AuditEvent.proposal_id == stayed)).scalars().all()
    world.s.commit()
    assert "public_presentation" not in trail

    # A proposal created from the effective date on starts on version 2.
    fresh = world.new_proposal(title="施行後の新しい提案")
    assert _case(world, fresh) == ("draft", 2)


def test_a_plan_that_would_drop_an_incurred_duty_is_refused_and_moves_nothing(world, monkeypatch):
    pid = world.new_proposal()
    world.to_under_review(pid)
    other = world.new_proposal()
    v2 = get_lifecycle("citizen_proposal", 2)
    # A broken version 2 that forgot the review deadline the running review has incurred.
    broken = {**v2._index["deadlines"]}
    broken.pop("review")
    monkeypatch.setitem(v2._index, "deadlines", broken)
    with pytest.raises(PlanRefused) as refused:
        run(world.s, PLAN, system_actor(world.s), clock=world.clock, settings=world.settings)
    assert "review" in refused.value.message_en and f"#{pid}" in refused.value.message_en
    assert _case(world, pid) == ("under_review", 1) and _case(world, other) == ("draft", 1)


# --- real processes on PostgreSQL: two runs at once, and a run killed and run again

SCRIPT = """
import sys, time
from db.session import new_session
from states.plans import PLANS
from workflow.directory import system_actor
from workflow.lifecycle_migration import run

pause = float(sys.argv[1])
with new_session() as s:
    run(s, PLANS["citizen_proposal_1_to_2"], system_actor(s), progress=lambda moved: time.sleep(pause))
"""


def _process(db_engine, pause: float) -> subprocess.Popen:
    env = {**os.environ, "KYODO_DATABASE_URL": db_engine.url.render_as_string(hide_password=False)}
    return subprocess.Popen([sys.executable, "-c", SCRIPT, str(pause)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _drafts(world, n: int) -> list[int]:
    ids = [world.new_proposal(title=f"移行を待つ提案{i}") for i in range(n)]
    system_actor(world.s)  # made once, before two processes would race to make it
    return ids


def _each_moved_once(world, ids):
    counts = dict(world.s.execute(
        select(AuditEvent.proposal_id, func.count()).where(AuditEvent.trigger == MIGRATION_TRIGGER)
        .group_by(AuditEvent.proposal_id)).all())
    versions = set(world.s.execute(select(Proposal.lifecycle_version).where(Proposal.id.in_(ids))).scalars())
    world.s.commit()
    return counts, versions


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.parametrize("db_engine", ["postgres"], indirect=True)
def test_two_runs_at_once_move_every_case_exactly_once(world, db_engine):
    ids = _drafts(world, 24)
    first, second = _process(db_engine, 0.02), _process(db_engine, 0.02)
    for p in (first, second):
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err[-3000:]
    counts, versions = _each_moved_once(world, ids)
    assert counts == {pid: 1 for pid in ids} and versions == {2}


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.parametrize("db_engine", ["postgres"], indirect=True)
def test_a_run_killed_midway_and_run_again_moves_every_case_exactly_once(world, db_engine):
    ids = _drafts(world, 24)
    killed = _process(db_engine, 0.25)
    deadline = time.monotonic() + 60
    while _each_moved_once(world, ids)[0].__len__() < 3:
        assert time.monotonic() < deadline and killed.poll() is None, killed.communicate()[1][-3000:]
        time.sleep(0.05)
    killed.send_signal(signal.SIGKILL)
    killed.wait(timeout=30)
    counts, versions = _each_moved_once(world, ids)
    assert 3 <= len(counts) < len(ids) and versions == {1, 2}  # killed part-way: some moved, some not
    again = _process(db_engine, 0)
    _, err = again.communicate(timeout=120)
    assert again.returncode == 0, err[-3000:]
    counts, versions = _each_moved_once(world, ids)
    assert counts == {pid: 1 for pid in ids} and versions == {2}


def _kyodo_migrate(db_engine, tmp_path) -> subprocess.Popen:
    """`kyodo states migrate` as an operator runs it, on the test's database."""
    from pathlib import Path

    kyodo = Path(sys.executable).parent / "kyodo"
    env = {**os.environ, "KYODO_DATABASE_URL": db_engine.url.render_as_string(hide_password=False),
           "KYODO_VAR_DIR": str(tmp_path / "var")}
    return subprocess.Popen([str(kyodo), "states", "migrate", PLAN.name], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.parametrize("db_engine", ["postgres"], indirect=True)
def test_two_kyodo_states_migrate_commands_at_once_and_one_killed_move_each_case_once(world, db_engine, tmp_path):
    ids = _drafts(world, 300)
    first, second = _kyodo_migrate(db_engine, tmp_path), _kyodo_migrate(db_engine, tmp_path)
    deadline = time.monotonic() + 120
    while len(_each_moved_once(world, ids)[0]) < 10:
        assert time.monotonic() < deadline and first.poll() is None, first.communicate()
        time.sleep(0.02)
    first.send_signal(signal.SIGKILL)  # killed midway, while the other is still at work
    first.wait(timeout=30)
    out, err = second.communicate(timeout=300)
    assert second.returncode == 0, (out[-2000:], err[-2000:])
    again = _kyodo_migrate(db_engine, tmp_path)
    out, err = again.communicate(timeout=300)
    assert again.returncode == 0, (out[-2000:], err[-2000:])
    counts, versions = _each_moved_once(world, ids)
    assert counts == {pid: 1 for pid in ids} and versions == {2}


def test_migration_events_read_in_the_case_history(world):
    pid = world.new_proposal()
    run(world.s, PLAN, system_actor(world.s), clock=world.clock, settings=world.settings)
    from web.pages import trigger_label

    assert trigger_label("ja", "citizen_proposal", MIGRATION_TRIGGER, 2) == "新しい版の手続への移行"
    assert datetime.now(JST) and _case(world, pid) == ("draft", 2)


def test_the_case_page_the_api_and_the_compliance_board_show_the_version(world, db_engine, tmp_path):
    from sqlalchemy import update as sql_update

    from config import Settings
    from db.models import User
    from tests.web.conftest import LOGINS, Visitor, _hashed, web_settings
    from web.app import create_app

    world.s.execute(sql_update(User).values(password_hash=_hashed()))
    world.s.commit()
    old = world.new_proposal(title="旧版の提案")
    world.to_in_coordination(old)
    new = world.new_proposal(title="新版に移る提案")
    world.do(new, "submit", "proposer")
    world.clock.advance_to_date(EFFECTIVE)
    run(world.s, PLAN, system_actor(world.s), clock=world.clock, settings=world.settings)
    settings = Settings(required_reviews=2, var_dir=tmp_path / "var")
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    app = create_app(engine=db_engine, clock=world.clock, settings=settings, web_settings=web_settings(tmp_path))
    staff = Visitor(app)
    assert staff.login(LOGINS["secretariat"]).status_code == 303
    page = staff.get(f"/proposals/{new}").text
    assert "第2版" in page and "令和9年4月1日施行の改正" in page and "新しい版の手続への移行" in page
    assert "第1版" in staff.get(f"/proposals/{old}").text
    board = staff.get("/secretariat/compliance").text
    assert "手続の版ごとの進行中の案件" in board and "第1版" in board and "第2版" in board
    token_page = staff.post("/account/tokens", {"name": "t", "scopes": "read", "days": "30"}).text
    import re

    token = re.search(r"kyd_[\w-]+", token_page).group(0)
    body = Visitor(app).client.get(f"/api/v1/proposals/{new}", headers={"Authorization": f"Bearer {token}"}).json()
    assert (body["lifecycle_version"], body["state"]) == (2, "submitted")
    assert "令和9年4月1日" in body["lifecycle_amendment_ja"]


def test_the_article_20_report_counts_cases_by_version_during_the_transition(world):
    from cli.report_formats.html import render as render_html
    from workflow.registry.annual_report import build_report

    old = world.new_proposal(title="旧版で続く提案")
    world.to_in_coordination(old)
    world.new_proposal(title="新版に移る提案")
    world.clock.advance_to_date(EFFECTIVE)
    run(world.s, PLAN, system_actor(world.s), clock=world.clock, settings=world.settings)
    world.new_proposal(title="施行後の提案")
    # 令和8年度 (FY2026) ran under version 1 alone; 令和9年度 under both.
    assert build_report(world.s, 2026, clock=world.clock)["cases_by_version"] == []
    counted = build_report(world.s, 2027, clock=world.clock)["cases_by_version"]
    assert [(c["lifecycle"], c["version"], c["cases"]) for c in counted] == [
        ("citizen_proposal", 1, 1), ("citizen_proposal", 2, 2)]
    html = render_html(build_report(world.s, 2027, clock=world.clock)).decode()
    assert "手続の版ごとの案件数" in html and "第2版（令和9年4月1日施行の改正" in html
