"""`kyodo db …`: create or upgrade the schema; and the guard every other command uses."""

from __future__ import annotations

import typer
from sqlalchemy.exc import OperationalError

from cli.errors import fail, friendly
from cli.output import console
from db.migrate import current_revision, head_revision, upgrade
from db.session import get_engine
from config import get_settings

app = typer.Typer(help="データベース / the database", no_args_is_help=True)


def _safe_url() -> str:
    return get_engine().url.render_as_string(hide_password=True)


def require_schema() -> None:
    """Stop with a clear message when the database is missing or behind the code."""
    try:
        current = current_revision(get_engine())
    except OperationalError as exc:
        fail("データベースに接続できません。", f"cannot connect to {_safe_url()}: {exc.orig}",
             "KYODO_DATABASE_URL を確認してください。", "check KYODO_DATABASE_URL")
    if current is None:
        fail("データベースがまだ作成されていません。", f"no Kyodo schema in {_safe_url()}",
             "`kyodo db upgrade` を実行してください。", "run `kyodo db upgrade`")
    if current != head_revision():
        fail("データベースの版が古くなっています。", f"schema {current} is behind {head_revision()}",
             "`kyodo db upgrade` を実行してください。", "run `kyodo db upgrade`")


@app.command("upgrade")
@friendly
def upgrade_command() -> None:
    """スキーマを作成・更新します / create or upgrade the schema (SQLite or PostgreSQL)."""
    get_settings()
    upgrade(get_engine())
    console.print(f"データベースを最新の版（{head_revision()}）にしました: {_safe_url()}")
    console.print(f"[dim]database is at revision {head_revision()}: {_safe_url()}[/]")
