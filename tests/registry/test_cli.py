"""`kyodo projects import|export` and `kyodo report`, as a person runs them."""

from __future__ import annotations

import json

from openpyxl import load_workbook
from sqlalchemy import func, select
from typer.testing import CliRunner

from db.models import RegistryProject
from tests.registry.conftest import DATA, FY, SAMPLE

runner = CliRunner()


def run(app, *args):
    return runner.invoke(app, [str(a) for a in args])


def test_import_then_report_gives_the_counts_of_the_file(cli_app, cli_db):
    out = run(cli_app, "projects", "import", SAMPLE, "--fiscal-year", FY)
    assert out.exit_code == 0, out.output
    assert "30 件を取り込みました" in out.output
    out = run(cli_app, "report", "--fiscal-year", FY, "--format", "json")
    assert out.exit_code == 0, out.output
    report = json.loads(out.stdout)
    assert report["projects"] == {"total": 30, "ward": 17, "bureau": 13}
    assert report["contracted"]["by_origin"]["city"]["contracts"] == 14
    assert report["checks_ok"] is True
    assert "一致しています" in out.stderr


def test_a_bad_file_is_reported_and_nothing_is_imported(cli_app, cli_db):
    out = run(cli_app, "projects", "import", DATA / "registry_bad_many.csv", "--fiscal-year", FY)
    assert out.exit_code == 1
    assert "Traceback" not in out.output
    problems = [line for line in out.stderr.splitlines() if "│" in line and line.split("│")[1].strip().isdigit()]
    assert [line.split("│")[1].strip() for line in problems] == ["2", "3", "4", "4", "5"]
    assert "何も取り込んでいません" in out.stderr
    with cli_db.connect() as conn:
        assert conn.execute(select(func.count()).select_from(RegistryProject)).scalar_one() == 0


def test_a_missing_file_is_a_message_not_a_traceback(cli_app, cli_db, tmp_path):
    out = run(cli_app, "projects", "import", tmp_path / "nowhere.csv", "--fiscal-year", FY)
    assert out.exit_code == 1 and "Traceback" not in out.output
    assert "読めません" in out.stderr


def test_export_writes_what_import_reads(cli_app, cli_db, tmp_path):
    run(cli_app, "projects", "import", SAMPLE, "--fiscal-year", FY)
    target = tmp_path / "out.csv"
    out = run(cli_app, "projects", "export", "--fiscal-year", FY, "--output", target)
    assert out.exit_code == 0, out.output
    # Japanese Excel opens UTF-8 correctly only with a byte-order mark.
    assert target.read_bytes().startswith(b"\xef\xbb\xbf")
    assert target.read_text(encoding="utf-8-sig").splitlines()[0] == SAMPLE.read_text(encoding="utf-8").splitlines()[0]
    out = run(cli_app, "projects", "import", target, "--fiscal-year", FY + 1)
    assert out.exit_code == 0, out.output
    stdout = run(cli_app, "projects", "export", "--fiscal-year", FY + 1)
    assert sorted(stdout.stdout.splitlines()) == sorted(target.read_text(encoding="utf-8-sig").splitlines())


def test_every_format_is_written(cli_app, cli_db, tmp_path, monkeypatch):
    run(cli_app, "projects", "import", SAMPLE, "--fiscal-year", FY)
    monkeypatch.chdir(tmp_path)
    out = run(cli_app, "report", "--fiscal-year", FY, "--format", "xlsx")
    assert out.exit_code == 0, out.output
    wb = load_workbook(tmp_path / f"article20-FY{FY}.xlsx")
    assert "分野別" in wb.sheetnames
    for fmt in ("csv", "html"):
        out = run(cli_app, "report", "--fiscal-year", FY, "--format", fmt, "--output", tmp_path / f"r.{fmt}")
        assert out.exit_code == 0, out.output
        assert "令和8年度" in (tmp_path / f"r.{fmt}").read_text(encoding="utf-8-sig")
    out = run(cli_app, "report", "--fiscal-year", FY, "--format", "pdf")
    assert out.exit_code != 0


def test_spreadsheet_formulas_never_run_from_an_export_or_the_report(cli_app, cli_db, tmp_path):
    """A project name or partner written as a formula stays text in every CSV Kyodo writes."""
    import csv

    rows = list(csv.reader(SAMPLE.read_text(encoding="utf-8").splitlines()))
    contracted = next(i for i, r in enumerate(rows) if i and r[7] == "1")  # listed in the report's table
    rows[contracted][1], rows[contracted][6] = "=HYPERLINK(\"http://evil.example\";\"見守り\")", "@SUM(1+1)"
    hostile = tmp_path / "hostile.csv"
    hostile.write_text("\n".join(_csv_line(r) for r in rows) + "\n", encoding="utf-8")
    assert run(cli_app, "projects", "import", hostile, "--fiscal-year", FY).exit_code == 0
    exported = tmp_path / "out.csv"
    assert run(cli_app, "projects", "export", "--fiscal-year", FY, "--output", exported).exit_code == 0
    report = tmp_path / "r.csv"
    assert run(cli_app, "report", "--fiscal-year", FY, "--format", "csv", "--output", report).exit_code == 0

    for path in (exported, report):
        cells_written = [c for row in csv.reader(open(path, encoding="utf-8-sig")) for c in row]
        assert "'=HYPERLINK(\"http://evil.example\";\"見守り\")" in cells_written, path
        assert not [c for c in cells_written if c[:1] in ("=", "+", "@")], path
    # The export imports again as the text that was written, not with the apostrophe.
    assert run(cli_app, "projects", "import", exported, "--fiscal-year", FY + 1).exit_code == 0
    with cli_db.connect() as conn:
        names = set(conn.execute(select(RegistryProject.name).where(RegistryProject.fiscal_year == FY + 1)).scalars())
    assert "=HYPERLINK(\"http://evil.example\";\"見守り\")" in names


