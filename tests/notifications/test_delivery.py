"""Notices travel from the engine's outbox through a real Celery worker to a real SMTP server."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from db.models import Notice
from db.session import new_session
from notifications.tasks import relay, scan_reminders
from tests.conftest import REDIS_URL
from tests.notifications.conftest import env_for_subprocess, use_broker, wait_until
from tests.support import SCORES
from workflow.calendar.clock import JST

REASONS = "地域の環境保全に資する継続的な取組であるため。\n審査員の評価も高い。"


def statuses(engine) -> dict[str, int]:
    with new_session(engine) as s:
        return dict(s.execute(select(Notice.status, func.count()).group_by(Notice.status)).all())


def errors(engine) -> list:
    with new_session(engine) as s:
        return s.execute(select(Notice.id, Notice.status, Notice.attempts, Notice.last_error)).all()


def decision_for(world, title="川辺の清掃") -> int:
    pid = world.new_proposal(title=title)
    world.to_awaiting_decision(pid)
    world.do(pid, "adopt", "approver", reasons=REASONS)
    return pid


def test_decision_notice_arrives_exactly_once(world, db_engine, smtp_sink, celery_worker_thread):
    decision_for(world)
    relay.delay()
    wait_until(lambda: statuses(db_engine).get("sent", 0) and not statuses(db_engine).get("queued"))
    relay.delay()  # a second relay must not send anything again
    time.sleep(1.0)
    decisions = [m for m in smtp_sink.messages if "（通知）" in m["Subject"]]
    to_proposer = [m for m in decisions if "p@example.jp" in m["To"]]
    assert len(to_proposer) == 1
    body = to_proposer[0].get_body(("plain",)).get_content()
    assert REASONS in body.replace("\r\n", "\n")
    assert "令和8年" in body
    assert "市市協第1号" in body
    ids = [m["Message-ID"] for m in smtp_sink.messages]
    assert len(ids) == len(set(ids)), "a message was delivered twice"
    assert statuses(db_engine) == {"sent": len(smtp_sink.messages)}


def test_title_cannot_inject_a_header_and_html_is_escaped(world, db_engine, smtp_sink, celery_worker_thread):
    pid = world.new_proposal(title="<script>alert(1)</script>\r\nBcc: evil@example.com")
    world.do(pid, "submit", "proposer")
    relay.delay()
    received = smtp_sink.wait_for(2)  # the group's two contact people
    assert sorted(smtp_sink.recipients) == [["p@example.jp"], ["r4@city.jp"]]  # nobody added to the envelope
    message = received[0]
    assert "Bcc" not in message.keys()
    assert "Bcc: evil@example.com" in message["Subject"]  # the text stays, as text
    html = message.get_body(("html",)).get_content()
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_redis_flush_loses_no_notice(world, db_engine, smtp_sink, monkeypatch, kyodo_env, redis_url):
    import redis

    from config.settings import get_settings

    use_broker(monkeypatch, kyodo_env, redis_url)
    decision_for(world)
    monkeypatch.setenv("KYODO_NOTICE_LEASE_SECONDS", "1")
    get_settings.cache_clear()
    assert relay() > 0  # run here: rows are claimed and their deliveries wait in Redis
    assert statuses(db_engine).get("queued")
    redis.Redis.from_url(redis_url).flushdb()  # as if Redis restarted without persistence
    time.sleep(1.2)
    from celery.contrib.testing.worker import start_worker

    from notifications.celery_app import app

    with start_worker(app, pool="solo", perform_ping_check=False, loglevel="WARNING"):
        relay.delay()  # the beat's next relay finds the rows whose lease ran out
        assert wait_until(lambda: set(statuses(db_engine)) == {"sent"}, timeout=30)
    expected = statuses(db_engine)["sent"]
    assert len(smtp_sink.messages) == expected


@pytest.mark.slow
def test_worker_killed_mid_delivery_loses_nothing_and_sends_nothing_twice(
    world, db_engine, smtp_sink, monkeypatch, kyodo_env, redis_url
):
    use_broker(monkeypatch, kyodo_env, redis_url)
    pid = world.new_proposal()
    world.do(pid, "submit", "proposer")  # receipts to the group's two contacts
    env = env_for_subprocess({**kyodo_env, "KYODO_NOTICE_LEASE_SECONDS": "2"})
    hold = smtp_sink.hold = threading.Event()
    cmd = [sys.executable, "-m", "celery", "-A", "notifications.celery_app", "worker", "--pool=solo",
           "--loglevel=WARNING", "--without-heartbeat", "--without-mingle", "--without-gossip"]
    first = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        relay.delay()
        assert wait_until(lambda: statuses(db_engine).get("sending"), timeout=60), "delivery never started"
        first.send_signal(signal.SIGKILL)  # dies while the SMTP server holds the message
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            first.kill()
    hold.set()
    time.sleep(2.5)  # the lease of the dead worker's claim runs out
    second = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        def beat_relays_until_all_sent():
            relay.delay()  # what the beat does every few seconds
            return statuses(db_engine) == {"sent": 2}

        assert wait_until(beat_relays_until_all_sent, timeout=60, interval=1.0), errors(db_engine)
        time.sleep(1.0)
    finally:
        second.terminate()
        second.wait(timeout=20)
    assert len(smtp_sink.messages) == 2
    assert len({m["Message-ID"] for m in smtp_sink.messages}) == 2


def test_refused_notice_is_marked_failed_and_can_be_resent(world, db_engine, smtp_sink, celery_worker_thread):
    from notifications import outbox
    from workflow.calendar.clock import SystemClock

    smtp_sink.refuse = True
    pid = world.new_proposal()
    world.do(pid, "submit", "proposer")
    relay.delay()
    assert wait_until(lambda: statuses(db_engine) == {"failed": 2})  # 550 is final: no retries
    with new_session(db_engine) as s:
        failed = outbox.failed(s)
        assert all("550" in n.last_error and n.attempts == 1 for n in failed)
        smtp_sink.refuse = False
        assert all(outbox.resend(s, n.id, SystemClock().now()) for n in failed)
        assert not outbox.resend(s, failed[0].id, SystemClock().now())  # not failed any more
    relay.delay()
    assert wait_until(lambda: statuses(db_engine) == {"sent": 2})
    assert len(smtp_sink.wait_for(2)) == 2


def test_two_reminder_scans_at_once_write_each_reminder_once(world, db_engine, kyodo_env):
    from config.settings import get_settings
    from notifications.reminders import scan
    from workflow.calendar.clock import MovableClock

    for i in range(5):
        pid = world.new_proposal(title=f"案件{i}")
        world.do(pid, "submit", "proposer")
    when = MovableClock(datetime(2026, 4, 13, 9, tzinfo=JST))  # the receipt deadline is today
    results: list[int] = []
    barrier = threading.Barrier(2)

    def run():
        with new_session(db_engine) as s:
            barrier.wait()
            results.append(scan(s, when, get_settings()))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with new_session(db_engine) as s:
        reminders = s.execute(select(func.count()).select_from(Notice).where(Notice.kind == "reminder")).scalar_one()
    assert reminders == 5  # one secretariat user × five deadlines
    assert sum(results) == 5


def test_embedded_default_delivers_without_redis(world, db_engine, kyodo_env, tmp_path):
    """No Redis at all: the SQLite broker carries the same tasks to a worker Kyodo starts."""
    decision_for(world)
    env = env_for_subprocess({**kyodo_env, "KYODO_MAIL_TRANSPORT": "file"})
    env.pop("KYODO_BROKER_URL", None)
    code = ("import sys; from config import get_settings; "
            "assert get_settings().effective_broker_url.startswith('kyodo+sqlite'); "
            "from notifications.embedded import drain; sys.exit(drain(timeout=60))")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    files = list((tmp_path / "var" / "mail").glob("*.eml"))
    assert len(files) == statuses(db_engine)["sent"] > 0
    from email import message_from_bytes, policy

    bodies = [message_from_bytes(f.read_bytes(), policy=policy.default).get_body(("plain",)).get_content()
              for f in files]
    assert sum("第10条第2項" in b and REASONS in b.replace("\r\n", "\n") for b in bodies) >= 1


def test_reminders_reach_people_through_the_worker_and_stop_when_the_case_moves(
    world, db_engine, smtp_sink, celery_worker_thread
):
    """The beat's scan task, run by the real worker at moved times, mails the right people."""
    pid = world.new_proposal()
    world.to_under_review(pid)  # review due 20 April 2026 (10 business days after 6 April)
    relay.delay()
    smtp_sink.wait_for(4)  # receipts and review requests
    smtp_sink.messages.clear()
    smtp_sink.recipients.clear()

    def reminders_sent():
        with new_session(db_engine) as s:
            return s.execute(select(func.count()).select_from(Notice)
                             .where(Notice.kind == "reminder", Notice.status == "sent")).scalar_one()

    def scan_at(day: date, expect: int):
        when = datetime(day.year, day.month, day.day, 9, tzinfo=JST).isoformat()
        scan_reminders.delay(when)
        assert wait_until(lambda: reminders_sent() >= expect, timeout=30), (day, reminders_sent())

    scan_at(date(2026, 4, 15), 2)  # three business days before: both reviewers
    scan_at(date(2026, 4, 23), 5)  # three business days late: both reviewers and the secretariat
    assert sorted(r[0] for r in smtp_sink.recipients[-3:]) == ["r1@city.jp", "r2@city.jp", "s@city.jp"]
    world.do(pid, "submit_review", "reviewer1", **SCORES)
    world.do(pid, "submit_review", "reviewer2", **SCORES)
    world.do(pid, "finish_review", "secretariat")
    def about_review() -> int:
        with new_session(db_engine) as s:
            rows = s.execute(select(Notice.context).where(Notice.kind == "reminder")).scalars()
            return sum(c["deadline"]["label_en"] == "Review" for c in rows)

    before = about_review()
    scan_reminders.delay(datetime(2026, 4, 28, 9, tzinfo=JST).isoformat())
    scan_reminders.delay(datetime(2026, 5, 20, 9, tzinfo=JST).isoformat())
    time.sleep(3)
    assert about_review() == before == 5  # the review deadline closed: no more reminders about it
