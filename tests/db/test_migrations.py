"""`kyodo db upgrade` builds exactly the schema the models describe, on both databases."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import SQLModel

import db.models  # noqa: F401
from db.migrate import is_current


def test_migrations_match_the_models(db_engine):
    assert is_current(db_engine)
    with db_engine.connect() as conn:
        drift = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert drift == []


def test_audit_trail_refuses_changes_at_the_database(world, db_engine):
    pid = world.new_proposal()
    with db_engine.connect() as conn:
        for sql in ("UPDATE auditevent SET trigger = 'x'", "DELETE FROM auditevent"):
            with pytest.raises(DBAPIError, match="append-only"):
                with conn.begin():
                    conn.execute(text(sql))
        assert conn.execute(text("SELECT count(*) FROM auditevent WHERE proposal_id = :p"), {"p": pid}).scalar() == 1
