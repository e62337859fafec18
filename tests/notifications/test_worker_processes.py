"""`kyodo worker` as operators run it: a prefork pool of two processes on PostgreSQL and Redis.

The command reads the database before Celery forks (its schema check). A connection left
in the pool then crossed into both children, which shared one PostgreSQL socket: the
first tasks failed with protocol errors, and mail the server had accepted was sent again
after the lease. Each process must use connections of its own.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from db.models import Notice
from db.session import new_session
from notifications.tasks import relay
from tests.notifications.conftest import env_for_subprocess, use_broker, wait_until

BIN = Path(sys.executable).parent / "kyodo"
COMMAND = [str(BIN)] if BIN.exists() else [sys.executable, "-c", "from cli.main import run; run()"]
LEASE = 4
APP_NAME = "kyodo-worker-under-test"


def _rows(engine):
    with new_session(engine) as s:
        return s.execute(select(Notice.id, Notice.status, Notice.attempts, Notice.last_error)).all()


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.parametrize("db_engine", ["postgres"], indirect=True)
def test_two_worker_processes_share_no_connection_and_send_each_notice_once(
    world, db_engine, smtp_sink, monkeypatch, kyodo_env, redis_url
):
    use_broker(monkeypatch, kyodo_env, redis_url)
    for n in range(8):  # eight receipts to each of the group's contacts wait in the outbox
        world.do(world.new_proposal(title=f"提案{n}"), "submit", "proposer")
    with new_session(db_engine) as s:
        waiting = s.execute(select(func.count()).select_from(Notice)).scalar_one()
    assert waiting >= 8
    # libpq names the worker's connections, so the test can see whose they are.
    env = env_for_subprocess({**kyodo_env, "KYODO_NOTICE_LEASE_SECONDS": str(LEASE), "PGAPPNAME": APP_NAME})
    worker = subprocess.Popen([*COMMAND, "worker", "--concurrency", "2", "--loglevel", "WARNING"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        def all_sent():
            relay.delay()  # what the beat does
            return all(r.status == "sent" for r in _rows(db_engine))

        assert wait_until(all_sent, timeout=90, interval=1.0), _rows(db_engine)
        with db_engine.connect() as conn:
            backends = conn.execute(text("SELECT pid FROM pg_stat_activity WHERE application_name = :app"),
                                    {"app": APP_NAME}).scalars().all()
        # Both pool processes delivered, each over a connection of its own.
        assert len(backends) >= 2, f"the worker's processes share {len(backends)} connection(s)"
        # Past the lease: a claim that went astray between processes would be handed out again now.
        time.sleep(LEASE + 2)
        relay.delay()
        time.sleep(3)
    finally:
        worker.terminate()
        try:
            _, stderr = worker.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            _, stderr = worker.communicate()
    rows = _rows(db_engine)
    assert [r for r in rows if r.attempts != 1 or r.last_error] == [], rows
    assert len(smtp_sink.messages) == waiting, "each notice is sent exactly once"
    assert len({m["Message-ID"] for m in smtp_sink.messages}) == waiting
    # A shared socket shows as tasks failing on the database ("server closed the connection
    # unexpectedly", protocol errors): every task of the run must have gone through.
    for symptom in ("Traceback", "OperationalError", "server closed the connection", "protocol"):
        assert symptom not in (stderr or ""), stderr[-3000:]


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.parametrize("db_engine", ["postgres"], indirect=True)
def test_beat_starts_on_a_fresh_server_and_relays(world, db_engine, smtp_sink, monkeypatch, kyodo_env, redis_url,
                                                  tmp_path):
    use_broker(monkeypatch, kyodo_env, redis_url)
    var = tmp_path / "fresh" / "var"  # a fresh server: no var/ yet
    env = env_for_subprocess({**kyodo_env, "KYODO_VAR_DIR": str(var), "KYODO_RELAY_INTERVAL_SECONDS": "1"})
    world.do(world.new_proposal(), "submit", "proposer")
    beat = subprocess.Popen([*COMMAND, "beat", "--loglevel", "WARNING"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    worker = subprocess.Popen([*COMMAND, "worker", "--concurrency", "1", "--loglevel", "WARNING"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        # Nobody calls the relay here: only the beat's schedule makes the notices go out.
        sent = wait_until(lambda: _rows(db_engine) and all(r.status == "sent" for r in _rows(db_engine)),
                          timeout=60, interval=1.0)
        assert beat.poll() is None, beat.communicate(timeout=10)[1][-3000:]
        assert sent, _rows(db_engine)
    finally:
        for p in (beat, worker):
            p.terminate()
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
    assert var.is_dir()
