"""The report's charts as inline SVG, for the html report (the xlsx draws native Excel charts).

Pure functions of the report dict, like every renderer: each bar is a figure the report
holds and carries that figure as text, so a chart reads without the table beside it and
the table without the chart. One user unit is a millimetre and every chart is
``WIDTH`` mm wide, so it prints at the same size on A4 as it shows on screen. Every text
and attribute is escaped (the labels are the report's own today, but a chart must never
become the way markup gets into the page).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape

from cli.report_formats.labels import CHART_TITLES, PANELS, SERIES

WIDTH = 180  # mm: the report's text width (html.py: max-width 180mm inside A4's 12mm margins)
COLOURS = {
    "ward": "#1a4f8b", "bureau": "#e07b00",
    "projects": "#1a4f8b", "contracted_projects": "#e07b00", "contracts": "#2e8b57", "amount_yen": "#7b4fa0",
    "applied": "#1a4f8b", "adopted": "#2e8b57",
}
INK, MUTED, AXIS = "#1f2328", "#5b6270", "#8a919c"
# Font sizes in mm: Japanese labels ~8.5pt, the English below them ~6.5pt, numbers ~7.4pt.
JA, EN, VALUE = 3.0, 2.3, 2.6
SVG_NS = "http://www.w3.org/2000/svg"


@dataclass
class Bar:
    series: str  # a key of SERIES and COLOURS
    value: int
    label: str  # the figure as printed on the bar
    colour: str


@dataclass
class Group:
    key: str
    ja: str
    en: str
    bars: list[Bar]


def _num(v: float) -> str:
    return f"{v:.2f}".rstrip("0").rstrip(".") if isinstance(v, float) else str(v)


def _attrs(attrs: dict[str, Any]) -> str:
    # class_ -> class, text_anchor -> text-anchor, data_series -> data-series
    return "".join(f' {k.rstrip("_").replace("_", "-")}="{escape(_num(v) if isinstance(v, (int, float)) else v)}"'
                   for k, v in attrs.items() if v is not None)


def _tag(name: str, text: str | None = None, **attrs: Any) -> str:
    if text is None:
        return f"<{name}{_attrs(attrs)}/>"
    return f"<{name}{_attrs(attrs)}>{escape(text)}</{name}>"


def _width(text: str, size: float) -> float:
    """Roughly how wide ``text`` is at ``size``: a full-width character is one em, others about half."""
    return sum(size if unicodedata.east_asian_width(ch) in "WF" else size * 0.56 for ch in text)


def _fit(text: str, size: float, room: float) -> float:
    """``size``, or smaller so that ``text`` fits in ``room`` mm (never below 60%)."""
    w = _width(text, size)
    return size if w <= room else max(size * 0.6, size * room / w)


def _clip(text: str, size: float, room: float) -> str:
    """``text``, cut short with an ellipsis when even at the smallest size it does not fit in ``room`` mm.

    A round's title can be long; the table beside the chart and its description give it whole.
    """
    small = size * 0.6
    if _width(text, small) <= room:
        return text
    while text and _width(text + "…", small) > room:
        text = text[:-1]
    return text.rstrip() + "…"


def _text(x: float, y: float, text: str, size: float, *, anchor: str | None = None, fill: str = INK,
          bold: bool = False, class_: str | None = None) -> str:
    return _tag("text", text, x=round(x, 2), y=round(y, 2), font_size=round(size, 2), text_anchor=anchor,
                fill=fill, font_weight="bold" if bold else None, class_=class_)


def _count(n: int) -> str:
    return f"{n:,}"


def _yen(n: int) -> str:
    return f"{n:,}円"


def _bar(group: Group, bar: Bar, inner: list[str]) -> str:
    """One bar and its figure; its data- attributes say which figure, so a drawing can be checked against the report."""
    attrs = {"class": "bar", "data-category": group.key, "data-series": bar.series, "data-value": bar.value}
    return f"<g{_attrs(attrs)}>" + "".join(inner) + "</g>"


class _Chart:
    """An SVG being drawn top to bottom; ``y`` is where the next part goes."""

    def __init__(self, name: str):
        self.name = name
        self.parts: list[str] = []
        self.y = 0.0
        title_ja, title_en = CHART_TITLES[name]
        self.title = f"{title_ja} — {title_en}"
        self.parts.append(_text(0, 4.6, title_ja, 3.8, bold=True))
        self.parts.append(_text(0, 9.0, title_en, 2.8, fill=MUTED))
        self.y = 11.0

    def subtitle(self, key: str) -> None:
        ja, en = PANELS[key]
        self.parts.append(_text(0, self.y + 4, ja, JA, bold=True))
        self.parts.append(_text(_width(ja, JA) + 2.5, self.y + 4, en, EN, fill=MUTED))
        self.y += 6.5

    def legend(self, keys: list[str]) -> None:
        x, base = 0.0, self.y + 4
        for key in keys:
            ja, en = SERIES[key]
            self.parts.append(_tag("rect", x=round(x, 2), y=round(base - 2.6, 2), width=3.2, height=3.2,
                                   fill=COLOURS[key]))
            self.parts.append(_text(x + 4.4, base, ja, JA))
            x += 4.4 + _width(ja, JA) + 1.2
            self.parts.append(_text(x, base, en, EN, fill=MUTED))
            x += _width(en, EN) + 6
        self.y += 6.5

    def note(self, ja: str, en: str) -> None:
        self.parts.append(_text(0, self.y + 3.5, ja, EN + 0.2, fill=MUTED))
        self.parts.append(_text(0, self.y + 6.6, en, EN, fill=MUTED))
        self.y += 7.5

    def hbars(self, groups: list[Group], *, label_width: float = 66, bar: float = 3.8) -> None:
        """Horizontal bars, one row per group (its label on the left, Japanese over English)."""
        x0 = label_width
        longest = max((_width(b.label, VALUE) for g in groups for b in g.bars), default=0)
        span = WIDTH - x0 - longest - 3
        top = max((b.value for g in groups for b in g.bars), default=0) or 1
        start = self.y + 1
        y = start
        for g in groups:
            height = max(9.0, len(g.bars) * bar + 3.0)
            mid = y + height / 2
            self.parts.append(_text(x0 - 2, mid - 0.4, g.ja, _fit(g.ja, JA, x0 - 3), anchor="end"))
            self.parts.append(_text(x0 - 2, mid + 2.7, g.en, _fit(g.en, EN, x0 - 3), anchor="end", fill=MUTED))
            by = mid - len(g.bars) * bar / 2
            for b in g.bars:
                length = span * b.value / top
                inner = [_text(x0 + length + 1.2, by + bar / 2 + VALUE * 0.36, b.label, VALUE, class_="value")]
                if b.value:
                    inner.insert(0, _tag("rect", x=x0, y=round(by + 0.35, 2), width=round(length, 2),
                                         height=round(bar - 0.7, 2), fill=b.colour))
                self.parts.append(_bar(g, b, inner))
                by += bar
            y += height
        self.parts.append(_tag("line", x1=x0, y1=round(start, 2), x2=x0, y2=round(y, 2), stroke=AXIS,
                               stroke_width=0.3))
        self.y = y + 2

    def columns(self, groups: list[Group], *, height: float = 45) -> None:
        """Vertical bars, one cluster per group (its label below, Japanese over English)."""
        x0 = 1.0
        top = max((b.value for g in groups for b in g.bars), default=0) or 1
        base = self.y + 5 + height  # room above the tallest bar for its figure
        cluster = (WIDTH - x0) / max(len(groups), 1)
        for i, g in enumerate(groups):
            n = max(len(g.bars), 1)
            bar = min(11.0, cluster * 0.78 / n)
            left = x0 + cluster * i + (cluster - bar * n) / 2
            room = max(bar, cluster / n) - 0.6
            for j, b in enumerate(g.bars):
                h = height * b.value / top
                bx = left + j * bar
                inner = [_text(bx + bar / 2, base - h - 1.0, b.label, _fit(b.label, VALUE, room), anchor="middle",
                               class_="value")]
                if b.value:
                    inner.insert(0, _tag("rect", x=round(bx + 0.3, 2), y=round(base - h, 2),
                                         width=round(bar - 0.6, 2), height=round(h, 2), fill=b.colour))
                self.parts.append(_bar(g, b, inner))
            centre = x0 + cluster * (i + 0.5)
            ja, en = _clip(g.ja, JA, cluster - 1), _clip(g.en, EN, cluster - 1)
            self.parts.append(_text(centre, base + 4, ja, _fit(ja, JA, cluster - 1), anchor="middle"))
            self.parts.append(_text(centre, base + 7.2, en, _fit(en, EN, cluster - 1), anchor="middle", fill=MUTED))
        self.parts.append(_tag("line", x1=x0, y1=round(base, 2), x2=WIDTH, y2=round(base, 2), stroke=AXIS,
                               stroke_width=0.3))
        self.y = base + 10

    def svg(self, desc: str) -> Markup:
        h = round(self.y + 1, 1)
        ident = f"chart-{self.name}"
        head = (f'<svg xmlns="{SVG_NS}"'
                + _attrs({"id": ident, "class": "chart-svg", "role": "img",
                          "aria-labelledby": f"{ident}-title {ident}-desc", "width": f"{WIDTH}mm",
                          "height": f"{_num(h)}mm", "viewBox": f"0 0 {WIDTH} {_num(h)}"})
                + ">")
        return Markup(head + _tag("title", self.title, id=f"{ident}-title") + _tag("desc", desc, id=f"{ident}-desc")
                      + "".join(self.parts) + "</svg>")


def owners_chart(report: dict[str, Any]) -> Markup:
    p = report["projects"]
    c = _Chart("owners")
    c.hbars([Group(kind, *SERIES[kind], [Bar("projects", p[kind], _count(p[kind]), COLOURS[kind])])
             for kind in ("ward", "bureau")], label_width=40, bar=5.0)
    c.note(f"協働事業の総数 {p['total']:,}件", f"All collaboration projects: {p['total']:,}")
    return c.svg(f"区役所が所管する事業{p['ward']:,}件、局が所管する事業{p['bureau']:,}件、合計{p['total']:,}件。"
                 f" Ward offices own {p['ward']:,} projects and bureaus {p['bureau']:,}, {p['total']:,} in all.")


def fields_chart(report: dict[str, Any]) -> Markup:
    c = _Chart("fields")
    c.legend(["ward", "bureau"])
    c.hbars([Group(str(f["number"]), f"{f['number']}　{f['name_ja']}", f["name_en"],
                   [Bar(k, f[k], _count(f[k]), COLOURS[k]) for k in ("ward", "bureau")]) for f in report["fields"]])
    ja = "、".join(f"{f['name_ja']} {f['ward']}／{f['bureau']}" for f in report["fields"])
    en = "; ".join(f"{f['name_en']} {f['ward']}/{f['bureau']}" for f in report["fields"])
    return c.svg(f"分野ごとの事業数（区役所／局）：{ja}。 Projects per field (ward offices/bureaus): {en}.")


def origins_chart(report: dict[str, Any]) -> Markup:
    contracted = report["contracted"]
    origins = contracted["by_origin"]
    c = _Chart("origins")
    c.subtitle("counts")
    c.legend(["projects", "contracts"])
    c.hbars([Group(key, o["label_ja"], o["label_en"], [Bar(k, o[k], _count(o[k]), COLOURS[k])
                                                        for k in ("projects", "contracts")])
             for key, o in origins.items()], label_width=48)
    c.subtitle("amount")
    c.hbars([Group(key, o["label_ja"], o["label_en"], [Bar("amount_yen", o["amount_yen"], _yen(o["amount_yen"]),
                                                           COLOURS["amount_yen"])])
             for key, o in origins.items()], label_width=48, bar=5.0)
    if contracted["amount_unknown"]:
        c.note(f"契約金額の登録がない事業が{contracted['amount_unknown']}件あり、金額には含まれていません。",
               f"{contracted['amount_unknown']} contracted project(s) without a recorded amount are not included.")
    ja = "、".join(f"{o['label_ja']}：事業{o['projects']:,}件・契約{o['contracts']:,}件・{o['amount_yen']:,}円"
                  for o in origins.values())
    en = "; ".join(f"{o['label_en']}: {o['projects']:,} projects, {o['contracts']:,} contracts, "
                   f"{o['amount_yen']:,} yen" for o in origins.values())
    return c.svg(f"{ja}。 {en}.")


def trends_chart(report: dict[str, Any]) -> Markup:
    years = report["trends"]
    c = _Chart("trends")
    c.subtitle("counts")
    keys = ["projects", "contracted_projects", "contracts"]
    c.legend(keys)
    c.columns([Group(str(t["fiscal_year"]), t["era_year"], f"FY{t['fiscal_year']}",
                     [Bar(k, t[k], _count(t[k]), COLOURS[k]) for k in keys]) for t in years])
    c.subtitle("amount")
    c.columns([Group(str(t["fiscal_year"]), t["era_year"], f"FY{t['fiscal_year']}",
                     [Bar("amount_yen", t["amount_yen"], _yen(t["amount_yen"]), COLOURS["amount_yen"])])
               for t in years], height=32)
    ja = "、".join(f"{t['era_year']}：事業{t['projects']:,}件・協働契約のある事業{t['contracted_projects']:,}件・"
                  f"契約{t['contracts']:,}件・{t['amount_yen']:,}円" for t in years)
    en = "; ".join(f"FY{t['fiscal_year']}: {t['projects']:,} projects, {t['contracted_projects']:,} contracted, "
                   f"{t['contracts']:,} contracts, {t['amount_yen']:,} yen" for t in years)
    return c.svg(f"{ja}。 {en}.")


def rounds_chart(report: dict[str, Any]) -> Markup:
    """Proposals and adoptions per round: a cluster per round, oldest first (the title in Japanese, the code below)."""
    rounds = report["rounds"]
    c = _Chart("rounds")
    keys = ["applied", "adopted"]
    c.legend(keys)
    c.columns([Group(r["code"], r["title_ja"], r["code"], [Bar(k, r[k], _count(r[k]), COLOURS[k]) for k in keys])
               for r in rounds])
    c.note("応募数は提出された提案の数です（下書きを除きます）。",
           "Proposals counts the proposals submitted (not drafts).")
    ja = "、".join(f"{r['title_ja']}（{r['era_year']}）：応募{r['applied']:,}件・採用{r['adopted']:,}件・"
                  f"不採用{r['rejected']:,}件・未決定{r['undecided']:,}件" for r in rounds)
    en = "; ".join(f"{r['title_en'] or r['code']} (FY{r['fiscal_year']}): {r['applied']:,} proposals, "
                   f"{r['adopted']:,} adopted, {r['rejected']:,} not adopted, {r['undecided']:,} undecided"
                   for r in rounds)
    return c.svg(f"募集ごとの応募数・採用数：{ja}。 Proposals and adoptions per round: {en}.")


def charts(report: dict[str, Any]) -> dict[str, Markup]:
    """The report's charts by name: the trends only with more than one year, the rounds only when there are any."""
    out = {"owners": owners_chart(report), "fields": fields_chart(report), "origins": origins_chart(report)}
    if len(report.get("trends", [])) > 1:
        out["trends"] = trends_chart(report)
    if report.get("rounds"):
        out["rounds"] = rounds_chart(report)
    return out