def _csv_line(cells) -> str:
    import csv
    import io

    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(cells)
    return out.getvalue()


def test_a_fiscal_year_is_taken_as_clerks_write_it(cli_app, cli_db):
    run(cli_app, "projects", "import", SAMPLE, "--fiscal-year", FY)
    era = f"令和{FY - 2018}"
    for given in (str(FY), era, f"R{FY - 2018}", f"{era}年度"):
        out = run(cli_app, "report", "--fiscal-year", given, "--format", "json")
        assert out.exit_code == 0, (given, out.output)
        assert json.loads(out.stdout)["fiscal_year"] == FY
    # The era year alone is refused with the fix, never read as the year 2 or 8.
    out = run(cli_app, "report", "--fiscal-year", str(FY - 2018), "--format", "json")
    assert out.exit_code == 1 and era in out.output and str(FY) in out.output


def test_a_year_with_nothing_registered_is_said_not_reported_as_zeros(cli_app, cli_db):
    out = run(cli_app, "report", "--fiscal-year", FY, "--format", "json")
    assert out.exit_code == 1
    assert "1件もありません" in out.output and "kyodo projects import" in out.output


def test_an_output_into_a_missing_folder_is_said_before_any_work(cli_app, cli_db, tmp_path):
    run(cli_app, "projects", "import", SAMPLE, "--fiscal-year", FY)
    out = run(cli_app, "report", "--fiscal-year", FY, "--format", "xlsx", "--output", tmp_path / "no" / "r.xlsx")
    assert out.exit_code == 1 and "フォルダ" in out.output
    out = run(cli_app, "projects", "export", "--fiscal-year", FY, "--output", tmp_path / "no" / "r.csv")
    assert out.exit_code == 1 and "フォルダ" in out.output


def test_a_large_import_shows_its_progress_on_a_terminal_and_nowhere_else(cli_app, cli_db, tmp_path, monkeypatch):
    """On a terminal the bars are drawn (and gone when done); piped or logged, the output is just the result."""
    import io

    from rich.console import Console

    from cli import registry
    from tests.registry.test_import import many_rows

    big = tmp_path / "year.csv"
    big.write_bytes(many_rows(450))
    out = run(cli_app, "projects", "import", big, "--fiscal-year", FY)
    assert out.exit_code == 0, out.output
    assert "450 件を取り込みました（追加 450、更新 0" in out.stdout
    assert "検査" not in out.stderr and "書き込み" not in out.stderr

    terminal = Console(file=io.StringIO(), force_terminal=True, width=100)
    monkeypatch.setattr(registry, "err_console", terminal)
    big.write_bytes(many_rows(450, renamed="（改）"))
    out = run(cli_app, "projects", "import", big, "--fiscal-year", FY)
    assert out.exit_code == 0, out.output
    assert "（追加 0、更新 450、削除 0" in out.stdout
    drawn = terminal.file.getvalue()
    assert "検査 / checking" in drawn and "書き込み / writing" in drawn and "450/450" in drawn
    with cli_db.connect() as conn:
        names = set(conn.execute(select(RegistryProject.name).where(RegistryProject.fiscal_year == FY)).scalars())
    assert names and all(name.endswith("（改）") for name in names)


def test_a_bad_row_in_a_re_import_is_listed_once_the_bars_are_gone_and_nothing_changes(cli_app, cli_db, tmp_path,
                                                                                       monkeypatch):
    import io

    from rich.console import Console

    from cli import registry
    from tests.registry.test_import import many_rows

    big = tmp_path / "year.csv"
    big.write_bytes(many_rows(450))
    assert run(cli_app, "projects", "import", big, "--fiscal-year", FY).exit_code == 0
    terminal = Console(file=io.StringIO(), force_terminal=True, width=120)
    monkeypatch.setattr(registry, "err_console", terminal)
    big.write_bytes(many_rows(450, renamed="（改）", bad={300: (2, "town")}))
    out = run(cli_app, "projects", "import", big, "--fiscal-year", FY)
    assert out.exit_code == 1 and "Traceback" not in out.output
    drawn = terminal.file.getvalue()
    assert drawn.rindex("検査 / checking") < drawn.index("登録ファイルの誤り")  # the bar was not drawn over it
    table = drawn[drawn.index("登録ファイルの誤り"):]
    assert "301" in table and "owner_kind" in table and "town" in table
    assert "何も取り込んでいません" in out.stderr
    with cli_db.connect() as conn:
        names = set(conn.execute(select(RegistryProject.name).where(RegistryProject.fiscal_year == FY)).scalars())
    assert not any(name.endswith("（改）") for name in names)
