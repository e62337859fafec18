"""The `kyodo` command."""

from __future__ import annotations

import typer

from cli import database, demo, lifecycle, notices, proposals, registry, rounds, users, web

app = typer.Typer(
    help="Kyodo（協働）: 市民協働条例にもとづく協働事業のワークフロー / the citizen-collaboration workflow engine",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(database.app, name="db")
app.add_typer(lifecycle.app, name="states")
app.add_typer(proposals.app, name="proposals")
app.add_typer(notices.app, name="notices")
app.add_typer(users.app, name="users")
app.add_typer(users.departments_app, name="departments")
app.add_typer(rounds.app, name="rounds")
app.command("demo")(demo.demo)
app.command("worker")(notices.worker)
app.command("beat")(notices.beat)
app.command("serve")(web.serve)
app.add_typer(registry.projects_app, name="projects")
app.command("report")(registry.report)


def run() -> None:
    """The command, with a configuration mistake said in words, never as a traceback."""
    from pydantic import ValidationError
    from pydantic_settings import SettingsError

    from cli.errors import explain_settings_error

    try:
        app()
    except (ValidationError, SettingsError) as exc:
        try:
            explain_settings_error(exc)
        except typer.Exit as done:
            raise SystemExit(done.exit_code) from None
