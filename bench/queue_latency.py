"""The reviewer queue page with 100,000 proposals on PostgreSQL: p50 and p95 latency,
as ratios against a trivial page of the same server in the same run.

A fresh schema is migrated and filled by COPY (not through the engine): 100,000 cases
spread over every state, their deadline rows (open and closed), two reviewers per case
from review on, and the reviews already written; each case's trail, a coordination note,
and the decision, contract and partner of the cases that went that far (what the case
page and the public list read; ``bench.load`` uses the same city). The server runs as it would in
production (``uvicorn web.app:create_app --factory`` in its own process); requests come
over HTTP with keep-alive, queue and baseline interleaved so both share the noise.

Measured: the first page of the busiest reviewer's queue, a page deep inside it (by
keyset cursor), the queue filtered by field, and the approver's queue (the largest),
each against the login page (a template and the middleware, no query). The queue is
measured on the schema as the migrations leave it, and again with the index the
queue's order needs (printed), so the difference is seen in the same run.

Run: python -m bench.queue_latency [--url postgresql://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone

import httpx
from sqlalchemy import text

from db.migrate import upgrade
from db.session import make_engine
from states import get_lifecycle

LC = get_lifecycle("citizen_proposal", 1)  # the cases are filled as version 1 cases
N_PROPOSALS = 100_000
N_REVIEWERS = 40
N_ORGS = 2_000
N_DEPTS = 20
PASSWORD = "bench-password-123"

# Share of the cases in each state (a city with a long history and a busy year).
MIX = {"draft": 8, "submitted": 4, "under_review": 20, "in_coordination": 8, "revision_requested": 4,
       "awaiting_decision": 6, "not_adopted": 12, "withdrawn": 6, "contracting": 4, "in_progress": 12,
       "evaluating": 4, "closed": 12}
PAST_REVIEW = {"in_coordination", "revision_requested", "awaiting_decision", "not_adopted", "contracting",
               "in_progress", "evaluating", "closed"}
BEFORE_DECISION = {"submitted", "under_review", "in_coordination", "revision_requested", "awaiting_decision"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def columns(conn, table: str) -> dict[str, tuple[bool, bool]]:
    """name → (nullable, has default), to fill every NOT NULL column the schema has today."""
    rows = conn.execute(text(
        "SELECT column_name, is_nullable = 'YES', column_default IS NOT NULL FROM information_schema.columns "
        "WHERE table_name = :t AND table_schema = current_schema()"), {"t": table}).all()
    return {name: (nullable, default) for name, nullable, default in rows}


def copy(raw, table: str, cols: list[str], rows) -> int:
    n = 0
    with raw.cursor() as cur:
        with cur.copy(f'COPY "{table}" ({", ".join(cols)}) FROM STDIN') as cp:
            for row in rows:
                cp.write_row(row)
                n += 1
    return n


def fill(engine) -> dict:
    """Write the city by COPY; returns who to log in as."""
    from workflow.accounts import hash_password

    rng = random.Random(20260406)
    now = datetime(2026, 11, 24, 0, tzinfo=timezone.utc)
    today = now.date()
    with engine.connect() as conn:
        known = {t: columns(conn, t) for t in ("proposal", "user", "organisation", "deadline")}
    raw = engine.raw_connection()
    dbapi = raw.driver_connection
    pw = hash_password(PASSWORD)
    try:
        copy(dbapi, "department", ["id", "code", "name_ja", "name_en", "owner_kind", "owner_name"],
             ((i, f"d{i}", f"第{i}課", f"Division {i}", "bureau", "局") for i in range(1, N_DEPTS + 1)))
        copy(dbapi, "organisation", ["id", "name", "kind", "representative_title", "representative_name", "email",
                                     "address", "created_at"],
             ((i, f"団体{i}", "npo", "代表", f"代表者{i}", f"org{i}@example.jp", "", now)
              for i in range(1, N_ORGS + 1)))
        users = []
        uid = 0

        def user(login, name, dept=None):
            nonlocal uid
            uid += 1
            users.append((uid, login, name, f"{login}@example.jp", "ja", dept, False, pw, True, now))
            return uid

        secretariat = user("secretariat", "事務局")
        approver = user("approver", "決裁者")
        reviewers = [user(f"rev{i}", f"審査員{i}") for i in range(N_REVIEWERS)]
        staff = [user(f"dept{i}", f"所管課{i}", i) for i in range(1, N_DEPTS + 1)]
        proposers = [user(f"org{i}", f"団体員{i}") for i in range(1, N_ORGS + 1)]
        copy(dbapi, "user", ["id", "login", "name", "email", "language", "department_id", "is_department_head",
                             "password_hash", "active", "created_at"], users)
        roles = ([(secretariat, "secretariat"), (approver, "approver")] + [(r, "reviewer") for r in reviewers]
                 + [(s, "department") for s in staff] + [(p, "proposer") for p in proposers])
        copy(dbapi, "userrole", ["user_id", "role"], roles)
        copy(dbapi, "membership", ["organisation_id", "user_id", "is_contact"],
             ((i + 1, p, True) for i, p in enumerate(proposers)))

        states = [s for s, share in MIX.items() for _ in range(share)]
        proposals, deadlines, assignments, reviews = [], [], [], []
        did = 0
        for pid in range(1, N_PROPOSALS + 1):
            state = rng.choice(states)
            org = rng.randint(1, N_ORGS)
            dept = rng.randint(1, N_DEPTS) if state not in ("draft", "submitted") else None
            created = now - timedelta(days=rng.randint(1, 1500))
            field = rng.randint(1, 12)
            proposals.append((pid, "citizen_proposal", LC.version, state, 5, org, dept, 1, proposers[org - 1], created, created,
                              None if state == "draft" else created, f"提案{pid}：地域の協働事業",
                              "目的", "内容", field, "役割", 1_000_000, "subsidy", "[]", False))
            if state == "draft":
                continue
            # Closed history: the deadlines of the states the case has passed.
            for key in ("receipt", "review", "coordination")[: rng.randint(1, 3)]:
                did += 1
                deadlines.append((did, pid, key, "", LC.deadline(key).waits_on, created.date() + timedelta(days=10),
                                  created, created + timedelta(days=5)))
            st = LC.state(state)
            if st.deadline and not st.final:
                did += 1
                due = today + timedelta(days=rng.randint(-30, 60))
                deadlines.append((did, pid, st.deadline, "", LC.deadline(st.deadline).waits_on, due, created, None))
            if state in BEFORE_DECISION:
                did += 1
                deadlines.append((did, pid, "decision", "", "approver", today + timedelta(days=rng.randint(-10, 80)),
                                  created, None))
            if state == "under_review" or state in PAST_REVIEW:
                pair = rng.sample(reviewers, 2)
                for r in pair:
                    assignments.append((pid, r, created))
                done = pair if state in PAST_REVIEW else pair[:1] if rng.random() < 0.3 else []
                for r in done:
                    reviews.append((pid, r, 1, 4, 4, 3, 4, "妥当", created))
        pcols = ["id", "lifecycle", "lifecycle_version", "state", "version", "organisation_id", "department_id", "revision",
                 "created_by", "created_at", "updated_at", "submitted_at", "title", "purpose", "content", "field",
                 "proposed_roles", "estimated_cost_yen", "desired_contract_form", "confidential_fields", "cancelled"]
        missing = [c for c, (nullable, default) in known["proposal"].items()
                   if not nullable and not default and c not in pcols]
        if missing:
            raise SystemExit(f"the proposal table has NOT NULL columns this benchmark does not fill: {missing}")
        copy(dbapi, "proposal", pcols, proposals)
        copy(dbapi, "deadline", ["id", "proposal_id", "key", "scope", "waits_on", "due_on", "opened_at",
                                 "closed_at"], deadlines)
        copy(dbapi, "reviewassignment", ["proposal_id", "reviewer_id", "assigned_at"], assignments)
        copy(dbapi, "review", ["proposal_id", "reviewer_id", "revision", "score_technique", "score_expertise",
                               "score_quality", "score_capability", "comment", "submitted_at"], reviews)
        history(dbapi, proposals, approver=approver, staff=staff, secretariat=secretariat)
        with dbapi.cursor() as cur:
            for table in ("department", "organisation", "user", "proposal", "deadline", "review", "decision",
                          "contract", "auditevent", "casenote"):
                cur.execute(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                            f"(SELECT max(id) FROM \"{table}\"))")
        dbapi.commit()
    finally:
        raw.close()
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
        busiest = conn.execute(text(
            "SELECT u.login, count(*) FROM reviewassignment ra JOIN \"user\" u ON u.id = ra.reviewer_id "
            "JOIN proposal p ON p.id = ra.proposal_id WHERE p.state = 'under_review' AND NOT EXISTS "
            "(SELECT 1 FROM review r WHERE r.proposal_id = p.id AND r.reviewer_id = ra.reviewer_id) "
            "GROUP BY u.login ORDER BY count(*) DESC LIMIT 1")).one()
        counts = dict(conn.execute(text("SELECT 'deadline', count(*) FROM deadline UNION ALL "
                                        "SELECT 'proposal', count(*) FROM proposal")).all())
    return {"reviewer": busiest[0], "reviewer_waiting": busiest[1], **counts}


# The path a case took to its state, as its history shows it (trigger, from, to).
PATH = [("create", "draft", "draft"), ("submit", "draft", "submitted"), ("start_review", "submitted", "under_review"),
        ("finish_review", "under_review", "in_coordination"),
        ("refer_for_decision", "in_coordination", "awaiting_decision"), ("adopt", "awaiting_decision", "contracting"),
        ("conclude_contract", "contracting", "in_progress"), ("complete", "in_progress", "evaluating"),
        ("publish_final_evaluation", "evaluating", "closed")]
STEPS = {"draft": 1, "submitted": 2, "under_review": 3, "in_coordination": 4, "awaiting_decision": 5, "contracting": 6,
         "in_progress": 7, "evaluating": 8, "closed": 9}
LAST_STEP = {"revision_requested": (4, ("request_revision", "in_coordination", "revision_requested")),
             "not_adopted": (5, ("reject", "awaiting_decision", "not_adopted")),
             "withdrawn": (2, ("withdraw", "submitted", "withdrawn"))}
ADOPTED = {"contracting", "in_progress", "evaluating", "closed"}
CONTRACTED = {"in_progress", "evaluating", "closed"}


def history(dbapi, proposals: list[tuple], *, approver: int, staff: list[int], secretariat: int) -> None:
    """What the case pages and the public pages read besides the case: its trail, notes,
    decision, contract and partners (the rows a case that went that far has)."""
    events, notes, decisions, contracts, partners = [], [], [], [], []
    roles = {"create": "proposer", "submit": "proposer", "start_review": "secretariat", "finish_review": "secretariat",
             "refer_for_decision": "department", "adopt": "approver", "reject": "approver",
             "conclude_contract": "department", "complete": "department", "publish_final_evaluation": "secretariat",
             "request_revision": "department", "withdraw": "proposer"}
    for row in proposals:
        pid, state, org, dept, proposer, created = row[0], row[3], row[5], row[6], row[8], row[9]
        n, last = LAST_STEP[state] if state in LAST_STEP else (STEPS[state], None)
        steps = PATH[:n] + ([last] if last else [])
        for seq, (trigger, source, dest) in enumerate(steps, start=1):
            role = roles[trigger]
            actor = {"proposer": proposer, "secretariat": secretariat, "approver": approver}.get(
                role, staff[(dept or 1) - 1])
            events.append((pid, seq, trigger, source, dest, actor, role, 1, "{}", created + timedelta(days=seq)))
        if STEPS.get(state, 4) >= 4:
            notes.append((pid, "coordination", "団体と打合せを行い、役割分担を確認した。", staff[(dept or 1) - 1],
                          created + timedelta(days=4)))
        if state in ADOPTED or state == "not_adopted":
            decisions.append((pid, pid, "adopted" if state in ADOPTED else "not_adopted", "公益性が高いため",
                              approver, "市市協", 2026, pid, f"市市協第{pid}号", created + timedelta(days=6)))
        if state in CONTRACTED:
            start = created.date() + timedelta(days=10)
            contracts.append((pid, pid, "entrustment", "目的", "工程", "役割分担", "費用分担", "責任分担", start,
                              start + timedelta(days=365), 1_000_000, False, "", 0, staff[(dept or 1) - 1],
                              created + timedelta(days=7)))
            partners.append((pid, org))
    copy(dbapi, "auditevent", ["proposal_id", "seq", "trigger", "from_state", "to_state", "actor_id", "actor_role",
                               "revision", "inputs", "at"], events)
    copy(dbapi, "casenote", ["proposal_id", "kind", "text", "author_id", "created_at"], notes)
    copy(dbapi, "decision", ["id", "proposal_id", "outcome", "reasons", "decided_by", "document_prefix",
                             "fiscal_year", "serial", "document_number", "decided_at"], decisions)
    copy(dbapi, "contract", ["id", "proposal_id", "form", "purpose", "process", "role_sharing", "cost_sharing",
                             "responsibility_sharing", "period_start", "period_end", "amount_yen", "exempt",
                             "exemption_reason", "amendments", "concluded_by", "concluded_at"], contracts)
    copy(dbapi, "contractpartner", ["contract_id", "organisation_id"], partners)


class Server:
    """The web application in its own processes, as ``kyodo serve`` runs it (uvicorn, the same
    app factory), without access logs; ``workers`` processes share the port (uvicorn ``--workers``)."""

    def __init__(self, url: str, workers: int = 1, redis_url: str = ""):
        self.port = free_port()
        env = dict(os.environ, KYODO_DATABASE_URL=url, KYODO_SECRET_KEY="b" * 48, KYODO_ENV="test",
                   KYODO_BROKER_URL=redis_url, KYODO_REDIS_URL=redis_url)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "web.app:create_app", "--factory", "--host", "127.0.0.1",
             "--port", str(self.port), "--log-level", "warning", "--no-access-log", "--workers", str(workers),
             # As behind a reverse proxy that keeps its connections to the application open: a
             # client that waits longer than uvicorn's default 5 s must not find its connection closed.
             "--timeout-keep-alive", "120"],
            env=env)
        self.base = f"http://127.0.0.1:{self.port}"
        end = time.monotonic() + 30
        while time.monotonic() < end:
            try:
                httpx.get(self.base + "/login", timeout=1)
                return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise SystemExit("the server did not start")

    def cpu_seconds(self) -> float:
        """CPU time (user + system) used so far by the server and its worker processes."""
        tick = os.sysconf("SC_CLK_TCK")
        total = 0.0
        for pid in [self.proc.pid, *self._children()]:
            try:
                fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
        return total

    def _children(self) -> list[int]:
        try:
            return [int(p) for p in open(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read().split()]
        except OSError:
            return []

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


def login(base: str, who: str) -> httpx.Client:
    c = httpx.Client(base_url=base, timeout=30)
    token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text).group(1)
    r = c.post("/login", data={"login": who, "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 303, r.text[:300]
    return c


def measure(pairs: list[tuple[str, httpx.Client, str]], rounds: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {name: [] for name, _, _ in pairs}
    for _ in range(10):  # warm-up: connections, caches, the first template compile
        for _, client, path in pairs:
            client.get(path)
    for _ in range(rounds):
        for name, client, path in pairs:
            t0 = time.perf_counter()
            r = client.get(path)
            times[name].append(time.perf_counter() - t0)
            assert r.status_code == 200, (name, r.status_code)
    return times


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


def report(title: str, times: dict[str, list[float]]) -> None:
    base50, base95 = pct(times["trivial"], 50), pct(times["trivial"], 95)
    print(f"\n{title}")
    print(f"  {'page':<28}{'p50 ms':>9}{'p95 ms':>9}{'p50 ratio':>11}{'p95 ratio':>11}")
    for name, values in times.items():
        p50, p95 = pct(values, 50), pct(values, 95)
        print(f"  {name:<28}{p50 * 1000:>9.2f}{p95 * 1000:>9.2f}{p50 / base50:>11.2f}{p95 / base95:>11.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=os.environ.get("KYODO_BENCH_POSTGRES_URL",
                                                         "postgresql://postgres@127.0.0.1:5432/test"))
    parser.add_argument("--rounds", type=int, default=300)
    args = parser.parse_args()

    schema = f"kyodo_bench_{uuid.uuid4().hex[:8]}"
    admin = make_engine(args.url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in args.url else "?"
    url = f"{args.url}{sep}options=-csearch_path%3D{schema}"
    engine = make_engine(url)
    server = None
    try:
        t0 = time.perf_counter()
        upgrade(engine)
        facts = fill(engine)
        print(f"filled {facts['proposal']:,} proposals and {facts['deadline']:,} deadline rows by COPY "
              f"in {time.perf_counter() - t0:.1f} s; busiest reviewer {facts['reviewer']} has "
              f"{facts['reviewer_waiting']:,} cases waiting")
        server = Server(url)
        reviewer, approver = login(server.base, facts["reviewer"]), login(server.base, "approver")
        anonymous = httpx.Client(base_url=server.base, timeout=30)
        with engine.connect() as conn:
            row = conn.execute(text(
                "SELECT d.due_on, d.proposal_id FROM deadline d JOIN reviewassignment ra ON ra.proposal_id = "
                "d.proposal_id JOIN \"user\" u ON u.id = ra.reviewer_id AND u.login = :who WHERE d.key = 'review' "
                "AND d.closed_at IS NULL ORDER BY d.due_on, d.proposal_id OFFSET :n LIMIT 1"),
                {"who": facts["reviewer"], "n": facts["reviewer_waiting"] // 2}).one()
        deep = f"/queue?after={row.due_on.isoformat()}_{row.proposal_id}"
        pairs = [("trivial", anonymous, "/login"), ("reviewer queue, page 1", reviewer, "/queue"),
                 ("reviewer queue, deep page", reviewer, deep), ("reviewer queue, field 3", reviewer, "/queue?field=3"),
                 ("approver queue, page 1", approver, "/queue")]
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
        report("schema as migrated (partial index ix_deadline_open_key_due on the queue's order)",
               measure(pairs, args.rounds))
        print("\nratio = the page's latency / the trivial page's latency (the login form: middleware and a "
              "template, no query), same server, same run, interleaved")
    finally:
        if server:
            server.stop()
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


if __name__ == "__main__":
    main()
