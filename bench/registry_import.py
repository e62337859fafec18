"""The registry import at a big city's volume: a re-import against the first import of the same rows.

    python -m bench.registry_import [--db sqlite|postgres|both] [--rows 290000] [--unchanged] [--bar]

A registry file of ``--rows`` valid rows is generated from ``bench.make_fy2020_registry``'s
203 made-up FY2020 projects, repeated with distinct ids. On a new, migrated database
(SQLite: a temporary file; PostgreSQL: a new schema at ``KYODO_BENCH_POSTGRES_URL``, as
``bench.lifecycles`` makes it) the run times, through ``workflow.registry.projects.import_file``:

1. **first import**: the file into an empty registry, every row added;
2. **re-import**: the same ids again with every row's name changed, so that every row is
   a real update of a row already there (the worst case of a department re-sending its year);
3. with ``--unchanged``, the second file once more (every row already as it is: nothing to write);
4. with ``--bar``, six more re-imports, every row an update each time, three with and three
   without the progress bars ``kyodo projects import`` draws (on a terminal in memory), in
   turn; the medians of wall time and of this process's CPU time (less moved by whatever
   else the machine runs), and their ratios.

Each import is one call, one transaction, including the check of every row (``parse``),
which is also timed on its own as the floor both imports share. Printed: the times, rows
per second, the statements each import sent (``before_cursor_execute``, plus the COPYs on
PostgreSQL, which psycopg sends past SQLAlchemy's events), and
``ratio reimport/first = X`` (the aim is at most 2).
"""

from __future__ import annotations

import argparse
import csv
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from sqlalchemy import event, func, select
from sqlmodel import Session

from bench.lifecycles import Target, postgres_target, sqlite_target
from bench.make_fy2020_registry import rows as fy2020_rows
from cli.registry import import_progress
from db.models import RegistryProject
from workflow.registry.file_format import COLUMNS, parse
from workflow.registry.projects import COPY_BATCH, import_file

FY = 2020
RENAMED = "（改訂）"  # appended to every name in the re-imported file


def registry_file(n: int, renamed: bool = False) -> bytes:
    """``n`` valid registry rows: the FY2020 rows over and over, each with its own id."""
    base = fy2020_rows()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for i in range(n):
        row = list(base[i % len(base)])
        row[0] = f"{row[0]}-{i // len(base):05d}"
        if renamed:
            row[1] += RENAMED
        writer.writerow(row)
    return out.getvalue().encode("utf-8")


class StatementCounter:
    """Statements sent to the database (an executemany, or one page of a multi-row INSERT, is one)."""

    def __init__(self, engine):
        self.engine, self.n = engine, 0

    def _count(self, *_args) -> None:
        self.n += 1

    def __enter__(self) -> "StatementCounter":
        event.listen(self.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *_exc) -> None:
        event.remove(self.engine, "before_cursor_execute", self._count)


def timed_import(target: Target, data: bytes, bar: bool = False) -> tuple[float, int, object, float]:
    """One import: seconds, statements, result and this process's CPU seconds (all its threads).

    With ``bar``, the bars ``kyodo projects import`` draws, on a terminal in memory.
    """
    terminal = Console(file=io.StringIO(), force_terminal=True, width=100)
    with Session(target.db, expire_on_commit=False) as session, StatementCounter(target.db) as counter:
        start, cpu = time.perf_counter(), time.process_time()
        with import_progress(terminal, bar) as progress:
            result = import_file(session, data, FY, progress=progress)
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    assert not bar or "書き込み" in terminal.file.getvalue(), "the bar was not drawn"
    return elapsed, counter.n, result, cpu


