"""The report as JSON (its documented keys, for programs) and as CSV (its tables, one after another)."""

from __future__ import annotations

import io
import json
from typing import Any

from cli.report_formats.labels import OWNER_KIND_JA, ROUND_COLUMNS_JA, SECTIONS_JA, TITLE_JA
from workflow.registry.cells import SafeWriter


def render_json(report: dict[str, Any]) -> bytes:
    return (json.dumps(report, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def render_csv(report: dict[str, Any]) -> bytes:
    """Every table of the report, each under its heading and separated by a blank line.

    UTF-8 with a byte-order mark, so that a spreadsheet program reads the Japanese; no
    text cell can run as a formula.
    """
    out = io.StringIO()
    w = SafeWriter(out, lineterminator="\r\n")
    p, c = report["projects"], report["contracted"]
    w.writerow([TITLE_JA, report["fiscal_year_label_ja"], report["fiscal_year_label_en"]])
    w.writerow([])
    w.writerow([SECTIONS_JA["projects"]])
    w.writerow(["区分", "事業数"])
    w.writerows([["区役所", p["ward"]], ["局", p["bureau"]], ["合計", p["total"]]])
    w.writerow([])
    w.writerow([SECTIONS_JA["fields"]])
    w.writerow(["番号", "分野", "区役所", "局", "計"])
    for f in report["fields"]:
        w.writerow([f["number"], f["name_ja"], f["ward"], f["bureau"], f["total"]])
    t = report["fields_total"]
    w.writerow(["", "合計", t["ward"], t["bureau"], t["total"]])
    w.writerow([])
    w.writerow([SECTIONS_JA["contracted"]])
    w.writerow(["区分", "根拠", "事業数", "契約件数", "契約金額（円）"])
    for o in c["by_origin"].values():
        w.writerow([o["label_ja"], o["article"], o["projects"], o["contracts"], o["amount_yen"]])
    w.writerow(["合計", "", c["projects"], c["contracts"], c["amount_yen"]])
    w.writerow([])
    if report.get("rounds"):
        w.writerow([SECTIONS_JA["rounds"]])
        w.writerow(["募集コード", "募集", "年度", *ROUND_COLUMNS_JA.values()])
        for r in report["rounds"]:
            w.writerow([r["code"], r["title_ja"], r["era_year"], *(r[k] for k in ROUND_COLUMNS_JA)])
        w.writerow([])
    w.writerow([SECTIONS_JA["list"]])
    w.writerow(["id", "事業名", "所管区分", "所管", "所管課", "分野", "根拠", "協働契約の相手方", "契約件数",
                "契約金額（円）", "費用の種類", "事業内容", "事業実績", "協働で事業を行った効果"])
    for pg in report["contracted_projects"]:
        w.writerow([pg["id"], pg["name"], OWNER_KIND_JA[pg["owner_kind"]], pg["owner"], pg["section"],
                    pg["field_name_ja"], pg["article"], pg["partner"], pg["contract_count"],
                    "" if pg["contract_amount_yen"] is None else pg["contract_amount_yen"], pg["cost_kind_ja"],
                    pg["content"], pg["results"], pg["effect"]])
    w.writerow([])
    w.writerow([SECTIONS_JA["checks"], report["checks_summary_ja"]])
    w.writerow(["項目", "合計", "内訳の和", "結果"])
    for ch in report["checks"]:
        w.writerow([ch["label_ja"], ch["total"], ch["sum"], "一致" if ch["ok"] else "不一致"])
    return out.getvalue().encode("utf-8-sig")
