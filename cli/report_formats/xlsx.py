"""The report as a workbook ready to print: a sheet per table, Japanese headings, A4.

Every sheet prints on A4 fitted to the page width, repeats its title and header rows on
every page, and numbers its pages in the footer. The project reports (one per contracted
project, the five parts of the city's published report) are one sheet with a page break
after each project.

Under each table of figures is its chart: a native Excel chart whose series are the
table's cells (not a picture), so it follows any correction typed into the table, and
no wider than the table so that fitting the sheet to the page does not shrink it. The
colours are the html report's (``charts.COLOURS``). When the report holds several
years, a sheet 「推移」 has the figures per year and their charts; when it holds
proposal rounds, a sheet 「募集別」 has each round's proposals and adoptions and their chart.
"""

from __future__ import annotations

import io
import math
import unicodedata
from typing import Any

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.chart.data_source import AxDataSource, StrRef
from openpyxl.chart.label import DataLabelList
from openpyxl.chart.marker import DataPoint
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet

from cli.report_formats.charts import COLOURS
from cli.report_formats.labels import (
    CHART_TITLES,
    NOT_RECORDED_JA,
    OWNER_KIND_JA,
    PAGE_PARTS_JA,
    PANELS,
    ROUND_COLUMNS_JA,
    SECTIONS_JA,
    TITLE_JA,
    cost_text,
)

FONT = "游ゴシック"
THIN = Side(style="thin", color="808080")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEAD_FILL = PatternFill("solid", fgColor="DCE6F1")
TOTAL_FILL = PatternFill("solid", fgColor="F2F2F2")
YEN = '#,##0"円"'
COUNT = '#,##0'
LINE_HEIGHT = 17  # points per line of 11-point Japanese text


def _title(ws: Worksheet, report: dict[str, Any], heading: str, width: int) -> None:
    ws.append([f"{report['fiscal_year_label_ja']}　{TITLE_JA}"])
    ws.append([heading])
    ws.cell(1, 1).font = Font(name=FONT, size=11, color="404040")
    ws.cell(2, 1).font = Font(name=FONT, size=14, bold=True)
    for row, height in ((1, 18), (2, 26)):
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
        ws.row_dimensions[row].height = height
        ws.cell(row, 1).alignment = Alignment(vertical="center")


def _header(ws: Worksheet, names: list[str]) -> None:
    ws.append(names)
    row = ws.max_row
    for col in range(1, len(names) + 1):
        cell = ws.cell(row, col)
        cell.font = Font(name=FONT, bold=True)
        cell.fill = HEAD_FILL
        cell.border = BOX
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)


def _lines(text: str, width: float) -> int:
    """How many lines ``text`` takes in a column ``width`` wide (a full-width character is ~1.8 wide)."""
    usable = max(width - 0.5, 1)
    lines = 0
    for paragraph in str(text).splitlines() or [""]:
        cells = sum(1.8 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in paragraph)
        lines += max(1, math.ceil(cells / usable))
    return lines


def _row(ws: Worksheet, values: list, formats: dict[int, str] | None = None, total: bool = False,
         wrap: tuple[int, ...] = (), top: bool = False) -> None:
    """One bordered row; wrapped columns get a row height that shows all their text.

    Spreadsheet programs do not grow a row for wrapped text when they open a file, so
    the height is set here from the column widths (set first, by ``_columns``).
    """
    ws.append(values)
    row = ws.max_row
    lines = 1
    for col in range(1, len(values) + 1):
        cell = ws.cell(row, col)
        if cell.data_type == "f":
            # What departments and citizens wrote is text, never a formula to run.
            cell.data_type = "s"
        cell.border = BOX
        cell.font = Font(name=FONT, bold=total)
        if total:
            cell.fill = TOTAL_FILL
        if formats and col in formats:
            cell.number_format = formats[col]
        cell.alignment = Alignment(vertical="top" if top else "center", wrap_text=col in wrap)
        if col in wrap and values[col - 1]:
            width = ws.column_dimensions[cell.column_letter].width or 10
            lines = max(lines, _lines(values[col - 1], width))
    ws.row_dimensions[row].height = LINE_HEIGHT * lines + 3


def _columns(ws: Worksheet, widths: list[float]) -> None:
    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[chr(ord("A") + i - 1)].width = w


