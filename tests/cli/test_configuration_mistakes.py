"""A clerk's configuration mistakes end in a bilingual message and exit 1, never a traceback."""

from __future__ import annotations

import pytest

from tests.cli.test_cli import kyodo_env, run


@pytest.fixture
def env(tmp_path):
    return kyodo_env(tmp_path / "kyodo.sqlite3", tmp_path / "var")


@pytest.mark.parametrize("value, says", [
    ("not json", "KYODO_DEADLINE_DAYS"),
    ('{"reveiw": 3}', "reveiw"),  # a misspelt key would silently leave the standard unchanged
    ('{"review": 0}', "at least 1"),
])
def test_a_bad_deadline_setting_is_named(env, value, says):
    result = run({**env, "KYODO_DEADLINE_DAYS": value}, "proposals", "list")
    assert result.returncode == 1
    assert "設定" in result.out and says in result.out


def test_a_malformed_database_url_is_named(env):
    result = run({**env, "KYODO_DATABASE_URL": "nonsense"}, "proposals", "list")
    assert result.returncode == 1
    assert "KYODO_DATABASE_URL" in result.out and "postgresql://" in result.out


def test_the_postgres_url_form_of_hosting_panels_is_accepted():
    from config.settings import Settings

    url = Settings(database_url="postgres://kyodo:secret@db.example:5432/kyodo").database_url
    assert url == "postgresql+psycopg://kyodo:secret@db.example:5432/kyodo"
    assert Settings(database_url="sqlite:///var/k.sqlite3").database_url == "sqlite:///var/k.sqlite3"
