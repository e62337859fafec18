"""The `kyodo` command as an operator meets it: run as a process against a SQLite file.

Every mistake must end in a message saying what is wrong and how to fix it, and a
non-zero exit; never a traceback.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from config.settings import get_settings
from db.session import get_engine, new_session
from tests.conftest import REDIS_URL, need_service

BIN = Path(sys.executable).parent / "kyodo"
COMMAND = [str(BIN)] if BIN.exists() else [sys.executable, "-c", "from cli.main import run; run()"]


def kyodo_env(db: Path, var: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KYODO_")}
    env.update(KYODO_DATABASE_URL=f"sqlite:///{db}", KYODO_VAR_DIR=str(var),
               # A wide terminal so that no message is wrapped in the middle of a word.
               COLUMNS="200", NO_COLOR="1", PYTHONIOENCODING="utf-8")
    return env


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    result = subprocess.run([*COMMAND, *args], env=env, cwd=env["KYODO_VAR_DIR"].rsplit("/", 1)[0],
                            capture_output=True, text=True, timeout=180)
    result.out = result.stdout + result.stderr
    assert "Traceback" not in result.out, result.out
    return result


def point_at(monkeypatch, env: dict[str, str]) -> None:
    """Kyodo in this process too reads the test database (for seeding and checking)."""
    for k in list(os.environ):
        if k.startswith("KYODO_"):
            monkeypatch.delenv(k)
    monkeypatch.setenv("KYODO_DATABASE_URL", env["KYODO_DATABASE_URL"])
    monkeypatch.setenv("KYODO_VAR_DIR", env["KYODO_VAR_DIR"])


@pytest.fixture
def fresh(tmp_path, monkeypatch):
    """A path for a database that does not exist yet; returns the environment for `kyodo`."""
    env = kyodo_env(tmp_path / "kyodo.sqlite3", tmp_path / "var")
    point_at(monkeypatch, env)
    get_settings.cache_clear()
    get_engine.cache_clear()
    yield env
    get_engine().dispose()
    get_settings.cache_clear()
    get_engine.cache_clear()


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    """One database with the demo told on it, shared by the tests that only read it."""
    base = tmp_path_factory.mktemp("demo")
    env = kyodo_env(base / "kyodo.sqlite3", base / "var")
    assert run(env, "db", "upgrade").returncode == 0
    result = run(env, "demo")
    return env, result


@pytest.fixture
def demo(demo_run, monkeypatch):
    env, _ = demo_run
    point_at(monkeypatch, env)
    get_settings.cache_clear()
    get_engine.cache_clear()
    yield env
    get_engine().dispose()
    get_settings.cache_clear()
    get_engine.cache_clear()


def state_of(pid: int) -> str:
    from db.models import Proposal

    with new_session() as s:
        return s.get(Proposal, pid).state


# --- A database that is not there yet


def test_commands_before_db_upgrade_say_to_run_it(fresh):
    for args in (["proposals", "list"], ["proposals", "trigger", "1", "submit", "--as", "p"]):
        result = run(fresh, *args)
        assert result.returncode != 0, args
        assert "kyodo db upgrade" in result.out, result.out
        assert "エラー" in result.out


def test_db_upgrade_creates_the_schema(fresh):
    result = run(fresh, "db", "upgrade")
    assert result.returncode == 0, result.out
    assert Path(fresh["KYODO_DATABASE_URL"].removeprefix("sqlite:///")).exists()
    listed = run(fresh, "proposals", "list")
    assert listed.returncode == 0, listed.out
    assert "no proposals yet" in listed.out
    # Upgrading again is harmless.
    assert run(fresh, "db", "upgrade").returncode == 0


# --- The demo


def test_demo_tells_the_six_stories(demo_run):
    _, result = demo_run
    assert result.returncode == 0, result.out
    for outcome in ("終了", "不採用", "取下げ"):
        assert outcome in result.out, outcome
    assert "令和" in result.out
    assert "市市協第" in result.out  # decisions carry their document numbers
    for pid in (1, 2, 3, 4, 5, 6, 7, 8, 9):
        assert f"ID {pid}:" in result.out


def unwrapped(text: str) -> str:
    """The output without any whitespace: the terminal may wrap a long line anywhere."""
    return "".join(text.split())


def test_demo_tells_a_round_from_its_publication_to_its_published_results(demo_run):
    _, result = demo_run
    out = unwrapped(result.out)
    story = out[out.index(unwrapped("6. 令和9年度 協働事業提案の募集")):out.index(unwrapped("通知 / notices"))]
    # Declared and published by the secretariat: two themes, four weighted criteria, a pass mark.
    for said in ("募集を公表する", "令和9年4月12日から令和9年5月14日まで", "水辺と緑を市民の手で守る（環境創造局 環境活動支援課",
                 "地域のつながりを生む居場所づくり（港北区 地域振興課", "公益性 30、協働の効果 30、実現可能性 20、団体の実行力 20（合格点 60",
                 "結果の公表日 / results published on: 令和9年7月30日"):
        assert unwrapped(said) in story, said
    assert story.count(unwrapped("事前相談を記録する")) == 2
    # Too late: refused in words naming the closing day; the proposal stays a draft.
    assert unwrapped("→ 受け付けられません / refused 募集期間（令和9年5月14日まで）を過ぎているため提出できません。") in story
    assert unwrapped("ID 9: 放課後の学び合いスペース — 下書き") in out
    # FY2027 cases run version 2: a public presentation scored by the panel, one member recused.
    assert story.count(unwrapped("審査中 → 公開プレゼンテーション")) == 3
    assert unwrapped("加藤 理恵（市民協働推進課長）: 利害関係を申し出る") in story
    for line in ("1位 / rank 1 「NPO法人 みどりの川辺ネット」 平均 / mean 89.33点 合格 / passed",
                 "2位 / rank 2 「港北こども食堂の会」 平均 / mean 72.00点 合格 / passed",
                 "3位 / rank 3 「北山田まちづくりの会」 平均 / mean 52.00点 不合格 / below the pass mark",
                 "加藤 理恵 利害関係により除外 / recused"):
        assert unwrapped(line) in story, line
    # Decided together: two adopted, one not; public on the publication date, not the day before.
    # The themes' projects run in FY2028: both adopted wait for that year's budget, then the
    # departments record it and the waterside survey is contracted from the year's start.
    assert story.count(unwrapped("決裁待ち → 予算化待ち")) == 2
    assert story.count(unwrapped("予算化待ち → 協働契約準備中")) == 2
    assert story.count(unwrapped("協働契約準備中 → 事業実施中")) == 1
    assert story.count(unwrapped("決裁待ち → 不採用")) == 1
    before, on_the_day = story.split(unwrapped("審査結果の公表を確認する"))
    assert unwrapped("審査結果のページはまだありません") in before
    assert unwrapped("採用 / adopted: 「鶴見川流域の水辺の生き物マップづくり」") in on_the_day
    assert unwrapped("不採用 / not adopted: 「空き家を活かした地域サロン」") in on_the_day
    # The panel's totals are published without the members' names.
    assert unwrapped("委員1 / member 1: 92") in on_the_day and "伊藤" not in on_the_day
    for pid, state in ((6, "事業実施中"), (7, "協働契約準備中"), (8, "不採用")):
        assert unwrapped(f"ID {pid}:") in out and state in out.split(unwrapped(f"ID {pid}:"))[-1][:60]


def test_demo_tells_a_city_call_in_its_own_words(demo_run):
    _, result = demo_run
    out = result.out
    # The call's own lifecycle names its steps: published, applied to, closed, scored, selected.
    for label in ("公募を作成する", "公募準備中 → 公募中", "応募する", "公募中 → 選定審査中", "応募を審査する",
                  "選定審査中 → 決裁待ち（選定）", "協働の相手方を選定する", "協働契約準備中 → 事業実施中"):
        assert label in out, label
    for group in ("NPO法人 放課後スタジオ", "北山田まちづくりの会", "株式会社 学びのたね"):
        assert group in out, group
    # The groups not selected are told why, with their own rank.
    assert "選定結果について（通知）" in out
    assert "3団体中2位" in out and "3団体中3位" in out
    assert "ID 5: 放課後の子どもの居場所づくり協働事業 — 事業実施中" in out
    assert "okamoto@example.jp" in out  # delivered with the others at the end


def proposal_count() -> int:
    from sqlalchemy import func, select

    from db.models import Proposal

    with new_session() as s:
        return s.execute(select(func.count()).select_from(Proposal)).scalar_one()


def test_demo_twice_refuses_and_suggests_reset(demo):
    assert proposal_count() == 9
    result = run(demo, "demo")
    assert result.returncode != 0
    assert "--reset" in result.out
    assert "already holds proposals" in result.out
    assert proposal_count() == 9


def test_proposals_list_shows_the_demo_cases(demo):
    result = run(demo, "proposals", "list")
    assert result.returncode == 0, result.out
    for title in ("鶴見川の生き物調査と川辺清掃", "空き店舗を使ったeスポーツ大会", "こども食堂ネットワークの立ち上げ",
                  "地域防災リーダー育成プログラム"):
        assert title in result.out
    only = run(demo, "proposals", "list", "--state", "not_adopted")
    assert only.returncode == 0
    assert "空き店舗を使ったeスポーツ大会" in only.out
    assert "鶴見川の生き物調査と川辺清掃" not in only.out


def test_proposals_list_refuses_an_unknown_state(demo):
    result = run(demo, "proposals", "list", "--state", "adoptedd")
    assert result.returncode == 1
    assert "状態「adoptedd」" in result.out and "unknown state 'adoptedd'" in result.out
    # Every lifecycle's states are offered: a citizen proposal's and a call's.
    for state in ("awaiting_decision", "not_adopted", "open", "awaiting_selection", "in_progress"):
        assert state in result.out, state


def test_proposals_list_by_a_state_of_a_call(demo):
    result = run(demo, "proposals", "list", "--state", "in_progress")
    assert result.returncode == 0, result.out
    assert "放課後の子どもの居場所づくり協働事業" in result.out
    assert "事業実施中" in result.out
    assert "鶴見川の生き物調査と川辺清掃" not in result.out


def test_proposals_show_tells_a_call_with_its_applications_and_scores(demo):
    result = run(demo, "proposals", "show", "5")
    assert result.returncode == 0, result.out
    out = result.out
    assert "市の発意による協働事業の公募" in out
    assert "事業実施中" in out
    assert "子どもの安全管理の体制" in out  # the selection criteria
    assert "令和8年7月31日" in out  # the closing date
    assert "NPO法人 放課後スタジオ" in out and "選定 / selected" in out
    for shown in ("北山田まちづくりの会", "株式会社 学びのたね", "18.0", "13.5", "14.5", "技術5"):
        assert shown in out, shown
    assert "協働の相手方を選定する" in out  # the decision, as the call's lifecycle names it
    assert "市市協第4号" in out
    assert "review_application" in out and "select" in out  # the audit trail


def test_proposals_show_tells_decision_and_history(demo):
    result = run(demo, "proposals", "show", "2")
    assert result.returncode == 0, result.out
    assert "不採用" in result.out
    assert "市市協第" in result.out
    assert "公益性が認められない" in result.out  # the reasons, as decided
    assert "なし / none" in result.out  # nothing possible any more


def test_show_unknown_proposal_is_a_clear_error(demo):
    result = run(demo, "proposals", "show", "999")
    assert result.returncode != 0
    assert "案件 999 は見つかりません" in result.out
    assert "no case 999" in result.out
    assert "kyodo proposals list" in result.out


def test_trigger_on_a_not_adopted_case_is_not_possible(demo):
    result = run(demo, "proposals", "trigger", "2", "adopt", "--as", "kobayashi", "-i", "reasons=再考")
    assert result.returncode != 0
    assert "不採用" in result.out
    assert "できません" in result.out
    assert "no further trigger" in result.out
    assert state_of(2) == "not_adopted"


def test_trigger_as_an_unknown_login_is_refused(demo):
    result = run(demo, "proposals", "trigger", "2", "adopt", "--as", "nobody")
    assert result.returncode != 0
    assert "nobody" in result.out
    assert "利用者はいません" in result.out


# --- Triggers on a live case


@pytest.fixture
def awaiting_decision(fresh):
    """A database with the test city and one proposal waiting for the approver (login ``a``)."""
    from db.migrate import upgrade
    from tests.support import World
    from workflow.calendar.clock import SystemClock

    upgrade(get_engine())

    with new_session() as s:
        world = World(s, SystemClock())
        pid = world.new_proposal()
        world.to_awaiting_decision(pid)
    return fresh, pid


def test_trigger_without_reasons_names_the_missing_input(awaiting_decision):
    env, pid = awaiting_decision
    for extra in ([], ["-i", "reasons=   "]):
        result = run(env, "proposals", "trigger", str(pid), "adopt", "--as", "a", *extra)
        assert result.returncode != 0
        assert "理由" in result.out
        assert "missing input: Reasons" in result.out
    assert state_of(pid) == "awaiting_decision"


def test_trigger_input_must_be_name_equals_value(awaiting_decision):
    env, pid = awaiting_decision
    result = run(env, "proposals", "trigger", str(pid), "adopt", "--as", "a", "-i", "reasons")
    assert result.returncode != 0
    assert "name=value" in result.out


def test_trigger_by_the_wrong_role_says_who_may(awaiting_decision):
    env, pid = awaiting_decision
    result = run(env, "proposals", "trigger", str(pid), "adopt", "--as", "s", "-i", "reasons=理由")
    assert result.returncode != 0
    assert "決裁者" in result.out
    assert "may be done by: Approver" in result.out
    assert state_of(pid) == "awaiting_decision"


def test_trigger_with_a_stale_version_is_a_conflict(awaiting_decision):
    env, pid = awaiting_decision
    result = run(env, "proposals", "trigger", str(pid), "adopt", "--as", "a", "-i", "reasons=理由", "--version", "1")
    assert result.returncode != 0
    assert "changed by someone else" in result.out
    assert state_of(pid) == "awaiting_decision"


def test_trigger_with_reasons_decides(awaiting_decision):
    env, pid = awaiting_decision
    result = run(env, "proposals", "trigger", str(pid), "adopt", "--as", "a", "-i", "reasons=公益性が高いため")
    assert result.returncode == 0, result.out
    assert "決裁待ち" in result.out and "協働契約準備中" in result.out
    shown = run(env, "proposals", "show", str(pid))
    assert shown.returncode == 0
    assert "市市協第1号" in shown.out
    assert "公益性が高いため" in shown.out
    assert "conclude_contract" in shown.out  # what is possible now


def test_unknown_trigger_is_refused(awaiting_decision):
    env, pid = awaiting_decision
    result = run(env, "proposals", "trigger", str(pid), "approve_everything", "--as", "a")
    assert result.returncode != 0
    assert "approve_everything" in result.out
    assert "adopt" in result.out  # what is possible instead


# --- Several web processes


def test_serve_with_several_processes_is_refused_on_the_embedded_broker(fresh):
    # Every process would run the embedded broker's delivery thread and beat: each scan N times.
    result = run(fresh, "serve", "--workers", "2")
    assert result.returncode != 0
    assert "組み込みブローカーでは Web サーバーを複数のプロセスで動かせません" in result.out
    assert "KYODO_BROKER_URL" in result.out and "--workers" in result.out


def _redis(url: str) -> None:
    import redis

    redis.Redis.from_url(url, socket_connect_timeout=2).ping()


def _processes_under(pid: int) -> list[int]:
    children = [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    return [pid, *[p for c in children for p in _processes_under(c)]]


def _listening(pid: int, port: int) -> bool:
    """Whether the process holds the server's listening socket (its inode in /proc/net/tcp)."""
    local = f"0100007F:{port:04X}"
    inodes = {line.split()[9] for line in Path("/proc/net/tcp").read_text().splitlines()[1:]
              if line.split()[1] == local and line.split()[3] == "0A"}
    try:
        fds = [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")]
    except OSError:
        return False
    return any(fd.startswith("socket:[") and fd[8:-1] in inodes for fd in fds)


@pytest.mark.redis
@pytest.mark.slow
def test_serve_with_two_processes_on_redis_answers_from_both(fresh):
    need_service("redis", REDIS_URL, _redis)
    assert run(fresh, "db", "upgrade").returncode == 0
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**fresh, "KYODO_BROKER_URL": REDIS_URL}
    server = subprocess.Popen([*COMMAND, "serve", "--workers", "2", "--port", str(port)], env=env,
                              cwd=fresh["KYODO_VAR_DIR"].rsplit("/", 1)[0], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        serving: list[int] = []
        while len(serving) < 2:
            # Both web processes started and each holds the listening socket the supervisor shares.
            serving = [p for p in _processes_under(server.pid)[1:] if _listening(p, port)]
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                pytest.fail("kyodo serve --workers 2 did not start two processes: " + server.communicate()[0][-3000:])
            time.sleep(0.3)
        with httpx.Client(base_url=base, timeout=30) as browser:
            while True:
                try:
                    login = browser.get("/login")
                    break
                except httpx.HTTPError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.3)
            assert login.status_code == 200 and "ログイン" in login.text
            public = browser.get("/public")
            assert public.status_code == 200
    finally:
        server.terminate()
        try:
            out = server.communicate(timeout=30)[0]
        except subprocess.TimeoutExpired:
            server.kill()
            out = server.communicate()[0]
    assert "Traceback" not in out, out[-3000:]