def _print_setup(ws: Worksheet, *, landscape: bool = False, title_rows: str = "1:3") -> None:
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages down as needed
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = title_rows
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top = 0.6
    ws.page_margins.bottom = 0.8
    ws.page_margins.footer = 0.35
    ws.print_options.horizontalCentered = True
    ws.oddFooter.center.text = "&P / &N"
    ws.oddFooter.right.text = "&A"


def _chart(title: tuple[str, str], *, horizontal: bool, width: float, height: float) -> BarChart:
    """A clustered bar chart with each bar's figure on it (in its cell's number format)."""
    chart = BarChart()
    chart.type = "bar" if horizontal else "col"
    chart.grouping = "clustered"
    chart.title = "\n".join(title)
    chart.width, chart.height = width, height  # cm
    # Every flag spelled out: Excel reads a missing one as its own default, not as "no".
    chart.dataLabels = DataLabelList(showVal=True, showLegendKey=False, showCatName=False, showSerName=False,
                                     showPercent=False, showBubbleSize=False)
    # openpyxl leaves the axes' "delete" unset, which recent Excel reads as hidden axes.
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.y_axis.majorGridlines = None
    chart.x_axis.axPos, chart.y_axis.axPos = ("l", "b") if horizontal else ("b", "l")
    if horizontal:
        # The table's first row at the top, as it reads.
        chart.x_axis.scaling.orientation = "maxMin"
    chart.legend.position = "b"
    return chart


def _series(ws: Worksheet, chart: BarChart, columns: list[tuple[int, str]], header: int, first: int,
            last: int, categories: int) -> None:
    """One series per column (its name from the header cell), over rows ``first``..``last``."""
    for col, key in columns:
        chart.add_data(Reference(ws, min_col=col, min_row=header, max_row=last), titles_from_data=True)
        chart.series[-1].graphicalProperties.solidFill = COLOURS[key].lstrip("#")
        chart.series[-1].graphicalProperties.line.noFill = True
    # The categories are the table's labels: text, so a string reference (set_categories makes a numeric one).
    labels = AxDataSource(strRef=StrRef(f=Reference(ws, min_col=categories, min_row=first, max_row=last)))
    for series in chart.series:
        series.cat = labels


def _summary(wb: Workbook, report: dict[str, Any]) -> None:
    ws = wb.active
    ws.title = "概要"
    _columns(ws, [34, 12, 30])
    p, c = report["projects"], report["contracted"]
    _title(ws, report, SECTIONS_JA["projects"], 3)
    _header(ws, ["区分", "事業数", "備考"])
    _row(ws, ["区役所が所管する事業", p["ward"], ""], {2: COUNT})
    _row(ws, ["局が所管する事業", p["bureau"], ""], {2: COUNT})
    _row(ws, ["協働事業の総数", p["total"], ""], {2: COUNT}, total=True)
    _row(ws, ["うち協働契約のある事業", c["projects"], f"契約件数 {c['contracts']:,}件"], {2: COUNT})
    ws.append([])
    ws.append([report["checks_summary_ja"]])
    ws.cell(ws.max_row, 1).font = Font(name=FONT, bold=True, color="1F6F2F" if report["checks_ok"] else "C00000")
    ws.append([f"集計日時：{report['generated_at']}　登録ファイルからの事業 {report['sources']['imported']}件、"
               f"システムで管理する事業 {report['sources']['engine']}件"])
    ws.cell(ws.max_row, 1).font = Font(name=FONT, size=9, color="595959")
    # Rows 4 and 5 are the ward offices' and the bureaus' projects.
    chart = _chart(CHART_TITLES["owners"], horizontal=True, width=14.5, height=6)
    _series(ws, chart, [(2, "projects")], header=3, first=4, last=5, categories=1)
    for idx, kind in enumerate(("ward", "bureau")):
        point = DataPoint(idx=idx)
        point.graphicalProperties.solidFill = COLOURS[kind].lstrip("#")
        chart.series[0].dPt.append(point)
    chart.legend = None
    ws.add_chart(chart, f"A{ws.max_row + 2}")
    _print_setup(ws)


