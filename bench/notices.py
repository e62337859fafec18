"""Notice delivery and the reminder scan.

``python -m bench.notices delivery [--n 1000]``: notices delivered per second end to end —
outbox rows relayed through Redis to a real Celery worker (two processes), rendered,
built and sent to a local SMTP sink (aiosmtpd on 127.0.0.1), each row marked sent —
against the throughput of a no-op Celery task on the same broker and the same worker (two
processes for both) in the same run. Every notice is a letter of its own (its own case
title, fifty recipients in turn), so nothing a worker remembers between messages makes
the measure easier than a real outbox. Prints ``ratio delivery/noop-task = X``.

``python -m bench.notices scan [--rows 1000000] [--rounds 3]``: the reminder scan with a
million deadline rows on PostgreSQL (most of them closed, as years of cases leave them):
the query plan's verdict (it must use the partial index on open deadlines), the query's
time against a plain count of the open rows through that index, and the reminders the
full scan writes per second (the scan's whole run: its reads, the steps, the letters'
contexts and the writes) against one bulk INSERT of the same rows through the same
engine, in turns, on an emptied outbox each time. Prints ``ratio scan/bulk-insert = X``
(the median of the rounds' ratios), then runs the scan once more: it must write nothing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from rich.progress import Progress
from sqlalchemy import delete, func, insert, select, text

from bench.lifecycles import postgres_target, sqlite_target
from config import Settings
from db.models import Notice
from db.session import new_session
from workflow.calendar.clock import JST, MovableClock
from workflow.engine.outbox import encode

REDIS = os.environ.get("KYODO_BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
RECIPIENTS = 50


def _sink():
    from aiosmtpd.controller import Controller

    class Count:
        n = 0

        async def handle_DATA(self, server, session, envelope):
            Count.n += 1
            return "250 OK"

    port = _free_port()
    controller = Controller(Count(), hostname="127.0.0.1", port=port)
    controller.start()
    return controller, Count, port


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _worker(env: dict) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "celery", "-A", "notifications.celery_app", "worker", "--concurrency=2",
           "--loglevel=WARNING", "--without-heartbeat", "--without-mingle", "--without-gossip"]
    return subprocess.Popen(cmd, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def delivery(n: int, rounds: int, db: str) -> None:
    import redis

    from config.settings import get_settings
    from notifications.celery_app import reconfigure
    from notifications.samples import sample_context
    from notifications.tasks import noop, relay

    try:
        redis.Redis.from_url(REDIS, socket_connect_timeout=2).ping()
    except Exception as exc:  # noqa: BLE001
        print(f"[delivery] skipped: Redis at {REDIS} is unreachable ({exc})")
        return
    workdir = Path(tempfile.mkdtemp(prefix="kyodo-bench-"))
    target = postgres_target() if db == "postgres" else sqlite_target(workdir)
    if target is None:
        return
    print(f"database: {target.name}; broker: {REDIS}; worker: 2 processes; SMTP sink on 127.0.0.1")
    controller, sink, port = _sink()
    env = {
        "KYODO_DATABASE_URL": target.db.url.render_as_string(hide_password=False),
        "KYODO_BROKER_URL": REDIS, "KYODO_MAIL_TRANSPORT": "smtp", "KYODO_SMTP_PORT": str(port),
        "KYODO_VAR_DIR": str(workdir), "KYODO_BENCH_COUNTER": "1",
    }
    os.environ.update(env)
    get_settings.cache_clear()
    reconfigure(get_settings())
    r = redis.Redis.from_url(REDIS)
    r.flushdb()
    # Every notice a letter of its own, as a city's outbox holds them: a case title of its
    # own, and fifty people to write to.
    from workflow import directory

    with new_session(target.db) as s:
        people = [(directory.add_user(s, f"bench{k}", f"ベンチ 太郎{k}", f"bench{k}@example.jp", ("secretariat",)),
                   f"ベンチ 太郎{k}", f"bench{k}@example.jp") for k in range(RECIPIENTS)]
        s.commit()
    letter = sample_context("decision")

    def notices(now: datetime, start: int) -> list[dict]:
        rows = []
        for i in range(start, start + n):
            uid, name, email = people[i % RECIPIENTS]
            context = {**letter, "recipient_name": name,
                       "proposal": {**letter["proposal"], "title": f"{letter['proposal']['title']}（その{i}）"}}
            rows.append(dict(kind="decision", recipient_id=uid, email=email, language="ja", context=encode(context),
                             status="pending", attempts=0, next_attempt_at=now, created_at=now))
        return rows

    worker = _worker(env)
    delivered, baseline = [], []
    try:
        time.sleep(3)  # let the worker connect
        with Progress() as progress:
            bar = progress.add_task("delivery vs no-op", total=rounds * 2)
            for round_no in range(rounds):
                with new_session(target.db) as s:
                    s.execute(insert(Notice), notices(datetime.now(timezone.utc), round_no * n))
                    s.commit()
                before = sink.n
                t0 = time.perf_counter()
                relay.delay()
                last_relay = time.perf_counter()
                while sink.n - before < n:
                    time.sleep(0.01)
                    if time.perf_counter() - last_relay > 1.0:  # what the beat does
                        relay.delay()
                        last_relay = time.perf_counter()
                with new_session(target.db) as s:
                    while s.execute(select(func.count()).select_from(Notice).where(Notice.status != "sent")).scalar_one():
                        time.sleep(0.01)
                        s.rollback()
                delivered.append(n / (time.perf_counter() - t0))
                progress.advance(bar)

                r.delete("kyodo:bench:noop")
                t0 = time.perf_counter()
                for i in range(n):
                    noop.delay(i, "kyodo:bench:noop")
                while int(r.get("kyodo:bench:noop") or 0) < n:
                    time.sleep(0.01)
                baseline.append(n / (time.perf_counter() - t0))
                progress.advance(bar)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        controller.stop()
        target.cleanup()
    d, b = statistics.median(delivered), statistics.median(baseline)
    print(f"notices delivered end to end: {d:.0f}/s  (rounds: {', '.join(f'{x:.0f}' for x in delivered)})")
    print(f"no-op Celery tasks:           {b:.0f}/s  (rounds: {', '.join(f'{x:.0f}' for x in baseline)})")
    print(f"per-round ratios: {' '.join(f'{x / y:.2f}' for x, y in zip(delivered, baseline))}")
    print(f"ratio delivery/noop-task = {d / b:.2f}")


SCAN_SQL = (
    "SELECT deadline.id FROM deadline JOIN proposal ON proposal.id = deadline.proposal_id "
    "WHERE deadline.closed_at IS NULL AND deadline.due_on <= :horizon ORDER BY deadline.due_on, deadline.id"
)


def scan_bench(rows: int, open_rows: int, rounds: int) -> None:
    from notifications.reminders import HORIZON_DAYS, scan

    target = postgres_target()
    if target is None:
        return
    try:
        proposals = max(1, rows // 10)
        raw = target.db.raw_connection()
        try:
            cur = raw.cursor()
            now = datetime(2026, 4, 6, tzinfo=timezone.utc)
            cur.execute("INSERT INTO organisation (name, kind, representative_title, representative_name, email, address,"
                        " created_at) VALUES ('団体', 'npo', '代表', '山田', '', '', %s)", (now,))
            cur.execute("INSERT INTO department (code, name_ja, name_en, owner_kind, owner_name) "
                        "VALUES ('d', '課', '', 'bureau', '局')")
            cur.execute('INSERT INTO "user" (login, name, email, language, department_id, is_department_head, active,'
                        " created_at) VALUES ('s', '田中', 's@city.jp', 'ja', 1, false, true, %s)", (now,))
            cur.execute("INSERT INTO userrole (user_id, role) VALUES (1, 'secretariat')")
            print(f"inserting {proposals:,} proposals and {rows:,} deadline rows ({open_rows:,} open) …", flush=True)
            with cur.copy("COPY proposal (lifecycle, lifecycle_version, state, version, organisation_id, department_id,"
                          " revision, created_by, created_at, updated_at, cancelled, title, purpose, content,"
                          " proposed_roles, confidential_fields) FROM STDIN") as copy:
                for i in range(proposals):
                    copy.write_row(("citizen_proposal", 1, "submitted", 1, 1, 1, 1, 1, now, now, False,
                                    f"案件{i}", "", "", "", "[]"))
            start = date(2024, 4, 1)
            with Progress() as progress, cur.copy(
                "COPY deadline (proposal_id, key, scope, waits_on, due_on, opened_at, closed_at) FROM STDIN"
            ) as copy:
                bar = progress.add_task("deadline rows", total=rows)
                step = max(1, rows // open_rows)
                for i in range(rows):
                    is_open = i % step == 0
                    due = start + timedelta(days=i % 1460)
                    # An open row per (proposal, key, scope) at most: scope makes each unique.
                    copy.write_row((1 + i % proposals, "receipt", str(i), "secretariat", due, now,
                                    None if is_open else now))
                    if i % 50_000 == 0:
                        progress.update(bar, completed=i)
                progress.update(bar, completed=rows)
            raw.commit()
            cur.execute("ANALYZE deadline")
            cur.execute("ANALYZE proposal")
            raw.commit()
        finally:
            raw.close()
        today = date(2026, 4, 6)
        horizon = today + timedelta(days=HORIZON_DAYS)
        with target.db.connect() as conn:
            plan = "\n".join(r[0] for r in conn.execute(text("EXPLAIN ANALYZE " + SCAN_SQL), {"horizon": horizon}))
            # Either partial index on open deadlines will do; a Seq Scan on deadline will not.
            uses_index = "using ix_deadline_open" in plan and "Seq Scan on deadline" not in plan
            t0 = time.perf_counter()
            for _ in range(5):
                conn.execute(text("SELECT count(*) FROM deadline WHERE closed_at IS NULL AND due_on <= :h"),
                             {"h": horizon}).scalar()
            count_ms = (time.perf_counter() - t0) / 5 * 1000
            t0 = time.perf_counter()
            for _ in range(5):
                conn.execute(text(SCAN_SQL), {"horizon": horizon}).all()
            query_ms = (time.perf_counter() - t0) / 5 * 1000
        print(plan)
        print(f"query plan verdict: {'uses a partial index on open deadlines' if uses_index else 'DOES NOT use the index'}")
        print(f"scan query over {rows:,} rows: {query_ms:.1f} ms (count through the index: {count_ms:.1f} ms; "
              f"ratio query/count = {query_ms / count_ms:.2f})")
        clock = MovableClock(datetime(2026, 4, 6, 9, tzinfo=JST))
        scan_rates, insert_rates, ratios, written = [], [], [], 0
        with Progress() as progress:
            bar = progress.add_task("scan vs bulk INSERT", total=rounds * 2)
            for _ in range(rounds):
                with new_session(target.db) as s:
                    s.execute(delete(Notice))
                    s.commit()
                    t0 = time.perf_counter()
                    written = scan(s, clock, Settings())
                    scan_s = time.perf_counter() - t0
                    progress.advance(bar)
                    # The same rows, as the scan wrote them, written again by one bulk INSERT.
                    table = Notice.__table__
                    same = [dict(r._mapping) for r in s.execute(select(*(c for c in table.c if c.name != "id")))]
                    s.execute(delete(Notice))
                    s.commit()
                with target.db.connect() as conn:
                    t0 = time.perf_counter()
                    conn.execute(insert(table), same)
                    conn.commit()
                    insert_s = time.perf_counter() - t0
                progress.advance(bar)
                scan_rates.append(written / scan_s)
                insert_rates.append(len(same) / insert_s)
                ratios.append(scan_rates[-1] / insert_rates[-1])
        with new_session(target.db) as s:
            t0 = time.perf_counter()
            again = scan(s, clock, Settings())
            second_ms = (time.perf_counter() - t0) * 1000
        sr, ir = statistics.median(scan_rates), statistics.median(insert_rates)
        print(f"full scan: {written:,} reminders written, {sr:,.0f}/s = {written / sr:.2f} s "
              f"(rounds: {', '.join(f'{x:,.0f}' for x in scan_rates)})")
        print(f"bulk INSERT of the same rows: {ir:,.0f}/s = {written / ir:.2f} s "
              f"(rounds: {', '.join(f'{x:,.0f}' for x in insert_rates)})")
        # Each round pairs a scan with the INSERT that follows it, so both meet the same load.
        print(f"per-round ratios: {' '.join(f'{x:.2f}' for x in ratios)}")
        print(f"ratio scan/bulk-insert = {statistics.median(ratios):.2f}")
        print(f"full scan, run again (nothing new to write): {second_ms:.0f} ms, {again} written")
    finally:
        target.cleanup()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.notices", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="what", required=True)
    d = sub.add_parser("delivery")
    d.add_argument("--n", type=int, default=1000)
    d.add_argument("--rounds", type=int, default=3)
    d.add_argument("--db", choices=("sqlite", "postgres"), default="postgres")
    s = sub.add_parser("scan")
    s.add_argument("--rows", type=int, default=1_000_000)
    s.add_argument("--open", type=int, default=10_000)
    s.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    if args.what == "delivery":
        delivery(args.n, args.rounds, args.db)
    else:
        scan_bench(args.rows, args.open, args.rounds)
    print(f"wall time: {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
