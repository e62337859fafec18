"""Writing many outbox rows at once, for the scans that find thousands of letters owed.

The rows are the ones ``workflow.engine.outbox.enqueue`` writes (one per recipient with an
address, context encoded, keyed ``<key>:<user id>``), but they go to the database a
thousand to a statement instead of one statement each. Every row carries a key, and the
database skips a row whose key exists: a scan run twice, or two scans at once, write each
letter once, and the count returned is of the rows really written.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import JSON, DateTime, Integer, String, bindparam, column, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from db.models import Notice
from db.session import begin_write
from workflow.engine import outbox
from workflow.engine.recipients import Recipient

# Rows per statement, and per write transaction: short enough that SQLite's one writer
# (the web, a transition) never waits long behind a scan.
CHUNK = 1000

_N = Notice.__table__


def notice_rows(*, kind: str, recipients: list[Recipient], context: dict[str, Any], proposal_id: int | None,
                now: datetime, key: str) -> list[dict[str, Any]]:
    """One row per recipient with an address, as ``enqueue(..., dedupe=key)`` writes it."""
    return outbox.notice_rows(kind=kind, recipients=recipients, context=context, proposal_id=proposal_id,
                              now=now, base_key=key)


# The columns a row gives, with the types the PostgreSQL statement reads them as.
_COLUMNS = (("proposal_id", Integer), ("kind", String), ("recipient_id", Integer), ("email", String),
            ("language", String), ("context", JSON), ("dedupe_key", String), ("status", String),
            ("attempts", Integer), ("next_attempt_at", DateTime(timezone=True)),
            ("created_at", DateTime(timezone=True)))


@cache
def _postgres_insert():
    """``INSERT … SELECT … FROM json_to_recordset(:rows) ON CONFLICT DO NOTHING RETURNING id``.

    The chunk travels as one JSON parameter: a multi-row VALUES list of a thousand rows
    has eleven thousand placeholders, and the driver spends longer parsing them out of
    the statement than the server spends inserting the rows.
    """
    given = (func.json_to_recordset(bindparam("rows", type_=postgresql.JSON))
             .table_valued(*(column(name, type_) for name, type_ in _COLUMNS)).render_derived(with_types=True))
    return (postgresql.insert(_N).from_select([name for name, _ in _COLUMNS], select(*given.c))
            .on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(_N.c.id))


def _as_json(row: dict[str, Any]) -> dict[str, Any]:
    return {name: row[name].isoformat() if isinstance(row[name], datetime) else row[name] for name, _ in _COLUMNS}


def insert_new(session: Session, rows: list[dict[str, Any]]) -> int:
    """Insert the rows whose key is not written yet; returns how many were written.

    Each chunk is one statement in its own short write transaction (BEGIN IMMEDIATE on
    SQLite), begun after every read of the scan has ended. RETURNING counts the rows
    written: a driver need not count the ones ON CONFLICT skipped.
    """
    if not rows:
        return 0
    postgres = session.get_bind().dialect.name == "postgresql"
    written = 0
    for i in range(0, len(rows), CHUNK):
        chunk = rows[i:i + CHUNK]
        try:
            begin_write(session)
            if postgres:
                result = session.execute(_postgres_insert(), {"rows": [_as_json(r) for r in chunk]})
            else:
                stmt = sqlite.insert(_N).on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(_N.c.id)
                result = session.execute(stmt, chunk)
            written += len(result.all())
            session.commit()
        except BaseException:
            session.rollback()
            raise
    return written