def _fields(wb: Workbook, report: dict[str, Any]) -> None:
    ws = wb.create_sheet("分野別")
    _columns(ws, [7, 40, 11, 11, 11])
    _title(ws, report, SECTIONS_JA["fields"], 5)
    _header(ws, ["番号", "分野", "区役所", "局", "計"])
    for f in report["fields"]:
        _row(ws, [f["number"], f["name_ja"], f["ward"], f["bureau"], f["total"]], {3: COUNT, 4: COUNT, 5: COUNT})
    t = report["fields_total"]
    _row(ws, ["", "合計", t["ward"], t["bureau"], t["total"]], {3: COUNT, 4: COUNT, 5: COUNT}, total=True)
    last = ws.max_row - 1  # the fields, without the total
    chart = _chart(CHART_TITLES["fields"], horizontal=True, width=15.5, height=14)
    _series(ws, chart, [(3, "ward"), (4, "bureau")], header=3, first=4, last=last, categories=2)
    ws.add_chart(chart, f"A{ws.max_row + 2}")
    _print_setup(ws)


def _origins(wb: Workbook, report: dict[str, Any]) -> None:
    ws = wb.create_sheet("契約事業（根拠別）")
    _columns(ws, [26, 10, 10, 10, 18])
    c = report["contracted"]
    _title(ws, report, SECTIONS_JA["contracted"], 5)
    _header(ws, ["区分", "根拠", "事業数", "契約件数", "契約金額"])
    fmt = {3: COUNT, 4: COUNT, 5: YEN}
    for o in c["by_origin"].values():
        _row(ws, [o["label_ja"], o["article"], o["projects"], o["contracts"], o["amount_yen"]], fmt)
    last = ws.max_row
    _row(ws, ["合計", "", c["projects"], c["contracts"], c["amount_yen"]], fmt, total=True)
    if c["amount_unknown"]:
        ws.append([f"契約金額の登録がない事業が{c['amount_unknown']}件あり、金額の合計には含まれていません。"])
        ws.cell(ws.max_row, 1).font = Font(name=FONT, size=9)
    title_ja, title_en = CHART_TITLES["origins"]
    counts = _chart((f"{title_ja}　{PANELS['counts'][0]}", f"{title_en}: {PANELS['counts'][1]}"),
                    horizontal=True, width=14, height=6.5)
    _series(ws, counts, [(3, "projects"), (4, "contracts")], header=3, first=4, last=last, categories=1)
    amount = _chart((f"{title_ja}　{PANELS['amount'][0]}", f"{title_en}: {PANELS['amount'][1]}"),
                    horizontal=True, width=14, height=5.5)
    _series(ws, amount, [(5, "amount_yen")], header=3, first=4, last=last, categories=1)
    amount.legend = None
    top = ws.max_row + 2
    ws.add_chart(counts, f"A{top}")
    ws.add_chart(amount, f"A{top + 15}")  # below the first chart (6.5 cm is about 13 rows)
    _print_setup(ws)


def _trends(wb: Workbook, report: dict[str, Any]) -> None:
    years = report.get("trends", [])
    if len(years) < 2:
        return  # one year is the other sheets' figures again
    ws = wb.create_sheet("推移")
    _columns(ws, [16, 11, 18, 11, 18])
    _title(ws, report, SECTIONS_JA["trends"], 5)
    _header(ws, ["年度", "事業数", "協働契約のある事業", "契約件数", "契約金額"])
    for t in years:
        _row(ws, [t["era_year"], t["projects"], t["contracted_projects"], t["contracts"], t["amount_yen"]],
             {2: COUNT, 3: COUNT, 4: COUNT, 5: YEN})
    last = ws.max_row
    title_ja, title_en = CHART_TITLES["trends"]
    counts = _chart((f"{title_ja}　{PANELS['counts'][0]}", f"{title_en}: {PANELS['counts'][1]}"),
                    horizontal=False, width=14.5, height=7.5)
    _series(ws, counts, [(2, "projects"), (3, "contracted_projects"), (4, "contracts")], header=3, first=4,
            last=last, categories=1)
    amount = _chart((f"{title_ja}　{PANELS['amount'][0]}", f"{title_en}: {PANELS['amount'][1]}"),
                    horizontal=False, width=14.5, height=6.5)
    _series(ws, amount, [(5, "amount_yen")], header=3, first=4, last=last, categories=1)
    amount.legend = None
    top = last + 2
    ws.add_chart(counts, f"A{top}")
    ws.add_chart(amount, f"A{top + 17}")  # below the first chart (7.5 cm is about 15 rows)
    _print_setup(ws)


