"""Shared fixtures: a fresh database per test, on SQLite and (when configured) PostgreSQL.

PostgreSQL and Redis come from KYODO_TEST_POSTGRES_URL and KYODO_TEST_REDIS_URL. Without
them a test that needs the server is skipped and the run says so; with CI=true it fails,
so a CI machine that lost its services can never pass by skipping.
"""

from __future__ import annotations

import os
import shutil
import uuid
from datetime import datetime

import pytest
from sqlalchemy import text

from db.migrate import upgrade
from db.session import make_engine, new_session
from sqlmodel import SQLModel
from workflow.calendar.clock import JST, MovableClock

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
POSTGRES_URL = os.environ.get("KYODO_TEST_POSTGRES_URL", "")
REDIS_URL = os.environ.get("KYODO_TEST_REDIS_URL", "")


def need_service(name: str, url: str, probe) -> None:
    """Skip (locally) or fail (CI) when a server the test needs is not configured or down."""
    if not url:
        if IN_CI:
            pytest.fail(f"CI=true but KYODO_TEST_{name.upper()}_URL is not set", pytrace=False)
        pytest.skip(f"{name} not configured (set KYODO_TEST_{name.upper()}_URL)")
    try:
        probe(url)
    except Exception as exc:  # noqa: BLE001 - any failure to reach the server counts
        if IN_CI:
            pytest.fail(f"{name} at {url} is unreachable: {exc}", pytrace=False)
        pytest.skip(f"{name} at {url} is unreachable: {exc}")


def _probe_postgres(url: str) -> None:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(text("select 1"))
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    path = tmp_path_factory.mktemp("db") / "template.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_schema():
    need_service("postgres", POSTGRES_URL, _probe_postgres)
    schema = f"kyodo_test_{uuid.uuid4().hex[:8]}"
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in POSTGRES_URL else "?"
    url = f"{POSTGRES_URL}{sep}options=-csearch_path%3D{schema}"
    engine = make_engine(url)
    upgrade(engine)
    yield engine
    engine.dispose()
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def _truncate_all(engine) -> None:
    names = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    with engine.begin() as conn:
        # TRUNCATE skips the row triggers that keep the audit trail append-only.
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_engine(request, tmp_path, sqlite_template):
    """A migrated, empty database; every engine test runs once per database."""
    if request.param == "sqlite":
        path = tmp_path / "kyodo.sqlite3"
        shutil.copy(sqlite_template, path)
        engine = make_engine(f"sqlite:///{path}")
        yield engine
        engine.dispose()
    else:
        engine = request.getfixturevalue("postgres_schema")
        _truncate_all(engine)
        yield engine


@pytest.fixture
def pg_engine(postgres_schema):
    _truncate_all(postgres_schema)
    return postgres_schema


@pytest.fixture
def session(db_engine):
    with new_session(db_engine) as s:
        yield s


@pytest.fixture
def clock():
    return MovableClock(datetime(2026, 4, 6, 9, tzinfo=JST))


@pytest.fixture
def world(session, clock):
    from tests.support import World

    return World(session, clock)
