"""The Article 20 report with pictures: charts of the report's own figures, in html and xlsx.

``tests/data/registry_fy2020.csv`` adds up to the city's published FY2020 report (203
projects, 118 ward / 85 bureau; 31 contracted projects with 77 contracts: Art. 9 27/73,
Art. 10 4/4). The html draws each chart as inline SVG with its figures on the bars; the
xlsx has native Excel charts whose series are the tables' cells; with several years
imported, both add the trends, and with proposal rounds, the proposals and adoptions per
round. A real browser draws the charts at A4 print width.
"""

from __future__ import annotations

import csv
import io
import json
import re
import struct
import xml.etree.ElementTree as ET
import zlib
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.chart import BarChart

from cli.report_formats import RENDERERS
from cli.report_formats.charts import COLOURS, owners_chart
from cli.report_formats.labels import CHART_TITLES
from tests.registry.conftest import DATA, SAMPLE
from tests.registry.test_report import hold_rounds
# Skipped without Chromium, failed under CI=true: the same rule as the web's browser tests.
from tests.web.test_browser import need_chromium
from workflow.registry.annual_report import build_report
from workflow.registry.projects import import_file

FY2020 = DATA / "registry_fy2020.csv"
SVG = "{http://www.w3.org/2000/svg}"
PUBLISHED = {
    "projects": {"total": 203, "ward": 118, "bureau": 85},
    "contracted": (31, 77),
    "city": (27, 73),
    "citizen": (4, 4),
}
# The sample file as FY2019: counted by hand in tests/registry/test_report.py.
SAMPLE_YEAR = {"projects": 30, "contracted_projects": 9, "contracts": 16, "amount_yen": 30_850_000}


def amounts_in_file(path: Path) -> dict[str, int]:
    """Contract amounts per origin, added up from the file itself (not by the report's code)."""
    out = {"city": 0, "citizen": 0}
    with open(path, encoding="utf-8-sig", newline="") as f:
        for row in csv.DictReader(f):
            if row["contract"] == "1":
                out[row["origin"]] += int(row["contract_amount_yen"] or 0)
    return out


@pytest.fixture
def fy2020(session):
    import_file(session, FY2020.read_bytes(), 2020)
    return build_report(session, 2020)


@pytest.fixture
def two_years(session):
    import_file(session, SAMPLE.read_bytes(), 2019)
    import_file(session, FY2020.read_bytes(), 2020)
    import_file(session, SAMPLE.read_bytes(), 2021)  # after the report's year: not in its trends
    return build_report(session, 2020)


@pytest.fixture
def with_rounds(session, world):
    """Both years imported, and FY2019's and FY2020's rounds with their proposals decided through the engine."""
    import_file(session, SAMPLE.read_bytes(), 2019)
    import_file(session, FY2020.read_bytes(), 2020)
    by_hand = hold_rounds(world, 2020)
    return build_report(session, 2020), by_hand


def svgs(html: str) -> dict[str, ET.Element]:
    """Each chart's SVG by the name of its figure, parsed as XML."""
    found = re.findall(r'<figure class="chart" data-chart="([a-z]+)">(<svg.*?</svg>)</figure>', html, re.S)
    return {name: ET.fromstring(svg) for name, svg in found}


def bars(svg: ET.Element) -> dict[tuple[str, str], str]:
    """(category, series) -> the figure printed on that bar."""
    out = {}
    for g in svg.iter(f"{SVG}g"):
        if g.get("class") == "bar":
            label = next(t for t in g.iter(f"{SVG}text") if t.get("class") == "value")
            out[(g.get("data-category"), g.get("data-series"))] = label.text
    return out


def texts(svg: ET.Element) -> list[str]:
    return [t.text for t in svg.iter(f"{SVG}text")]


def cells(wb, ref: str) -> list:
    """The values of a chart's reference, e.g. 'Sheet'!$B$4:$B$5, read from the workbook."""
    sheet, _, area = ref.rpartition("!")
    found = wb[sheet.strip("'")][area.replace("$", "")]
    if not isinstance(found, tuple):
        return [found.value]  # one cell
    return [c.value for row in found for c in row]


