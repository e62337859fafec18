"""Checking that the raw-SQL baseline writes what the engine writes, and counting statements.

Run one lifecycle each way on the same database and compare:

* how many rows every table gained (so a write the baseline forgot, anywhere, shows), and
* the rows of every table tied to each proposal (through ``proposal_id`` or through a
  table that has one), read back as stored — timestamps and dates in the database's own
  representation — with the ids that necessarily differ taken out: row ids, the
  proposal's id (also inside dedupe keys and links), and the decision's serial number.

The ratio printed by ``bench.lifecycles`` is only meaningful while this passes.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any, Callable

from sqlalchemy import Engine, event, text
from sqlmodel import SQLModel

import db.models  # noqa: F401  (registers every table on SQLModel.metadata)


def _tables():
    return list(SQLModel.metadata.sorted_tables)


def _q(name: str) -> str:
    return f'"{name}"'


def row_counts(conn) -> dict[str, int]:
    counts = {t.name: conn.execute(text(f"SELECT count(*) FROM {_q(t.name)}")).scalar_one() for t in _tables()}
    # Document numbers are taken by bumping a counter row, not by adding one.
    counts["documentserial.last_serial"] = conn.execute(
        text("SELECT coalesce(sum(last_serial), 0) FROM documentserial")).scalar_one()
    return counts


def _per_case_tables():
    """(table, WHERE clause selecting a case's rows, columns to leave out of the comparison)."""
    tables = _tables()
    with_case = {t.name for t in tables if "proposal_id" in t.c}
    out = []
    for t in tables:
        drop = {"id", "proposal_id"} if "id" in t.c and t.c.id.primary_key else {"proposal_id"}
        if t.name == "proposal":
            out.append((t, "id = :pid", {"id"}))
        elif "proposal_id" in t.c:
            if t.name == "decision":
                drop |= {"serial"}
            out.append((t, "proposal_id = :pid", drop))
        else:
            for fk in t.foreign_keys:
                ref = fk.column.table.name
                if ref in with_case:
                    drop |= {fk.parent.name}
                    out.append((t, f"{fk.parent.name} IN (SELECT id FROM {_q(ref)} WHERE proposal_id = :pid)", drop))
                    break
    return out


def _normalise(value: Any, pid: int, docno: str | None) -> Any:
    if isinstance(value, str):
        if value[:1] in "{[":
            try:
                return _normalise(json.loads(value), pid, docno)
            except ValueError:
                pass
        if docno:
            value = value.replace(docno, "<document number>")
        value = re.sub(rf"^t:{pid}:", "t:<pid>:", value)
        return re.sub(rf"/proposals/{pid}(?![0-9])", "/proposals/<pid>", value)
    if isinstance(value, dict):
        out = {k: _normalise(v, pid, docno) for k, v in value.items()}
        if isinstance(out.get("proposal"), dict) and out["proposal"].get("id") == pid:
            out["proposal"] = {**out["proposal"], "id": "<pid>"}
        return out
    if isinstance(value, list):
        return [_normalise(v, pid, docno) for v in value]
    return value


def case_rows(conn, pid: int) -> dict[str, list[str]]:
    docno = conn.execute(text("SELECT document_number FROM decision WHERE proposal_id = :pid"), {"pid": pid}).scalar()
    out = {}
    for t, where, drop in _per_case_tables():
        rows = conn.execute(text(f"SELECT * FROM {_q(t.name)} WHERE {where}"), {"pid": pid}).mappings().all()
        out[t.name] = sorted(
            json.dumps({k: _normalise(v, pid, docno) for k, v in r.items() if k not in drop},
                       sort_keys=True, default=str, ensure_ascii=False)
            for r in rows
        )
    return out


class StatementCounter:
    """Counts the statements sent to the database (an executemany counts once)."""

    def __init__(self, db: Engine):
        self.db, self.counts = db, Counter()

    def _on_execute(self, conn, cursor, statement, parameters, context, executemany):
        verb = statement.lstrip().split(None, 1)[0].upper()
        self.counts[verb if verb in ("SELECT", "INSERT", "UPDATE", "DELETE") else "other"] += 1

    def _on_commit(self, conn):
        self.counts["COMMIT"] += 1

    def __enter__(self):
        event.listen(self.db, "before_cursor_execute", self._on_execute)
        event.listen(self.db, "commit", self._on_commit)
        return self

    def __exit__(self, *exc):
        event.remove(self.db, "before_cursor_execute", self._on_execute)
        event.remove(self.db, "commit", self._on_commit)

    def summary(self) -> str:
        c = self.counts
        writes = c["INSERT"] + c["UPDATE"] + c["DELETE"]
        return (f"{c['SELECT'] + writes} statements ({c['SELECT']} SELECT, {c['INSERT']} INSERT, "
                f"{c['UPDATE']} UPDATE), {c['COMMIT']} commits")


def check(db: Engine, engine_run: Callable[[], int], raw_run: Callable[[], int]) -> tuple[list[str], str, str]:
    """Run one lifecycle each way (after a first, uncounted one through the engine).

    Returns (differences, engine statements per lifecycle, raw statements per lifecycle).
    """
    problems: list[str] = []
    # A first lifecycle creates the fiscal year's document counter; from then on every
    # decision only bumps it, so both sides below see the same situation.
    engine_run()
    with db.connect() as conn:
        before = row_counts(conn)
    with StatementCounter(db) as engine_count:
        engine_pid = engine_run()
    with db.connect() as conn:
        middle = row_counts(conn)
    with StatementCounter(db) as raw_count:
        raw_pid = raw_run()
    with db.connect() as conn:
        after = row_counts(conn)
        engine_rows, raw_rows = case_rows(conn, engine_pid), case_rows(conn, raw_pid)
    for name in before:
        e, r = middle[name] - before[name], after[name] - middle[name]
        if e != r:
            problems.append(f"{name}: the engine added {e}, the raw SQL {r}")
    for name in engine_rows:
        e, r = engine_rows[name], raw_rows[name]
        if e != r:
            only_e = [x for x in e if x not in r][:1]
            only_r = [x for x in r if x not in e][:1]
            problems.append(f"{name}: rows differ; engine {only_e} / raw {only_r}")
    return problems, engine_count.summary(), raw_count.summary()