def _rounds(wb: Workbook, report: dict[str, Any]) -> None:
    rounds = report.get("rounds", [])
    if not rounds:
        return
    ws = wb.create_sheet("募集別")
    _columns(ws, [34, 12, 9, 9, 9, 9])
    _title(ws, report, SECTIONS_JA["rounds"], 6)
    _header(ws, ["募集", "年度", *ROUND_COLUMNS_JA.values()])
    for r in rounds:
        _row(ws, [r["title_ja"], r["era_year"], *(r[k] for k in ROUND_COLUMNS_JA)],
             {3: COUNT, 4: COUNT, 5: COUNT, 6: COUNT}, wrap=(1,))
    last = ws.max_row
    chart = _chart(CHART_TITLES["rounds"], horizontal=False, width=15, height=7.5)
    _series(ws, chart, [(3, "applied"), (4, "adopted")], header=3, first=4, last=last, categories=1)
    ws.add_chart(chart, f"A{last + 2}")
    _print_setup(ws)


def _project_list(wb: Workbook, report: dict[str, Any]) -> None:
    ws = wb.create_sheet("契約事業一覧")
    _columns(ws, [6, 30, 16, 16, 20, 8, 30, 8, 15])
    _title(ws, report, SECTIONS_JA["list"], 9)
    _header(ws, ["番号", "事業名", "所管", "所管課", "分野", "根拠", "協働契約の相手方", "契約件数", "事業費"])
    for i, pg in enumerate(report["contracted_projects"], start=1):
        _row(ws, [i, pg["name"], f"{pg['owner']}（{OWNER_KIND_JA[pg['owner_kind']]}）", pg["section"],
                  pg["field_name_ja"], pg["article"], pg["partner"], pg["contract_count"], pg["contract_amount_yen"]],
             {8: COUNT, 9: YEN}, wrap=(2, 3, 4, 5, 7))
    _print_setup(ws, landscape=True)


def _project_pages(wb: Workbook, report: dict[str, Any]) -> None:
    ws = wb.create_sheet("事業別報告")
    _columns(ws, [24, 70])
    _title(ws, report, SECTIONS_JA["pages"], 2)
    ws.append([])
    pages = report["contracted_projects"]
    for i, pg in enumerate(pages, start=1):
        ws.append([f"{i}．{pg['name']}"])
        ws.cell(ws.max_row, 1).font = Font(name=FONT, size=12, bold=True)
        ws.merge_cells(start_row=ws.max_row, start_column=1, end_row=ws.max_row, end_column=2)
        _row(ws, ["所管", f"{pg['owner']}（{OWNER_KIND_JA[pg['owner_kind']]}）　{pg['section']}"], wrap=(2,))
        _row(ws, ["分野・根拠", f"{pg['field_name_ja']}　／　{pg['article']}（契約{pg['contract_count']}件）"], wrap=(2,))
        parts = (pg["partner"], cost_text(pg), pg["content"], pg["results"], pg["effect"])
        for label, value in zip(PAGE_PARTS_JA, parts):
            _row(ws, [label, value or NOT_RECORDED_JA], wrap=(2,), top=True)
            ws.cell(ws.max_row, 1).font = Font(name=FONT, bold=True)
            ws.cell(ws.max_row, 1).fill = HEAD_FILL
            ws.row_dimensions[ws.max_row].height = max(ws.row_dimensions[ws.max_row].height, 2 * LINE_HEIGHT + 3)
        if i < len(pages):
            ws.row_breaks.append(Break(id=ws.max_row))
    if not pages:
        ws.append(["協働契約のある事業はありません。"])
    _print_setup(ws, title_rows="1:2")


def _checks(wb: Workbook, report: dict[str, Any]) -> None:
    ws = wb.create_sheet("検算")
    _columns(ws, [52, 14, 14, 10])
    _title(ws, report, SECTIONS_JA["checks"], 4)
    _header(ws, ["検算項目", "合計", "内訳の和", "結果"])
    for ch in report["checks"]:
        _row(ws, [ch["label_ja"], ch["total"], ch["sum"], "一致" if ch["ok"] else "不一致"], {2: COUNT, 3: COUNT})
        if not ch["ok"]:
            ws.cell(ws.max_row, 4).font = Font(name=FONT, bold=True, color="C00000")
    ws.append([])
    ws.append([report["checks_summary_ja"]])
    ws.cell(ws.max_row, 1).font = Font(name=FONT, bold=True)
    _print_setup(ws)


def render(report: dict[str, Any]) -> bytes:
    wb = Workbook()
    for sheet in (_summary, _fields, _origins, _trends, _rounds, _project_list, _project_pages, _checks):
        sheet(wb, report)
    wb.properties.title = f"{report['fiscal_year_label_ja']} {TITLE_JA}"
    wb.properties.creator = "Kyodo"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