def series(wb, chart) -> list[tuple[str, list, list]]:
    """Each series of a chart as (its name, its categories, its values), from the cells it references."""
    return [(cells(wb, s.tx.strRef.f)[0], cells(wb, s.cat.strRef.f), cells(wb, s.val.numRef.f))
            for s in chart.series]


# --- The FY2020 file and the published figures


def test_the_fy2020_file_gives_the_published_figures(fy2020):
    r = json.loads(RENDERERS["json"](fy2020))
    assert r["projects"] == PUBLISHED["projects"]
    assert (r["contracted"]["projects"], r["contracted"]["contracts"]) == PUBLISHED["contracted"]
    for origin in ("city", "citizen"):
        o = r["contracted"]["by_origin"][origin]
        assert (o["projects"], o["contracts"]) == PUBLISHED[origin]
        assert o["amount_yen"] == amounts_in_file(FY2020)[origin]
    assert r["fields_total"] == {"ward": 118, "bureau": 85, "total": 203}
    assert all(f["total"] > 0 for f in r["fields"])  # every one of the twelve fields has projects
    assert r["checks_ok"] is True
    # One year in the registry: the trends are that year alone, with the report's own figures.
    assert r["trends"] == [{
        "fiscal_year": 2020, "era_year": "令和2年度", "english_fiscal_year": "FY2020 (April 2020 – March 2021)",
        "projects": 203, "contracted_projects": 31, "contracts": 77, "amount_yen": r["contracted"]["amount_yen"],
    }]


# --- html: one SVG per chart, the figures on the bars


def test_the_html_has_a_chart_after_each_table_with_the_figures_on_its_bars(fy2020):
    html = RENDERERS["html"](fy2020).decode()
    charts = svgs(html)
    assert list(charts) == ["owners", "fields", "origins"]  # one year: no trends chart
    for name, svg in charts.items():
        assert svg.get("width") == "180mm", name
        assert svg.get("role") == "img" and svg.get("aria-labelledby") == f"chart-{name}-title chart-{name}-desc"
        assert svg.find(f"{SVG}title").text and svg.find(f"{SVG}desc").text, name

    owners = charts["owners"]
    assert bars(owners) == {("ward", "projects"): "118", ("bureau", "projects"): "85"}
    assert "所管別の協働事業の数" in texts(owners) and "Projects by owner" in texts(owners)
    assert {"区役所", "Ward offices", "局", "Bureaus"} <= set(texts(owners))
    widths = {g.get("data-category"): float(g.find(f"{SVG}rect").get("width")) for g in owners.iter(f"{SVG}g")}
    assert widths["ward"] / widths["bureau"] == pytest.approx(118 / 85, rel=0.01)

    fields = bars(charts["fields"])
    assert len(fields) == 24
    for f in fy2020["fields"]:
        assert fields[(str(f["number"]), "ward")] == str(f["ward"])
        assert fields[(str(f["number"]), "bureau")] == str(f["bureau"])
    assert sum(int(v) for (_, s), v in fields.items() if s == "ward") == 118
    assert sum(int(v) for (_, s), v in fields.items() if s == "bureau") == 85
    assert "Civic and community activity" in texts(charts["fields"])

    amounts = amounts_in_file(FY2020)
    assert bars(charts["origins"]) == {
        ("city", "projects"): "27", ("city", "contracts"): "73", ("citizen", "projects"): "4",
        ("citizen", "contracts"): "4",
        ("city", "amount_yen"): f"{amounts['city']:,}円", ("citizen", "amount_yen"): f"{amounts['citizen']:,}円",
    }
    assert {"市の発意（第9条）", "city-initiated (Art. 9)"} <= set(texts(charts["origins"]))
    assert re.search(r"figure\.chart \{[^}]*width: 180mm;[^}]*break-inside: avoid", html)


def test_chart_text_is_escaped(fy2020, monkeypatch):
    monkeypatch.setitem(CHART_TITLES, "owners", ('所管<script>alert("x")</script>', "by owner & more"))
    svg = str(owners_chart(fy2020))
    assert "<script>" not in svg
    parsed = ET.fromstring(svg)
    assert '所管<script>alert("x")</script>' in texts(parsed) and "by owner & more" in texts(parsed)


