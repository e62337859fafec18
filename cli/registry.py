"""`kyodo projects import|export` and `kyodo report`: the project registry and the Article 20 report.

Register in ``cli/main.py``::

    from cli import registry
    app.add_typer(registry.projects_app, name="projects")
    app.command("report")(registry.report)
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import Callable, Iterator

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeRemainingColumn
from rich.table import Table

from cli.database import require_schema
from cli.errors import fail, friendly
from cli.output import console, err_console
from cli.report_formats import RENDERERS
from db.session import new_session
from workflow.calendar.japan import era_year, parse_fiscal_year
from workflow.registry.annual_report import build_report
from workflow.registry.projects import COLUMNS, RegistryFileError, export_file, import_file

# From this many rows on, an import shows its progress.
LARGE_IMPORT_ROWS = 200
FY_HELP = "年度：2026・令和8・R8 のいずれか / fiscal year: 2026, 令和8 or R8"


def _fiscal_year(text: str) -> int:
    try:
        return parse_fiscal_year(text)
    except ValueError as exc:
        ja, _, en = str(exc).partition(" / ")
        fail(ja, en)


def _writable(output: Path | None) -> None:
    """Say so before any work when the file cannot be written where it was asked for."""
    if output is None:
        return
    folder = output.parent if str(output.parent) else Path(".")
    if not folder.is_dir():
        fail(f"書き出し先のフォルダ「{folder}」がありません。", f"no folder {folder}",
             "フォルダを作るか、別の場所を指定してください。", "create it or choose another place")
    if output.is_dir():
        fail(f"「{output}」はフォルダです。ファイル名を指定してください。", f"{output} is a folder",
             "例：--output report.xlsx", "e.g. --output report.xlsx")

projects_app = typer.Typer(help="協働事業の登録簿 / the registry of collaboration projects", no_args_is_help=True)


def _read(file: Path) -> bytes:
    try:
        return file.read_bytes()
    except OSError as exc:
        fail(f"ファイル「{file}」を読めません。", f"cannot read {file}: {exc.strerror}",
             "ファイル名とその場所を確認してください。", "check the file name and where it is")


@contextmanager
def import_progress(out: Console, shown: bool) -> Iterator[Callable[[str, int, int], None] | None]:
    """The bars of an import (checking, then writing), or no callback at all when not ``shown``.

    ``import_file`` reports every hundred rows checked and every batch written; Rich redraws
    on its own thread, four times a second (at its default ten, drawing took about 5% of an
    import's CPU time), so the import never waits on the terminal.
    """
    if not shown:
        yield None
        return
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    tasks: dict[str, TaskID] = {}
    with Progress(*columns, console=out, transient=True, refresh_per_second=4) as progress:

        def advance(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                label = "検査 / checking" if phase == "check" else "書き込み / writing"
                tasks[phase] = progress.add_task(label, total=total)
            progress.update(tasks[phase], completed=done)

        yield advance


def _print_problems(exc: RegistryFileError) -> None:
    table = Table(title="登録ファイルの誤り / problems in the file")
    table.add_column("行 / line", justify="right", no_wrap=True)
    table.add_column("列 / column", no_wrap=True)
    table.add_column("誤り / problem", overflow="fold")
    for p in exc.problems:
        table.add_row(str(p.line), p.column or "—", f"{p.message_ja}\n[dim]{p.message_en}[/]")
    err_console.print(table)


@projects_app.command("import")
@friendly
def import_command(
    file: Path = typer.Argument(..., help="UTF-8 の CSV / a UTF-8 CSV file: " + ",".join(COLUMNS)),
    fiscal_year: str = typer.Option(..., "--fiscal-year", help=FY_HELP),
    replace: bool = typer.Option(False, "--replace",
                                 help="その年度の登録をこのファイルで置き換える / remove the year's rows the file no longer lists"),
) -> None:
    """登録簿に協働事業を取り込みます / import the year's collaboration projects from a CSV file.

    Every row is checked first; a file with any bad row is reported (line and reason)
    and nothing of it is imported.
    """
    fy = _fiscal_year(fiscal_year)
    require_schema()
    data = _read(file)
    # A bar only where a person watches: on a terminal, for a file that takes a while.
    shown = err_console.is_terminal and data.count(b"\n") >= LARGE_IMPORT_ROWS
    with new_session() as s:
        try:
            with import_progress(err_console, shown) as advance:
                result = import_file(s, data, fy, replace=replace, progress=advance)
        except RegistryFileError as exc:
            _print_problems(exc)  # once the bars are gone
            raise
    console.print(f"{era_year(fy)}の登録簿に {result.rows} 件を取り込みました"
                  f"（追加 {result.added}、更新 {result.updated}、削除 {result.removed}、案件と対応 {result.linked}）。")
    console.print(f"[dim]imported {result.rows} rows into FY{fy}: {result.added} added, "
                  f"{result.updated} updated, {result.removed} removed, {result.linked} linked to cases[/]")


@projects_app.command("export")
@friendly
def export_command(
    fiscal_year: str = typer.Option(..., "--fiscal-year", help=FY_HELP),
    output: Path = typer.Option(None, "--output", "-o", help="書き出すファイル（省略時は標準出力）/ file (default: stdout)"),
) -> None:
    """登録簿を取込みと同じ形式の CSV で書き出します / export the year's registry in the import format.

    Includes the projects that passed through Kyodo (ids ``kyodo-<case>``), so the file
    can be edited and imported again without counting a project twice.
    """
    fy = _fiscal_year(fiscal_year)
    _writable(output)
    require_schema()
    with new_session() as s:
        n = export_file(s, fy, path=output, out=None if output else sys.stdout)
    if output:
        console.print(f"{n} 件を {output} に書き出しました。/ wrote {n} rows to {output}")


class ReportFormat(str, Enum):
    json = "json"
    csv = "csv"
    xlsx = "xlsx"
    html = "html"


@friendly
def report(
    fiscal_year: str = typer.Option(..., "--fiscal-year", help=FY_HELP),
    fmt: ReportFormat = typer.Option(ReportFormat.json, "--format", "-f", help="形式 / format"),
    output: Path = typer.Option(None, "--output", "-o",
                                help="書き出すファイル（xlsx の省略時は article20-FY<年度>.xlsx、その他は標準出力）"
                                     " / file (xlsx default: article20-FY<year>.xlsx; others: stdout)"),
) -> None:
    """市民協働の状況の報告（条例第20条）/ the Article 20 annual report on the state of collaboration.

    The report checks its own tables (every total equals the sum of its parts) and says
    so; it exits with status 2 when a check fails.
    """
    fy = _fiscal_year(fiscal_year)
    _writable(output)
    require_schema()
    with new_session() as s:
        data = build_report(s, fy)
    if not data["projects"]["total"]:
        # An all-zero report passes its own checks; it is almost always the wrong year.
        fail(f"{era_year(fy)}（{fy}年度）の登録簿には事業が1件もありません。報告は作成しませんでした。",
             f"nothing is registered for FY{fy}; no report written",
             f"年度を確かめるか、`kyodo projects import ファイル --fiscal-year {fy}` で取り込んでください。",
             f"check the year, or import the registry with `kyodo projects import FILE --fiscal-year {fy}`")
    body = RENDERERS[fmt.value](data)
    if output is None and fmt is ReportFormat.xlsx:
        output = Path(f"article20-FY{fy}.xlsx")
    if output is None:
        sys.stdout.buffer.write(body)
        sys.stdout.flush()
    else:
        output.write_bytes(body)
        err_console.print(f"{output} に書き出しました。/ wrote {output}")
    if data["checks_ok"]:
        err_console.print(f"[green]{data['checks_summary_ja']}[/]\n[dim]{data['checks_summary_en']}[/]")
    else:
        fail(data["checks_summary_ja"], data["checks_summary_en"],
             "登録簿の内容（所管区分・分野・根拠・契約件数）を確認してください。",
             "check the registry rows (owner kind, field, origin, contract counts)", code=2)
