"""Full proposal lifecycles per second through the engine, against hand-written SQL.

    python -m bench.lifecycles [--n 300] [--db sqlite|postgres|both] [--rounds 5]
    python -m bench.lifecycles --memory [--db sqlite|postgres|both]
    python -m bench.lifecycles --profile 200 [--db sqlite|postgres]

A lifecycle is ``proposals.create`` and the twelve triggers of ``World.to_closed``
(13 transactions), applied by ``workflow.engine.apply`` with a MovableClock. The baseline
(``bench.rawsql``) writes the same rows with plain SQL through the same SQLAlchemy
engine, one transaction per step; ``bench.verify`` checks that before timing. Engine and
raw lifecycles take turns, in rounds; medians over the rounds are reported. See
bench/README.md.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session
from tqdm import tqdm

from bench.city import EngineLifecycle, bench_settings, new_clock, seed
from bench.rawsql import RawLifecycle
from bench.verify import check
from db.migrate import upgrade
from db.session import make_engine

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
TRANSACTIONS_PER_LIFECYCLE = 13
MiB = 1024 * 1024


@dataclass
class Target:
    name: str
    db: Engine
    cleanup: Callable[[], None]


def sqlite_target(workdir: Path) -> Target:
    path = workdir / f"kyodo-bench-{uuid.uuid4().hex[:8]}.sqlite3"
    db = make_engine(f"sqlite:///{path}")
    upgrade(db)

    def cleanup() -> None:
        db.dispose()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)

    return Target("sqlite", db, cleanup)


def postgres_target() -> Target | None:
    base = os.environ.get("KYODO_BENCH_POSTGRES_URL") or DEFAULT_POSTGRES_URL
    shown = make_url(base).render_as_string(hide_password=True)
    if "connect_timeout" not in base:
        base += ("&" if "?" in base else "?") + "connect_timeout=5"
    schema = f"kyodo_bench_{uuid.uuid4().hex[:8]}"
    admin = make_engine(base)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # noqa: BLE001 - any failure to reach the server means: skip it
        admin.dispose()
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        print(f"[postgres] skipped: cannot use PostgreSQL at {shown} ({reason}). "
              "Set KYODO_BENCH_POSTGRES_URL to a reachable server.", flush=True)
        return None
    db = make_engine(f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}")

    def cleanup() -> None:
        db.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    try:
        upgrade(db)
    except BaseException:
        cleanup()
        raise
    return Target("postgres", db, cleanup)


def prepare(target: Target) -> tuple[EngineLifecycle, RawLifecycle]:
    clock, settings = new_clock(), bench_settings()
    with Session(target.db, expire_on_commit=False) as session:
        city = seed(session, clock)
    return EngineLifecycle(city, clock, settings), RawLifecycle(target.db, city, clock, settings)


# -- lifecycles per second ----------------------------------------------------------------


def bench_ratio(target: Target, n: int, rounds: int, warmup: int) -> bool:
    name, db = target.name, target.db
    engine_lc, raw_lc = prepare(target)

    def run_engine() -> int:
        return engine_lc.run(db)

    run_raw = raw_lc.run

    problems, engine_statements, raw_statements = check(db, run_engine, run_raw)
    if problems:
        print(f"[{name}] WARNING: the raw-SQL baseline does NOT write the same rows as the engine; "
              "the ratio below compares different work:")
        for p in problems:
            print(f"[{name}]   {p}")
    else:
        print(f"[{name}] baseline check: the raw SQL writes the same rows as the engine (every table compared)")
    print(f"[{name}] per lifecycle: engine {engine_statements}; raw SQL {raw_statements}", flush=True)

    # Interleaved: engine and raw lifecycles take turns (which goes first alternates), so
    # both meet the same load from whatever else the machine is doing; a round adds up
    # the time of its lifecycles on each side. Rates and ratio are medians over rounds.
    per_round = max(1, n // rounds)
    rates: dict[str, list[float]] = {"engine": [], "raw": []}
    ratios: list[float] = []
    clock = time.perf_counter
    total = 2 * (warmup + per_round * rounds)
    with tqdm(total=total, desc=f"{name} lifecycles", unit="lc", file=sys.stderr, mininterval=0.5,
              dynamic_ncols=True) as bar:
        for _ in range(warmup):
            run_engine()
            run_raw()
            bar.update(2)
        for r in range(rounds):
            spent = {"engine": 0.0, "raw": 0.0}
            gc.collect()
            for i in range(per_round):
                order = (("engine", run_engine), ("raw", run_raw))
                for kind, run in order if (r + i) % 2 == 0 else order[::-1]:
                    t0 = clock()
                    run()
                    spent[kind] += clock() - t0
                bar.update(2)
            rates["engine"].append(per_round / spent["engine"])
            rates["raw"].append(per_round / spent["raw"])
            ratios.append(spent["raw"] / spent["engine"])
            bar.set_postfix_str(f"engine {rates['engine'][-1]:.1f}/s, raw {rates['raw'][-1]:.1f}/s")
    engine_rate, raw_rate = statistics.median(rates["engine"]), statistics.median(rates["raw"])
    ratio = statistics.median(ratios)

    def rounds_text(values: list[float]) -> str:
        return " ".join(f"{v:.1f}" for v in values)

    print(f"[{name}] engine:  {engine_rate:7.1f} lifecycles/s = {engine_rate * TRANSACTIONS_PER_LIFECYCLE:6.0f} "
          f"transactions/s (median of {rounds} rounds of {per_round}: {rounds_text(rates['engine'])})")
    print(f"[{name}] raw SQL: {raw_rate:7.1f} lifecycles/s = {raw_rate * TRANSACTIONS_PER_LIFECYCLE:6.0f} "
          f"transactions/s (median of {rounds} rounds of {per_round}: {rounds_text(rates['raw'])})")
    print(f"[{name}] per-round ratios: {' '.join(f'{x:.2f}' for x in ratios)}")
    print(f"ratio engine/raw-sql = {ratio:.2f} ({name})", flush=True)
    return not problems


# -- profile ---------------------------------------------------------------------------------

# Where a function's own time is counted, by the file it is in (first match wins).
AREAS = (("the engine and its rules (workflow/)", f"{os.sep}workflow{os.sep}"),
         ("SQLAlchemy", f"{os.sep}sqlalchemy{os.sep}"),
         ("pytransitions", f"{os.sep}transitions{os.sep}"),
         ("the database driver (round trips, commits)", "sqlite3"),
         ("the database driver (round trips, commits)", f"{os.sep}psycopg"))


def _area(filename: str, name: str) -> str:
    where = f"{filename} {name}"
    for label, part in AREAS:
        if part in where:
            return label
    return "the rest (Python built-ins, json, datetime, pydantic settings ...)"


def bench_profile(target: Target, n: int, warmup: int) -> bool:
    """``n`` engine lifecycles under cProfile: the top functions, and the time by area."""
    import cProfile
    import pstats

    name, db = target.name, target.db
    engine_lc, raw_lc = prepare(target)
    problems, engine_statements, raw_statements = check(db, lambda: engine_lc.run(db), raw_lc.run)
    print(f"[{name}] baseline check: {'FAILED: ' + '; '.join(problems) if problems else 'same rows'}")
    print(f"[{name}] per lifecycle: engine {engine_statements}; raw SQL {raw_statements}", flush=True)
    for _ in range(warmup):
        engine_lc.run(db)
    profile = cProfile.Profile()
    started = time.perf_counter()
    profile.enable()
    for _ in range(n):
        engine_lc.run(db)
    profile.disable()
    spent = time.perf_counter() - started
    stats = pstats.Stats(profile)
    print(f"[{name}] {n} engine lifecycles under the profiler: {1000 * spent / n:.1f} ms each "
          "(the profiler slows Python down; the shares below are what counts)")
    areas: dict[str, float] = {}
    total = 0.0
    for (filename, _line, func), (_cc, _nc, tottime, _ct, _callers) in stats.stats.items():
        areas[_area(filename, func)] = areas.get(_area(filename, func), 0.0) + tottime
        total += tottime
    rest = sorted(((tottime, f"{filename}:{func}") for (filename, _line, func), (_cc, _nc, tottime, _ct, _callers)
                   in stats.stats.items() if _area(filename, func).startswith("the rest")), reverse=True)[:8]
    print(f"[{name}] own time by area:")
    for label, t in sorted(areas.items(), key=lambda kv: -kv[1]):
        print(f"[{name}]   {100 * t / total:5.1f} %  {1000 * t / n:6.2f} ms/lifecycle  {label}")
    print(f"[{name}] the largest parts of the rest: " + ", ".join(f"{where} {1000 * t / n:.2f} ms" for t, where in rest))
    print(f"[{name}] the functions with the most cumulative time:", flush=True)
    stats.sort_stats("cumulative").print_stats(40)
    return not problems


# -- memory ---------------------------------------------------------------------------------


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def bench_memory(target: Target, first: int, total: int, workdir: Path) -> None:
    name, db = target.name, target.db
    engine_lc, _ = prepare(target)
    tracemalloc.start()
    measured = []
    snapshot_file = workdir / f"tracemalloc-{uuid.uuid4().hex[:8]}.snapshot"
    with tqdm(total=total, desc=f"{name} memory", unit="lc", file=sys.stderr, mininterval=0.5,
              dynamic_ncols=True) as bar:
        done = 0
        for upto in (first, total):
            while done < upto:
                engine_lc.run(db)
                done += 1
                bar.update(1)
            gc.collect()
            measured.append((done, tracemalloc.get_traced_memory()[0], rss_bytes()))
            if upto == first:
                # Kept on disk, not in memory, so that it does not count in the second figure.
                tracemalloc.take_snapshot().dump(str(snapshot_file))
                gc.collect()
    growth = tracemalloc.take_snapshot().compare_to(tracemalloc.Snapshot.load(str(snapshot_file)), "lineno")
    tracemalloc.stop()
    snapshot_file.unlink(missing_ok=True)
    (n1, traced1, rss1), (n2, traced2, rss2) = measured
    for n_, traced, rss in measured:
        print(f"[{name}] after {n_} lifecycles: traced {traced / MiB:.2f} MiB, RSS {rss / MiB:.2f} MiB")
    print(f"[{name}] largest growth between the two (tracemalloc, by line):")
    for stat in [s for s in growth if s.size_diff > 0][:5]:
        frame = stat.traceback[0]
        print(f"[{name}]   {stat.size_diff / 1024:+9.1f} KiB {stat.count_diff:+7d} blocks  "
              f"{frame.filename}:{frame.lineno}")
    print(f"[{name}] RSS after {n2} / after {n1} = {rss2 / rss1:.2f}")
    print(f"memory after {n2} / after {n1} = {traced2 / traced1:.2f} ({name})", flush=True)


# -- command line -------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.lifecycles", description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=300, help="timed lifecycles per side per database (default 300)")
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default=None,
                        help="which database (default: both; sqlite for --memory)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of interleaved lifecycles; medians are reported")
    parser.add_argument("--warmup", type=int, default=10, help="untimed lifecycles per side first")
    parser.add_argument("--memory", action="store_true",
                        help="instead: engine memory after 1,000 and after 10,000 lifecycles")
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="instead: profile N engine lifecycles (cProfile, engine side only)")
    parser.add_argument("--memory-first", type=int, default=1000, help=argparse.SUPPRESS)
    parser.add_argument("--memory-total", type=int, default=10000, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    which = args.db or ("sqlite" if args.memory else "both")

    started = time.perf_counter()
    ran = 0
    if args.profile:
        print(f"Kyodo engine profile: {args.profile} full lifecycles through the engine under cProfile", flush=True)
    elif args.memory:
        print(f"Kyodo engine memory: {args.memory_first} then {args.memory_total} full lifecycles, "
              "one session per lifecycle", flush=True)
    else:
        print(f"Kyodo lifecycle benchmark: {args.n} lifecycles per side per database, interleaved, in "
              f"{args.rounds} rounds; one lifecycle = create + 12 triggers = {TRANSACTIONS_PER_LIFECYCLE} "
              "transactions", flush=True)
    with tempfile.TemporaryDirectory(prefix="kyodo-bench-") as tmp:
        workdir = Path(tmp)
        for name in ("sqlite", "postgres") if which == "both" else (which,):
            target = sqlite_target(workdir) if name == "sqlite" else postgres_target()
            if target is None:
                continue
            try:
                if args.memory:
                    bench_memory(target, args.memory_first, args.memory_total, workdir)
                elif args.profile:
                    bench_profile(target, args.profile, args.warmup)
                else:
                    bench_ratio(target, args.n, args.rounds, args.warmup)
            finally:
                target.cleanup()  # the temporary file, or the PostgreSQL schema
            ran += 1
    print(f"wall time {time.perf_counter() - started:.1f} s")
    if not ran:
        print("no database could be benchmarked", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