# --- xlsx: native charts over the tables' cells


def test_the_xlsx_has_native_charts_over_the_tables_cells(fy2020):
    wb = load_workbook(io.BytesIO(RENDERERS["xlsx"](fy2020)))
    assert "推移" not in wb.sheetnames  # one year
    for ws in wb.worksheets:
        assert not ws._images, ws.title  # charts, not pictures of charts

    (owners,) = wb["概要"]._charts
    assert owners.tagname == "barChart"
    assert series(wb, owners) == [("事業数", ["区役所が所管する事業", "局が所管する事業"], [118, 85])]
    assert owners.series[0].val.numRef.f == "'概要'!$B$4:$B$5"

    (fields,) = wb["分野別"]._charts
    names = [f["name_ja"] for f in fy2020["fields"]]
    assert series(wb, fields) == [("区役所", names, [f["ward"] for f in fy2020["fields"]]),
                                  ("局", names, [f["bureau"] for f in fy2020["fields"]])]
    assert [s.val.numRef.f for s in fields.series] == ["'分野別'!$C$4:$C$15", "'分野別'!$D$4:$D$15"]  # no total row

    counts, amount = wb["契約事業（根拠別）"]._charts
    origins = ["市の発意（第9条）", "市民等の提案（第10条）"]
    assert series(wb, counts) == [("事業数", origins, [27, 4]), ("契約件数", origins, [73, 4])]
    amounts = amounts_in_file(FY2020)
    assert series(wb, amount) == [("契約金額", origins, [amounts["city"], amounts["citizen"]])]
    for chart in (owners, fields, counts, amount):
        assert chart.dataLabels.showVal, chart.title  # the figure on each bar
        assert chart.x_axis.delete is False and chart.y_axis.delete is False


# --- Several years: the trends


def test_with_fy2019_and_fy2020_imported_the_report_shows_the_trends(two_years):
    r = two_years
    assert [t["fiscal_year"] for t in r["trends"]] == [2019, 2020]  # FY2021 comes after the report's year
    first, second = r["trends"]
    assert {k: first[k] for k in SAMPLE_YEAR} == SAMPLE_YEAR
    assert (first["era_year"], first["english_fiscal_year"]) == ("平成31年度", "FY2019 (April 2019 – March 2020)")
    assert (second["projects"], second["contracted_projects"], second["contracts"]) == (203, 31, 77)
    assert second["amount_yen"] == r["contracted"]["amount_yen"]

    html = RENDERERS["html"](r).decode()
    charts = svgs(html)
    assert list(charts) == ["owners", "fields", "origins", "trends"]
    trend = bars(charts["trends"])
    assert {c for c, _ in trend} == {"2019", "2020"}
    assert trend[("2019", "projects")] == "30" and trend[("2020", "projects")] == "203"
    assert trend[("2019", "contracted_projects")] == "9" and trend[("2020", "contracted_projects")] == "31"
    assert trend[("2019", "contracts")] == "16" and trend[("2020", "contracts")] == "77"
    assert trend[("2019", "amount_yen")] == "30,850,000円"
    assert {"平成31年度", "FY2019", "令和2年度", "FY2020"} <= set(texts(charts["trends"]))
    assert "FY2019 (April 2019 – March 2020)" in html  # the table beside the chart

    wb = load_workbook(io.BytesIO(RENDERERS["xlsx"](r)))
    assert wb.sheetnames.index("推移") == wb.sheetnames.index("契約事業（根拠別）") + 1
    counts, amount = wb["推移"]._charts
    assert counts.type == "col"
    years = ["平成31年度", "令和2年度"]
    assert series(wb, counts) == [("事業数", years, [30, 203]), ("協働契約のある事業", years, [9, 31]),
                                  ("契約件数", years, [16, 77])]
    assert series(wb, amount) == [("契約金額", years, [30_850_000, second["amount_yen"]])]


