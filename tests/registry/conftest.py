"""Registry fixtures: the sample files, and a `kyodo` command line bound to the test database."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer

DATA = Path(__file__).parents[1] / "data"
SAMPLE = DATA / "registry_sample.csv"
FY = 2026


def sample_bytes() -> bytes:
    return SAMPLE.read_bytes()


@pytest.fixture
def cli_app():
    """The registry commands as `kyodo` registers them (cli/main.py adds the same two lines)."""
    from cli import registry

    app = typer.Typer(pretty_exceptions_enable=False)
    app.add_typer(registry.projects_app, name="projects")
    app.command("report")(registry.report)
    return app


@pytest.fixture
def cli_db(db_engine, monkeypatch):
    """Point the command line's settings and engine at the test database."""
    from config import get_settings
    from db.session import get_engine

    monkeypatch.setenv("KYODO_DATABASE_URL", db_engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    get_engine.cache_clear()
    yield db_engine
    get_engine().dispose()
    get_settings.cache_clear()
    get_engine.cache_clear()
