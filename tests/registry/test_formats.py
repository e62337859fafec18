"""The report's formats say the same thing: json keys as documented, csv tables, a printable xlsx, safe html."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime, timezone

import pytest
from openpyxl import load_workbook

from cli.report_formats import RENDERERS
from workflow.registry import annual_report
from workflow.registry.annual_report import compute
from workflow.registry.projects import parse
from tests.registry.conftest import FY, sample_bytes


@pytest.fixture(scope="module")
def report():
    rows = parse(sample_bytes())
    rows[0].name = '見守り<script>alert("x")</script>拠点'
    rows[0].contract, rows[0].origin, rows[0].contract_count = True, "citizen", 1
    rows[0].content = "一行目\n二行目 & <b>強調</b>"
    return compute(rows, FY, generated_at=datetime(2026, 5, 1, tzinfo=timezone.utc))


def test_every_json_key_is_documented(report):
    doc = annual_report.__doc__
    data = json.loads(RENDERERS["json"](report))
    for key in data:
        assert f"``{key}``" in doc, key
    for key in list(data["contracted"]) + list(data["contracted"]["by_origin"]["city"]):
        assert f"``{key}``" in doc, key
    for key in data["contracted_projects"][0]:
        assert f"``{key}``" in doc, key
    for key in data["checks"][0]:
        assert f"``{key}``" in doc, key
    assert data["projects"] == {"total": 30, "ward": 17, "bureau": 13}
    assert data["checks_ok"] is True


def test_csv_has_every_table(report):
    raw = RENDERERS["csv"](report)
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    fields = rows.index(["番号", "分野", "区役所", "局", "計"])
    assert rows[fields + 1] == ["1", "市民活動・地域活動", "2", "1", "3"]
    assert rows[fields + 13] == ["", "合計", "17", "13", "30"]
    origin = rows.index(["区分", "根拠", "事業数", "契約件数", "契約金額（円）"])
    assert rows[origin + 1][:4] == ["市の発意（第9条）", "第9条", "7", "14"]
    assert rows[origin + 3][:4] == ["合計", "", "10", "17"]
    assert any(r and r[0] == "検算" and "一致しています" in r[1] for r in rows)


def test_xlsx_is_ready_to_print(report):
    wb = load_workbook(io.BytesIO(RENDERERS["xlsx"](report)))
    assert wb.sheetnames == ["概要", "分野別", "契約事業（根拠別）", "契約事業一覧", "事業別報告", "検算"]
    for ws in wb.worksheets:
        assert int(ws.page_setup.paperSize) == 9, ws.title  # A4
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0), ws.title
        assert ws.print_title_rows, ws.title
        assert ws["A1"].value.startswith("令和8年度"), ws.title
        assert all(ws.column_dimensions[c].width for c in "AB"), ws.title
    fields = wb["分野別"]
    assert [c.value for c in fields[3]] == ["番号", "分野", "区役所", "局", "計"]
    assert [c.value for c in fields[16]] == [None, "合計", 17, 13, 30]
    assert wb["契約事業一覧"].page_setup.orientation == "landscape"
    pages = wb["事業別報告"]
    assert len(pages.row_breaks.brk) == len(report["contracted_projects"]) - 1
    labels = {c.value for c in pages["A"] if c.value}
    for part in ("1　協働契約の相手方", "2　事業費", "3　事業内容", "4　事業実績", "5　協働で事業を行った効果"):
        assert part in labels
    assert wb["検算"].max_row >= len(report["checks"]) + 3


def test_html_escapes_what_departments_and_citizens_wrote(report):
    html = RENDERERS["html"](report).decode()
    assert "<script>" not in html
    assert "見守り&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;拠点" in html
    assert "&lt;b&gt;強調&lt;/b&gt;" in html and "&amp;" in html
    assert html.count('class="page"') == len(report["contracted_projects"])
    assert re.search(r"@page \{ size: A4", html)
    assert "一致しています" in html