def test_a_year_with_only_engine_projects_is_in_the_trends(session, world):
    # A citizen proposal contracted for 2026-06-01 .. 2027-03-31: FY2026 has only this project.
    pid = world.new_proposal()
    world.to_in_progress(pid)
    import_file(session, SAMPLE.read_bytes(), 2027)
    r = build_report(session, 2027)
    assert [(t["fiscal_year"], t["projects"], t["contracted_projects"]) for t in r["trends"]] == [
        (2026, 1, 1), (2027, 30, 9)]


# --- Proposals and adoptions per round


def test_the_html_shows_proposals_and_adoptions_per_round(with_rounds):
    r, by_hand = with_rounds
    codes = ["2019-autumn", "2020-spring", "2020-autumn"]
    assert [g["code"] for g in r["rounds"]] == codes
    html = RENDERERS["html"](r).decode()
    charts = svgs(html)
    assert list(charts) == ["owners", "fields", "origins", "trends", "rounds"]
    chart = charts["rounds"]
    assert bars(chart) == {(code, k): str(by_hand[code][k]) for code in codes for k in ("applied", "adopted")}
    assert {"募集ごとの応募数・採用数", "Proposals and adoptions per round", "応募数", "採用数"} <= set(texts(chart))
    heights = {(g.get("data-category"), g.get("data-series")): float(g.find(f"{SVG}rect").get("height"))
               for g in chart.iter(f"{SVG}g") if g.get("class") == "bar"}
    assert heights[("2020-spring", "applied")] / heights[("2020-autumn", "applied")] == pytest.approx(4 / 3, rel=0.01)
    desc = chart.find(f"{SVG}desc").text
    ja, _, en = desc.partition("。 ")  # Japanese first, then English
    assert "令和2年度 協働事業提案（2020-spring）（令和2年度）：応募4件・採用1件・不採用1件・未決定2件" in ja
    assert "Collaboration proposals 2020-autumn (FY2020): 3 proposals, 2 adopted, 1 not adopted, 0 undecided" in en
    # The section: its heading, Japanese first, then the table of figures, then the chart.
    section = html.index("参考　協働事業提案の募集ごとの応募・採用の状況")
    table = html.index("<td>令和2年度 協働事業提案（2020-spring）", section)
    assert section < table < html.index('data-chart="rounds"')
    assert html.index('data-chart="trends"') < section


def test_a_year_without_rounds_has_no_rounds_section(fy2020):
    assert fy2020["rounds"] == []
    html = RENDERERS["html"](fy2020).decode()
    assert "rounds" not in svgs(html) and "募集ごとの応募" not in html
    assert "募集別" not in load_workbook(io.BytesIO(RENDERERS["xlsx"](fy2020))).sheetnames
    assert "募集" not in RENDERERS["csv"](fy2020).decode("utf-8-sig")


def test_the_xlsx_has_a_rounds_sheet_with_a_native_chart_over_its_cells(with_rounds):
    r, by_hand = with_rounds
    wb = load_workbook(io.BytesIO(RENDERERS["xlsx"](r)))
    assert wb.sheetnames.index("募集別") == wb.sheetnames.index("推移") + 1
    ws = wb["募集別"]
    assert [c.value for c in ws[3]] == ["募集", "年度", "応募数", "採用数", "不採用数", "未決定"]
    titles = [g["title_ja"] for g in r["rounds"]]
    assert [[c.value for c in row] for row in ws.iter_rows(min_row=4, max_row=6)] == [
        [g["title_ja"], g["era_year"], *(by_hand[g["code"]][k] for k in ("applied", "adopted", "rejected",
                                                                        "undecided"))] for g in r["rounds"]]
    (chart,) = ws._charts
    assert isinstance(chart, BarChart) and chart.type == "col"
    assert [s.val.numRef.f for s in chart.series] == ["'募集別'!$C$4:$C$6", "'募集別'!$D$4:$D$6"]
    assert series(wb, chart) == [("応募数", titles, [1, 4, 3]), ("採用数", titles, [1, 1, 2])]
    assert chart.dataLabels.showVal and chart.x_axis.delete is False and chart.y_axis.delete is False
    assert int(ws.page_setup.paperSize) == 9 and ws.sheet_properties.pageSetUpPr.fitToPage


