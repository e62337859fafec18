"""`kyodo states migrate`: running proposals moved to the amendment of 令和9年4月1日, as an operator does it.

The operator first runs ``--dry-run`` and reads the table: every case on version 1, where
it would go and why, how its deadlines would change. The run that follows must do exactly
what the table said, and a second run must find nothing left to move.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

import cli.lifecycle
from cli.main import app
from db.models import Deadline, Proposal, AuditEvent
from states import get_lifecycle
from states.migration_plan import MIGRATION_TRIGGER
from states.plans import PLANS
from tests.support import World
from workflow.calendar.clock import JST, MovableClock

PLAN = PLANS["citizen_proposal_1_to_2"]
V1 = get_lifecycle(PLAN.lifecycle, PLAN.from_version)
V2 = get_lifecycle(PLAN.lifecycle, PLAN.to_version)
STAYS = f"旧版のまま / stays on version {PLAN.from_version}"


@pytest.fixture
def cli_db(db_engine, monkeypatch):
    """The command line's settings and engine pointed at the test database."""
    from config import get_settings
    from db.session import get_engine

    monkeypatch.setenv("KYODO_DATABASE_URL", db_engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    get_engine.cache_clear()
    yield db_engine
    get_engine().dispose()
    get_settings.cache_clear()
    get_engine.cache_clear()


@pytest.fixture
def city(session, cli_db, monkeypatch):
    """Proposals of 2026 (version 1) in six states; the command runs on the city's clock."""
    clock = MovableClock(datetime(2026, 4, 6, 9, tzinfo=JST))
    w = World(session, clock)
    cases: dict[str, int] = {}
    # A review opened weeks ago and now overdue: its day must not move.
    cases["late_review"] = w.new_proposal(title="遅れている審査")
    w.to_under_review(cases["late_review"])
    clock.advance(days=30)
    cases["draft"] = w.new_proposal(title="書きかけの提案")
    cases["submitted"] = w.new_proposal(title="受け付けた提案")
    w.do(cases["submitted"], "submit", "proposer")
    cases["under_review"] = w.new_proposal(title="審査中の提案")
    w.to_under_review(cases["under_review"])
    cases["in_coordination"] = w.new_proposal(title="調整中の提案")
    w.to_in_coordination(cases["in_coordination"])
    cases["awaiting_decision"] = w.new_proposal(title="決裁待ちの提案")
    w.to_awaiting_decision(cases["awaiting_decision"])
    clock.advance(days=1)
    session.commit()
    monkeypatch.setattr(cli.lifecycle, "SystemClock", lambda: clock)
    w.cases = cases
    return w


def migrate(*args: str):
    # A wide terminal: the table's rows stay on one line each.
    result = CliRunner().invoke(app, ["states", "migrate", *args], env={"COLUMNS": "400"})
    assert "Traceback" not in result.output
    return result


def rows(output: str) -> dict[int, list[str]]:
    """The dry run's table: case id → its cells, each cell's lines joined by newlines."""
    found: dict[int, list[str]] = {}
    current = None
    for line in output.splitlines():
        cells = [c.strip() for c in line.split("│")][1:-1]
        if len(cells) < 7:
            current = None
            continue
        if cells[0].isdigit():
            current = found.setdefault(int(cells[0]), cells)
        elif not cells[0] and current is not None:  # the same row, continued
            for i, text in enumerate(cells):
                if text:
                    current[i] = f"{current[i]}\n{text}" if current[i] else text
    return found


def on_version(session, pid: int) -> tuple[int, str]:
    version, state = session.execute(select(Proposal.lifecycle_version, Proposal.state)
                                     .where(Proposal.id == pid)).one()
    session.rollback()  # hold no read lock while the command writes
    return version, state


def migrations(session) -> int:
    n = session.execute(select(func.count()).select_from(AuditEvent)
                        .where(AuditEvent.trigger == MIGRATION_TRIGGER)).scalar_one()
    session.rollback()
    return n


def moved_lines(output: str) -> dict[int, str]:
    return {int(m.group(1)): m.group(2) for m in re.finditer(r"^#(\d+) .*?→ .*?\((\w+)\) \(", output, re.M)}


def test_the_dry_run_shows_every_case_and_the_run_does_what_it_showed(city, session):
    cases = city.cases
    dry = migrate(PLAN.name, "--dry-run")
    assert dry.exit_code == 0, dry.output
    table = rows(dry.output)
    assert set(table) == set(cases.values())
    for name, pid in cases.items():
        _id, title, from_cell, to_cell, *_ = table[pid]
        assert f"({name if name != 'late_review' else 'under_review'})" in from_cell
        move = PLAN.move(V1.state(on_version(session, pid)[1]).name)
        if move.stays:
            assert to_cell == STAYS, (name, to_cell)
        else:
            assert to_cell == f"{V2.state(move.to).label_ja} ({move.to})", (name, to_cell)
    out = re.sub(r"\s+", " ", dry.output)
    assert "移行予定：4件、旧版のまま：2件" in out and "would move: 4" in out
    # Nothing changed.
    assert migrations(session) == 0
    assert {on_version(session, pid)[0] for pid in cases.values()} == {PLAN.from_version}

    run = migrate(PLAN.name)
    assert run.exit_code == 0, run.output
    planned = {pid: cells[3] for pid, cells in table.items() if cells[3] != STAYS}
    shown = moved_lines(run.output)
    assert set(shown) == set(planned)
    for pid, to_cell in planned.items():
        assert to_cell.endswith(f"({shown[pid]})")
        assert on_version(session, pid) == (PLAN.to_version, shown[pid])
    for pid in set(table) - set(planned):
        assert on_version(session, pid)[0] == PLAN.from_version
    assert "移行しました：4件、旧版のまま：2件、ほかの処理で移行済み：0件" in run.output
    assert "moved: 4, stayed on version 1: 2, already moved: 0" in run.output
    assert migrations(session) == 4

    again = migrate(PLAN.name)
    assert again.exit_code == 0, again.output
    assert moved_lines(again.output) == {}
    assert "移行しました：0件、旧版のまま：2件" in again.output and "moved: 0" in again.output
    assert migrations(session) == 4


def test_the_dry_run_names_deadline_changes_and_notices_still_owed(city):
    dry = migrate(PLAN.name, "--dry-run")
    assert dry.exit_code == 0, dry.output
    table = rows(dry.output)
    # Columns: id, title, from, to, reason, deadlines, notices owed.
    review_now = table[city.cases["under_review"]]
    assert re.search(r"審査 \(review\): (\S+) → (\S+)", review_now[5]), review_now
    before, after = re.search(r"審査 \(review\): (\S+) → (\S+)", review_now[5]).groups()
    assert date.fromisoformat(after) > date.fromisoformat(before)  # 15 business days instead of 10
    late = table[city.cases["late_review"]]
    assert "審査 (review)" in late[5] and "kept: passed" in late[5]
    assert table[city.cases["draft"]][5] == "—"
    assert table[city.cases["under_review"]][4].startswith("審査が終わっていないため")
    # Nobody ran the worker: the review requests are still in the outbox.
    assert int(review_now[6]) >= 1


def test_a_case_that_cannot_move_refuses_the_whole_plan(city, session):
    # An open deadline version 2 does not declare: moving the case would drop a duty.
    session.add(Deadline(proposal_id=city.cases["draft"], key="no_such_deadline", waits_on="proposer",
                         due_on=date(2026, 12, 31), opened_at=datetime.now(JST) - timedelta(days=1)))
    session.commit()
    dry = migrate(PLAN.name, "--dry-run")
    assert dry.exit_code == 1
    assert "移行できません / cannot move" in dry.output and "no_such_deadline" in dry.output
    assert "1件の案件" in dry.output and "would be refused" in re.sub(r"\s+", " ", dry.output)

    run = migrate(PLAN.name)
    assert run.exit_code == 1
    out = re.sub(r"\s+", " ", run.output)
    assert "エラー:" in out and "nothing is moved" in out and "no_such_deadline" in out
    assert migrations(session) == 0


def test_an_unknown_plan_is_a_bilingual_message(city, session):
    result = migrate("no_such_plan")
    assert result.exit_code == 1
    out = re.sub(r"\s+", " ", result.output)
    assert "移行計画「no_such_plan」はありません" in out and "no migration plan 'no_such_plan'" in out
    assert PLAN.name in out  # the plans there are
    assert migrations(session) == 0


def test_an_empty_database_has_nothing_to_move(cli_db):
    result = migrate(PLAN.name, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "進行中の案件はありません" in result.output
    assert "nothing to move" in result.output
