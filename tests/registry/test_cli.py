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
    assert target.read_text(encoding="utf-8").splitlines()[0] == SAMPLE.read_text(encoding="utf-8").splitlines()[0]
    out = run(cli_app, "projects", "import", target, "--fiscal-year", FY + 1)
    assert out.exit_code == 0, out.output
    stdout = run(cli_app, "projects", "export", "--fiscal-year", FY + 1)
    assert sorted(stdout.stdout.splitlines()) == sorted(target.read_text(encoding="utf-8").splitlines())


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


def test_an_empty_year_reports_zeros_that_still_add_up(cli_app, cli_db):
    out = run(cli_app, "report", "--fiscal-year", 2031)
    assert out.exit_code == 0, out.output
    report = json.loads(out.stdout)
    assert report["projects"]["total"] == 0 and report["checks_ok"] is True