def run(target: Target, n: int, unchanged: bool, bar: bool) -> float:
    tag = f"[{target.name}]"
    # psycopg's COPY goes past SQLAlchemy's events: one a batch, counted here.
    copies = f" + {-(-n // COPY_BATCH)} COPY" if target.db.dialect.driver == "psycopg" else ""
    first_file, renamed_file = registry_file(n), registry_file(n, renamed=True)
    start = time.perf_counter()
    parse(first_file)
    parse_s = time.perf_counter() - start
    print(f"{tag} checking the file alone (parse, no database): {parse_s:7.1f} s  {n / parse_s:9,.0f} rows/s", flush=True)

    first_s, first_statements, first, _ = timed_import(target, first_file)
    assert (first.added, first.updated) == (n, 0), first
    print(f"{tag} first import (every row added):            {first_s:7.1f} s  {n / first_s:9,.0f} rows/s"
          f"  {first_statements} statements{copies}", flush=True)

    again_s, again_statements, again, _ = timed_import(target, renamed_file)
    assert (again.added, again.updated) == (0, n), again
    with Session(target.db) as session:
        renamed = session.execute(select(func.count()).select_from(RegistryProject).where(
            RegistryProject.fiscal_year == FY, RegistryProject.name.endswith(RENAMED))).scalar_one()
    assert renamed == n, f"{renamed} of {n} rows carry the new name"
    print(f"{tag} re-import (every row updated, new name):   {again_s:7.1f} s  {n / again_s:9,.0f} rows/s"
          f"  {again_statements} statements{copies}", flush=True)

    if unchanged:
        same_s, same_statements, _, _ = timed_import(target, renamed_file)
        print(f"{tag} re-import of an unchanged file:            {same_s:7.1f} s  {n / same_s:9,.0f} rows/s"
              f"  {same_statements} statements{copies}", flush=True)

    if bar:
        # Six more, every row an update each time (the names go back and forth), with and
        # without the bars in turn, which goes first alternating: the machine's noise is
        # larger than what the bars cost.
        wall: dict[bool, list[float]] = {False: [], True: []}
        cpu: dict[bool, list[float]] = {False: [], True: []}
        files = (first_file, renamed_file)  # the renamed file went in last
        turn = 0
        for pair in range(3):
            for drawn in (True, False) if pair % 2 else (False, True):
                seconds, _, _, cpu_seconds = timed_import(target, files[turn % 2], bar=drawn)
                wall[drawn].append(seconds)
                cpu[drawn].append(cpu_seconds)
                turn += 1
        plain_s, bar_s = statistics.median(wall[False]), statistics.median(wall[True])
        plain_cpu, bar_cpu = statistics.median(cpu[False]), statistics.median(cpu[True])
        print(f"{tag} re-import without / with the progress bar:  {plain_s:7.1f} s / {bar_s:.1f} s"
              f" (with/without = {bar_s / plain_s:.2f}); this process's CPU {plain_cpu:.1f} s / {bar_cpu:.1f} s"
              f" (with/without = {bar_cpu / plain_cpu:.2f}); medians of 3", flush=True)

    ratio = again_s / first_s
    print(f"ratio reimport/first = {ratio:.2f} ({target.name}, {n:,} rows; aim <= 2)", flush=True)
    return ratio


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--rows", type=int, default=290_000)
    parser.add_argument("--unchanged", action="store_true", help="also re-import the file with nothing changed")
    parser.add_argument("--bar", action="store_true",
                        help="also time a re-import with and without the command's progress bar drawn")
    args = parser.parse_args(argv)
    print(f"Kyodo registry import benchmark: {args.rows:,} rows, first import vs re-import (every row updated)",
          flush=True)
    ran = False
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as workdir:
        for name in ("sqlite", "postgres") if args.db == "both" else (args.db,):
            target = sqlite_target(Path(workdir)) if name == "sqlite" else postgres_target()
            if target is None:
                continue
            try:
                run(target, args.rows, args.unchanged, args.bar)
                ran = True
            finally:
                target.cleanup()  # the temporary file, or the PostgreSQL schema
    print(f"wall time {time.perf_counter() - started:.1f} s")
    return 0 if ran else 1


if __name__ == "__main__":
    sys.exit(main())
