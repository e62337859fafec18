"""The `kyodo` command."""

from __future__ import annotations

import typer

from cli import database, demo, lifecycle, proposals

app = typer.Typer(
    help="Kyodo（協働）: 市民協働条例にもとづく協働事業のワークフロー / the citizen-collaboration workflow engine",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(database.app, name="db")
app.add_typer(lifecycle.app, name="states")
app.add_typer(proposals.app, name="proposals")
app.command("demo")(demo.demo)


def run() -> None:
    app()
