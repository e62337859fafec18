"""The database engine and sessions, from configuration.

SQLite (the embedded default) gets WAL and a busy timeout so that the web server, the
worker and the command line can share one file.
"""

from __future__ import annotations

from contextlib import contextmanager

from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlmodel import Session

from config import get_settings


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None hands BEGIN to us (below), so that a writer can ask for
        # BEGIN IMMEDIATE: it takes the write lock before reading, and a transition never
        # fails half-way with "database is locked" because another writer went first.
        engine = create_engine(
            url, connect_args={"timeout": 30, "check_same_thread": False, "isolation_level": None}
        )

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):
            mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
            conn.exec_driver_sql(f"BEGIN {mode}")

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            # WAL lets readers and one writer work at once; foreign keys are off by default.
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    # The web server runs a request in one of up to 40 threads: with SQLAlchemy's default
    # of 5 (+10 at a burst) most of them would wait for a connection under load. Pre-ping
    # stays: it costs a round trip per checkout, but a connection the server or a proxy
    # closed (a restart, a failover, an idle timeout) is replaced instead of failing a page.
    size = get_settings().db_pool_size
    return create_engine(url, pool_pre_ping=True, pool_size=size, max_overflow=2 * size)


@lru_cache
def get_engine() -> Engine:
    return make_engine(get_settings().effective_database_url)


def new_session(engine: Engine | None = None) -> Session:
    return Session(engine or get_engine(), expire_on_commit=False)


@contextmanager
def write(session: Session):
    """One write transaction: begun as a writer, committed at the end, rolled back on any error."""
    try:
        begin_write(session)
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise


def begin_write(session: Session) -> None:
    """Start the session's transaction as a writer (BEGIN IMMEDIATE on SQLite).

    A change owns its transaction: whatever the session was still holding (typically
    the reads that loaded the actor) is committed first, so the change starts afresh.
    """
    if session.in_transaction():
        session.commit()
    session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
