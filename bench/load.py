"""The busy pages at a big city's volume, each against a trivial page of the same server.

A PostgreSQL schema is migrated and filled by COPY with 100,000 cases in every state
(``bench.queue_latency.fill``: deadlines, reviewers and reviews, the trail, notes,
decisions, contracts and partners). The web application runs in its own process(es) as
``kyodo serve`` runs it (uvicorn, the same app factory, no access log), and is asked over
real HTTP with keep-alive (httpx):

- **sequentially**: every page once per round, in turn, for ``--rounds`` rounds;
- **under load**: ``--clients`` threads, each with its own connection, asking the pages
  in turn (each thread starting at a different one) for ``--seconds``.

Pages: the reviewer's queue (first and a deep page), the department's desk (first and a
deep page), the secretariat's list (first page, a deep page, filtered by state), a case
page (a different case at every request), the public list (first and a deep page). The
trivial page is the login form: the middleware (session cookie, language, limits,
security headers) and a template, no query; ``/healthz`` is not used because it opens a
connection to the broker on every call. For each page: p50 and p95 in milliseconds, their
ratio to the trivial page's p50 and p95 measured in the same run, and the errors (any
answer but 200, or no answer).

``--compare-workers`` runs the load twice, on one web process and on two
(``uvicorn --workers 2``), and prints the throughput of each and
``ratio 2proc/1proc = X``: on a machine with fewer free cores than server processes plus
the load generator, the ratio says more about the machine than about Kyodo.

``--without-page-indexes`` drops the indexes of migration 0011 after filling, to see
what they are worth in the same conditions.

Run:
    python -m bench.load [--url postgresql://postgres@127.0.0.1:5432/kyodo_bench_pages]
                         [--rounds 50] [--clients 20] [--seconds 60] [--compare-workers]
                         [--schema NAME --keep]   (reuse a filled schema between runs)
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field

import httpx
from sqlalchemy import text

from bench.queue_latency import Server, fill, login
from db.migrate import upgrade
from db.session import make_engine

TRIVIAL = "trivial (login form)"
PAGE_INDEXES = ("ix_proposal_department_id_id", "ix_proposal_lifecycle_state_id")


@dataclass
class Page:
    name: str
    who: str | None  # login, or None for an anonymous visitor
    paths: list[str]  # one is taken at random at each request


@dataclass
class Samples:
    times: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    kinds: dict[str, int] = field(default_factory=dict)  # what the errors were
    server_cpu: float = 0.0  # CPU seconds the web processes used meanwhile
    client_cpu: float = 0.0  # CPU seconds this load generator used meanwhile
    machine_busy: float = 0.0  # share of all the machine's CPUs busy meanwhile (anyone's work)
    cpu: dict[str, float] = field(default_factory=dict)  # per page (sequential runs): the server's CPU seconds

    def add(self, name: str, seconds: float, error: str = "") -> None:
        with self.lock:
            if not error:
                self.times.setdefault(name, []).append(seconds)
            else:
                self.errors[name] = self.errors.get(name, 0) + 1
                self.kinds[error] = self.kinds.get(error, 0) + 1

    @property
    def total(self) -> int:
        return sum(len(v) for v in self.times.values()) + sum(self.errors.values())


def pages_of(engine, facts: dict) -> list[Page]:
    """The pages to ask, with addresses found in the filled database (deep pages: half-way in)."""
    with engine.connect() as conn:
        q = lambda sql, **kw: conn.execute(text(sql), kw).one()  # noqa: E731
        due, pid = q("SELECT d.due_on, d.proposal_id FROM deadline d JOIN reviewassignment ra ON ra.proposal_id = "
                     "d.proposal_id JOIN \"user\" u ON u.id = ra.reviewer_id AND u.login = :who WHERE d.key = "
                     "'review' AND d.closed_at IS NULL ORDER BY d.due_on, d.proposal_id OFFSET :n LIMIT 1",
                     who=facts["reviewer"], n=facts["reviewer_waiting"] // 2)
        dept_login, dept_mid = q("SELECT u.login, (SELECT p.id FROM proposal p WHERE p.department_id = u.department_id "
                                 "ORDER BY p.id DESC OFFSET 2000 LIMIT 1) FROM \"user\" u WHERE u.login = 'dept1'")
        all_mid = q("SELECT id FROM proposal ORDER BY id DESC OFFSET 50000 LIMIT 1")[0]
        public_mid = q("SELECT id FROM proposal WHERE state IN ('in_progress', 'closed') ORDER BY id DESC "
                       "OFFSET 15000 LIMIT 1")[0]
        cases = [r[0] for r in conn.execute(text(
            "SELECT id FROM proposal WHERE state <> 'draft' ORDER BY random() LIMIT 500"))]
    return [
        Page(TRIVIAL, None, ["/login"]),
        Page("reviewer queue, page 1", facts["reviewer"], ["/queue"]),
        Page("reviewer queue, deep page", facts["reviewer"], [f"/queue?after={due.isoformat()}_{pid}"]),
        Page("department desk, page 1", dept_login, ["/department"]),
        Page("department desk, deep page", dept_login, [f"/department?after={dept_mid}"]),
        Page("secretariat list, page 1", "secretariat", ["/secretariat"]),
        Page("secretariat list, deep page", "secretariat", [f"/secretariat?after={all_mid}"]),
        Page("secretariat list, one state", "secretariat", ["/secretariat?state=citizen_proposal:in_progress"]),
        Page("case page (secretariat)", "secretariat", [f"/proposals/{c}" for c in cases]),
        Page("public list, page 1", None, ["/public"]),
        Page("public list, deep page", None, [f"/public?after={public_mid}"]),
    ]


def clients_for(base: str, pages: list[Page]) -> dict[str | None, httpx.Client]:
    """One signed-in client per person (its cookies are copied to every load thread)."""
    out: dict[str | None, httpx.Client] = {None: httpx.Client(base_url=base, timeout=30)}
    for p in pages:
        if p.who not in out:
            out[p.who] = login(base, p.who)
    return out


def ask(client: httpx.Client, page: Page, rng: random.Random, samples: Samples) -> None:
    path = rng.choice(page.paths)
    t0 = time.perf_counter()
    try:
        status = client.get(path).status_code
        error = "" if status == 200 else f"HTTP {status}"
    except httpx.HTTPError as exc:
        error = type(exc).__name__
    samples.add(page.name, time.perf_counter() - t0, error)


def sequential(server: Server, pages: list[Page], rounds: int) -> Samples:
    logged = clients_for(server.base, pages)
    rng, samples = random.Random(1), Samples()
    for _ in range(3):  # warm-up: connections, the first template compile, the database's caches
        for p in pages:
            ask(logged[p.who], p, rng, Samples())
    for _ in range(rounds):
        for p in pages:
            cpu = server.cpu_seconds()
            ask(logged[p.who], p, rng, samples)
            # Clock ticks are 10 ms: summed over the rounds, the page's own CPU time comes out.
            samples.cpu[p.name] = samples.cpu.get(p.name, 0.0) + server.cpu_seconds() - cpu
    for c in logged.values():
        c.close()
    return samples


def under_load(server: Server, pages: list[Page], clients: int, seconds: float) -> tuple[Samples, float]:
    base = server.base
    logged = clients_for(base, pages)
    samples = Samples()
    start = threading.Barrier(clients + 1)
    stop_at = [0.0]

    def run(n: int) -> None:
        rng = random.Random(n)
        # Each thread its own connection (keep-alive), signed in as each person the pages need.
        own = {who: httpx.Client(base_url=base, timeout=30, cookies=c.cookies) for who, c in logged.items()}
        i = n
        for p in pages:  # warm-up, not counted
            ask(own[p.who], p, rng, Samples())
        start.wait()
        while time.perf_counter() < stop_at[0]:
            p = pages[i % len(pages)]
            ask(own[p.who], p, rng, samples)
            i += 1
        for c in own.values():
            c.close()

    threads = [threading.Thread(target=run, args=(n,), daemon=True) for n in range(clients)]
    for t in threads:
        t.start()
    stop_at[0] = time.perf_counter() + 3600  # until everyone has warmed up
    start.wait()
    t0, cpu0, own0, machine0 = time.perf_counter(), server.cpu_seconds(), time.process_time(), machine_cpu()
    stop_at[0] = t0 + seconds
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    samples.server_cpu = server.cpu_seconds() - cpu0
    samples.client_cpu = time.process_time() - own0
    busy, total = (b - a for a, b in zip(machine0, machine_cpu()))
    samples.machine_busy = busy / total if total else 0.0
    for c in logged.values():
        c.close()
    return samples, elapsed


def machine_cpu() -> tuple[int, int]:
    """(busy, total) clock ticks of all CPUs since boot, from /proc/stat."""
    ticks = [int(v) for v in open("/proc/stat").readline().split()[1:]]
    idle = ticks[3] + ticks[4]  # idle, iowait
    return sum(ticks) - idle, sum(ticks)


def pct(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def report(title: str, pages: list[Page], samples: Samples, elapsed: float | None = None) -> None:
    base = samples.times.get(TRIVIAL)
    print(f"\n{title}")
    cpu = bool(samples.cpu)
    print(f"  {'page':<32}{'n':>7}{'p50 ms':>9}{'p95 ms':>9}{'p50 ratio':>11}{'p95 ratio':>11}{'errors':>8}"
          + (f"{'CPU ms':>8}" if cpu else ""))
    for p in pages:
        values = samples.times.get(p.name, [])
        errors = samples.errors.get(p.name, 0)
        if not values:
            print(f"  {p.name:<32}{0:>7}{'—':>9}{'—':>9}{'—':>11}{'—':>11}{errors:>8}")
            continue
        p50, p95 = pct(values, 50), pct(values, 95)
        r50 = f"{p50 / pct(base, 50):.2f}" if base else "—"
        r95 = f"{p95 / pct(base, 95):.2f}" if base else "—"
        print(f"  {p.name:<32}{len(values):>7}{p50 * 1000:>9.1f}{p95 * 1000:>9.1f}{r50:>11}{r95:>11}{errors:>8}"
              + (f"{samples.cpu.get(p.name, 0) / (len(values) + errors) * 1000:>8.1f}" if cpu else ""))
    if elapsed:
        print(f"  throughput: {samples.total / elapsed:.1f} requests/s over {elapsed:.1f} s "
              f"({samples.total:,} requests, {sum(samples.errors.values())} errors"
              + (": " + ", ".join(f"{k} × {n}" for k, n in samples.kinds.items()) if samples.kinds else "") + ")")
        if samples.server_cpu:
            per_request = samples.server_cpu / samples.total * 1000
            print(f"  web processes' CPU: {samples.server_cpu:.1f} s = {per_request:.1f} ms "
                  f"per request on average ({samples.server_cpu / elapsed:.2f} cores busy); the load generator "
                  f"{samples.client_cpu / elapsed:.2f} cores; the whole machine {samples.machine_busy:.0%} busy "
                  f"(of {os.cpu_count()} CPUs, everyone's work)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=os.environ.get("KYODO_BENCH_POSTGRES_URL",
                                                         "postgresql://postgres@127.0.0.1:5432/test"))
    parser.add_argument("--rounds", type=int, default=50, help="sequential rounds (every page once per round)")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0, help="length of each load run")
    parser.add_argument("--workers", type=int, default=1, help="web processes for the sequential and load runs")
    parser.add_argument("--compare-workers", action="store_true",
                        help="run the load on 1 and on 2 web processes and print the throughput ratio")
    parser.add_argument("--skip-sequential", action="store_true")
    parser.add_argument("--skip-load", action="store_true")
    parser.add_argument("--without-page-indexes", action="store_true",
                        help="drop the indexes of migration 0011 after filling (to see what they are worth)")
    parser.add_argument("--schema", default="", help="use this schema (filled once, kept with --keep)")
    parser.add_argument("--keep", action="store_true", help="keep the schema for the next run")
    args = parser.parse_args()

    schema = args.schema or f"kyodo_bench_{uuid.uuid4().hex[:8]}"
    dropped: list[str] = []
    admin = make_engine(args.url)
    with admin.begin() as conn:
        exists = conn.execute(text("SELECT 1 FROM information_schema.schemata WHERE schema_name = :s"),
                              {"s": schema}).first() is not None
        if not exists:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in args.url else "?"
    url = f"{args.url}{sep}options=-csearch_path%3D{schema}"
    engine = make_engine(url)
    try:
        t0 = time.perf_counter()
        upgrade(engine)  # a kept schema gets the newest migrations too
        with engine.connect() as conn:
            filled = conn.execute(text("SELECT count(*) FROM proposal")).scalar() > 0
        if not filled:
            fill(engine)
        with engine.begin() as conn:
            if args.without_page_indexes:
                for name in PAGE_INDEXES:
                    found = conn.execute(text("SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() "
                                              "AND indexname = :n"), {"n": name}).scalar()
                    if found:
                        dropped.append(found)
                        conn.execute(text(f'DROP INDEX "{name}"'))
            conn.execute(text("ANALYZE"))
            facts = dict(zip(("reviewer", "reviewer_waiting"), conn.execute(text(
                "SELECT u.login, count(*) FROM reviewassignment ra JOIN \"user\" u ON u.id = ra.reviewer_id "
                "JOIN proposal p ON p.id = ra.proposal_id WHERE p.state = 'under_review' AND NOT EXISTS "
                "(SELECT 1 FROM review r WHERE r.proposal_id = p.id AND r.reviewer_id = ra.reviewer_id) "
                "GROUP BY u.login ORDER BY count(*) DESC LIMIT 1")).one()))
            n = conn.execute(text("SELECT count(*) FROM proposal")).scalar()
        if args.without_page_indexes:
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
        print(f"{n:,} cases ({'filled by COPY' if not filled else 'kept from an earlier run'}, "
              f"{time.perf_counter() - t0:.1f} s); busiest reviewer {facts['reviewer']} has "
              f"{facts['reviewer_waiting']:,} cases waiting; schema {schema}"
              + ("; WITHOUT the indexes of migration 0011" if args.without_page_indexes else ""))
        pages = pages_of(engine, facts)
        print(f"{os.cpu_count()} CPUs on this machine, shared with everything else it runs; the load generator "
              "runs on the same machine")

        server = Server(url, workers=args.workers)
        try:
            if not args.skip_sequential:
                report(f"sequential, {args.rounds} rounds, {args.workers} web process(es)", pages,
                       sequential(server, pages, args.rounds))
            if not args.skip_load and not args.compare_workers:
                samples, elapsed = under_load(server, pages, args.clients, args.seconds)
                report(f"under load: {args.clients} clients for {args.seconds:.0f} s, {args.workers} web process(es)",
                       pages, samples, elapsed)
        finally:
            server.stop()

        if args.compare_workers:
            rates = {}
            for workers in (1, 2):
                server = Server(url, workers=workers)
                try:
                    samples, elapsed = under_load(server, pages, args.clients, args.seconds)
                finally:
                    server.stop()
                rates[workers] = len([v for vs in samples.times.values() for v in vs]) / elapsed
                report(f"under load: {args.clients} clients for {args.seconds:.0f} s, {workers} web process(es)",
                       pages, samples, elapsed)
            print(f"\nthroughput: 1 process {rates[1]:.1f} pages/s, 2 processes {rates[2]:.1f} pages/s (answered 200)")
            print(f"ratio 2proc/1proc = {rates[2] / rates[1]:.2f}")
        print("\nCPU ms: the web process's own CPU time per request of the page (sequential runs)")
        print("ratio = the page's latency / the trivial page's latency (the login form: middleware and a "
              "template, no query), same server, same run, same load")
    finally:
        if dropped and args.keep:  # the kept schema gets its indexes back
            with engine.begin() as conn:
                for definition in dropped:
                    conn.execute(text(definition))
        engine.dispose()
        if not args.keep:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


if __name__ == "__main__":
    sys.exit(main())