def test_json_and_csv_carry_the_rounds(with_rounds):
    r, by_hand = with_rounds
    assert json.loads(RENDERERS["json"](r))["rounds"] == r["rounds"]
    rows = list(csv.reader(io.StringIO(RENDERERS["csv"](r).decode("utf-8-sig"))))
    head = rows.index(["募集コード", "募集", "年度", "応募数", "採用数", "不採用数", "未決定"])
    assert rows[head - 1] == ["参考　協働事業提案の募集ごとの応募・採用の状況"]
    assert rows[head + 2] == ["2020-spring", "令和2年度 協働事業提案（2020-spring）", "令和2年度", "4", "1", "1", "2"]


# --- In a browser, at A4 print width




def read_png(path: Path) -> tuple[int, int, list[bytes]]:
    """Width, height and RGB pixels of an 8-bit, non-interlaced PNG (what Chromium writes)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat = 8, b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
    assert depth == 8 and colour in (2, 6) and interlace == 0
    bpp = 3 if colour == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    prev = bytearray(stride)
    pixels: list[bytes] = []
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if kind == 1:
                line[x] = (line[x] + a) & 255
            elif kind == 2:
                line[x] = (line[x] + b) & 255
            elif kind == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        pixels.extend(bytes(line[i:i + 3]) for i in range(0, stride, bpp))
        prev = line
    return width, height, pixels


def rgb(hex_colour: str) -> bytes:
    return bytes.fromhex(hex_colour.lstrip("#"))


CHART_SERIES = {
    "owners": ("ward", "bureau"),
    "fields": ("ward", "bureau"),
    "origins": ("projects", "contracts", "amount_yen"),
    "trends": ("projects", "contracted_projects", "contracts", "amount_yen"),
    "rounds": ("applied", "adopted"),
}
MM = 96 / 25.4  # CSS pixels per millimetre
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]  # as tests/web/test_browser.py launches it


@pytest.mark.slow
@pytest.mark.parametrize("db_engine", ["sqlite"], indirect=True)
def test_the_charts_are_drawn_at_a4_width_in_a_browser(with_rounds, tmp_path):
    path = need_chromium()
    from playwright.sync_api import sync_playwright

    page_file = tmp_path / "article20-FY2020.html"
    page_file.write_bytes(RENDERERS["html"](with_rounds[0]))
    shots = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=ARGS)
        try:
            # A4 is 210 mm wide: 794 CSS pixels.
            page = browser.new_page(viewport={"width": round(210 * MM), "height": round(297 * MM)}, locale="ja-JP")
            page.emulate_media(media="print")
            page.goto(page_file.as_uri())
            figures = page.query_selector_all("figure.chart")
            assert [f.get_attribute("data-chart") for f in figures] == list(CHART_SERIES)
            for figure in figures:
                name = figure.get_attribute("data-chart")
                box = figure.bounding_box()
                assert box["width"] == pytest.approx(180 * MM, abs=1.5), name
                # Each chart fits on one A4 page inside the report's margins, and is never split.
                assert box["height"] < (297 - 30) * MM, name
                assert figure.evaluate("e => getComputedStyle(e).breakInside") == "avoid", name
                shots[name] = tmp_path / f"chart-{name}.png"
                figure.screenshot(path=str(shots[name]))
        finally:
            browser.close()

    for name, shot in shots.items():
        width, height, pixels = read_png(shot)
        assert width >= 180 * MM - 2 and height > 40, name
        total = len(pixels)
        counts: dict[bytes, int] = {}
        for px in pixels:
            counts[px] = counts.get(px, 0) + 1
        # A drawing, not a blank: many colours (text, bars, their edges) and much white paper.
        assert len(counts) > 20, name
        assert 0.3 < counts.get(b"\xff\xff\xff", 0) / total < 0.97, name
        # Each series' colour is there, and the bars cover a sensible share of the chart.
        shares = {key: counts.get(rgb(COLOURS[key]), 0) / total for key in CHART_SERIES[name]}
        for key, share in shares.items():
            assert share > 0.002, (name, key, share)
        assert 0.03 < sum(shares.values()) < 0.6, (name, shares)
