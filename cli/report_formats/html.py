"""The report as one HTML page, printable on A4 (each project report starts a new page).

Rendered by Jinja2 with autoescaping: project names and texts come from departments'
files and from citizens, and are shown as text, never as markup. Each table of figures
is followed by its chart (inline SVG from ``charts``, escaped there), 180 mm wide and
never split across pages.
"""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, StrictUndefined

from cli.report_formats.charts import charts
from cli.report_formats.labels import (
    NOT_RECORDED_JA,
    OWNER_KIND_JA,
    PAGE_PARTS_JA,
    ROUND_COLUMNS_JA,
    SECTIONS_JA,
    TITLE_EN,
    TITLE_JA,
    cost_text,
)

TEMPLATE = """<!DOCTYPE html>
<html lang="ja">
<head>
<meta charset="utf-8">
<title>{{ r.fiscal_year_label_ja }} {{ title_ja }}</title>
<style>
  @page { size: A4; margin: 15mm 12mm; }
  body { font-family: "Hiragino Kaku Gothic ProN", "Yu Gothic", Meiryo, "Noto Sans CJK JP", sans-serif;
         font-size: 10.5pt; line-height: 1.6; color: #1f2328; max-width: 180mm; margin: 0 auto; }
  h1 { font-size: 16pt; margin: 0 0 2mm; } h1 small { display: block; font-size: 9pt; color: #5b6270; }
  h2 { font-size: 12.5pt; border-bottom: 2px solid #1a4f8b; margin: 8mm 0 3mm; padding-bottom: 1mm; }
  table { border-collapse: collapse; width: 100%; margin: 0 0 4mm; }
  th, td { border: 1px solid #8a919c; padding: 1.2mm 2mm; vertical-align: top; }
  thead th { background: #dce6f1; } thead { display: table-header-group; }
  td.n { text-align: right; white-space: nowrap; } tr.total td { font-weight: bold; background: #f2f2f2; }
  .check { font-weight: bold; color: {{ "#1f6f2f" if r.checks_ok else "#c00000" }}; }
  .page { break-before: page; page-break-before: always; }
  .page th { width: 30%; background: #dce6f1; text-align: left; }
  .muted { color: #5b6270; font-size: 9pt; }
  .text { white-space: pre-line; }
  figure.chart { width: 180mm; margin: 0 0 6mm; break-inside: avoid; page-break-inside: avoid;
                 -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  figure.chart svg { display: block; width: 180mm; height: auto; overflow: visible; }
  .keep { break-inside: avoid; page-break-inside: avoid; }
</style>
</head>
<body>
<h1>{{ r.fiscal_year_label_ja }}　{{ title_ja }}<small>{{ title_en }} — {{ r.fiscal_year_label_en }}</small></h1>
<p class="check">{{ r.checks_summary_ja }}<br><span class="muted">{{ r.checks_summary_en }}</span></p>

<h2>{{ sections.projects }}</h2>
<table>
<thead><tr><th>区分</th><th>事業数</th></tr></thead>
<tbody>
<tr><td>区役所が所管する事業</td><td class="n">{{ "{:,}".format(r.projects.ward) }}</td></tr>
<tr><td>局が所管する事業</td><td class="n">{{ "{:,}".format(r.projects.bureau) }}</td></tr>
<tr class="total"><td>協働事業の総数</td><td class="n">{{ "{:,}".format(r.projects.total) }}</td></tr>
</tbody>
</table>
<figure class="chart" data-chart="owners">{{ svg.owners }}</figure>

<h2>{{ sections.fields }}</h2>
<table>
<thead><tr><th>番号</th><th>分野</th><th>区役所</th><th>局</th><th>計</th></tr></thead>
<tbody>
{% for f in r.fields %}
<tr><td class="n">{{ f.number }}</td><td>{{ f.name_ja }}</td><td class="n">{{ f.ward }}</td><td class="n">{{ f.bureau }}</td><td class="n">{{ f.total }}</td></tr>
{% endfor %}
<tr class="total"><td></td><td>合計</td><td class="n">{{ r.fields_total.ward }}</td><td class="n">{{ r.fields_total.bureau }}</td><td class="n">{{ r.fields_total.total }}</td></tr>
</tbody>
</table>
<figure class="chart" data-chart="fields">{{ svg.fields }}</figure>

<h2>{{ sections.contracted }}</h2>
<table>
<thead><tr><th>区分</th><th>根拠</th><th>事業数</th><th>契約件数</th><th>契約金額</th></tr></thead>
<tbody>
{% for o in r.contracted.by_origin.values() %}
<tr><td>{{ o.label_ja }}</td><td>{{ o.article }}</td><td class="n">{{ o.projects }}</td><td class="n">{{ o.contracts }}</td><td class="n">{{ "{:,}".format(o.amount_yen) }}円</td></tr>
{% endfor %}
<tr class="total"><td>合計</td><td></td><td class="n">{{ r.contracted.projects }}</td><td class="n">{{ r.contracted.contracts }}</td><td class="n">{{ "{:,}".format(r.contracted.amount_yen) }}円</td></tr>
</tbody>
</table>
{% if r.contracted.amount_unknown %}<p class="muted">契約金額の登録がない事業が{{ r.contracted.amount_unknown }}件あり、金額の合計には含まれていません。</p>{% endif %}
<figure class="chart" data-chart="origins">{{ svg.origins }}</figure>
{% if svg.trends is defined %}

<div class="keep">
<h2>{{ sections.trends }} <span class="muted">Year on year</span></h2>
<table>
<thead><tr><th>年度</th><th>事業数</th><th>協働契約のある事業</th><th>契約件数</th><th>契約金額</th></tr></thead>
<tbody>
{% for t in r.trends %}
<tr><td>{{ t.era_year }}<br><span class="muted">{{ t.english_fiscal_year }}</span></td><td class="n">{{ "{:,}".format(t.projects) }}</td><td class="n">{{ "{:,}".format(t.contracted_projects) }}</td><td class="n">{{ "{:,}".format(t.contracts) }}</td><td class="n">{{ "{:,}".format(t.amount_yen) }}円</td></tr>
{% endfor %}
</tbody>
</table>
</div>
<figure class="chart" data-chart="trends">{{ svg.trends }}</figure>
{% endif %}
{% if svg.rounds is defined %}

<div class="keep">
<h2>{{ sections.rounds }} <span class="muted">Proposals and adoptions per round</span></h2>
<table>
<thead><tr><th>募集</th><th>年度</th>{% for label in round_columns.values() %}<th>{{ label }}</th>{% endfor %}</tr></thead>
<tbody>
{% for g in r.rounds %}
<tr><td>{{ g.title_ja }}<br><span class="muted">{{ g.title_en ~ "　" if g.title_en else "" }}{{ g.code }}</span></td><td>{{ g.era_year }}</td>{% for key in round_columns %}<td class="n">{{ "{:,}".format(g[key]) }}</td>{% endfor %}</tr>
{% endfor %}
</tbody>
</table>
</div>
<figure class="chart" data-chart="rounds">{{ svg.rounds }}</figure>
{% endif %}

<h2>{{ sections.list }}</h2>
<table>
<thead><tr><th>番号</th><th>事業名</th><th>所管</th><th>分野</th><th>根拠</th><th>協働契約の相手方</th><th>契約件数</th><th>事業費</th></tr></thead>
<tbody>
{% for p in r.contracted_projects %}
<tr><td class="n">{{ loop.index }}</td><td>{{ p.name }}</td><td>{{ p.owner }}（{{ owner_kind[p.owner_kind] }}）<br>{{ p.section }}</td><td>{{ p.field_name_ja }}</td><td>{{ p.article }}</td><td>{{ p.partner }}</td><td class="n">{{ p.contract_count }}</td><td class="n">{{ "—" if p.contract_amount_yen is none else "{:,}円".format(p.contract_amount_yen) }}</td></tr>
{% else %}
<tr><td colspan="8">協働契約のある事業はありません。</td></tr>
{% endfor %}
</tbody>
</table>

<h2>{{ sections.checks }}</h2>
<table>
<thead><tr><th>検算項目</th><th>合計</th><th>内訳の和</th><th>結果</th></tr></thead>
<tbody>
{% for c in r.checks %}
<tr><td>{{ c.label_ja }}</td><td class="n">{{ "{:,}".format(c.total) }}</td><td class="n">{{ "{:,}".format(c.sum) }}</td><td>{{ "一致" if c.ok else "不一致" }}</td></tr>
{% endfor %}
</tbody>
</table>

{% for p in r.contracted_projects %}
<section class="page">
<h2>{{ sections.pages }}　{{ loop.index }}．{{ p.name }}</h2>
<table>
<tr><th>所管</th><td>{{ p.owner }}（{{ owner_kind[p.owner_kind] }}）　{{ p.section }}</td></tr>
<tr><th>分野・根拠</th><td>{{ p.field_name_ja }}　／　{{ p.article }}（契約{{ p.contract_count }}件）</td></tr>
{% for label, value in [(parts[0], p.partner), (parts[1], cost(p)), (parts[2], p.content), (parts[3], p.results), (parts[4], p.effect)] %}
<tr><th>{{ label }}</th><td class="text">{{ value or not_recorded }}</td></tr>
{% endfor %}
</table>
</section>
{% endfor %}
{% if r.cases_by_version %}
<h2>手続の版ごとの案件数 <span class="muted">Cases by procedure version</span></h2>
<p>条例等の改正の経過期間中は、改正前の手続と改正後の手続で進む案件が並存しました。<br><span class="muted">During an amendment's transition, cases ran under the old and the new procedure side by side.</span></p>
<table><thead><tr><th>案件の種類</th><th>版</th><th>案件数</th></tr></thead><tbody>
{% for v in r.cases_by_version %}<tr><td>{{ v.label_ja }}</td><td>第{{ v.version }}版（{{ v.amendment_ja }}）</td><td>{{ v.cases }}</td></tr>
{% endfor %}</tbody></table>
{% endif %}
<p class="muted">集計日時 {{ r.generated_at }}／登録ファイルからの事業 {{ r.sources.imported }}件、システムで管理する事業 {{ r.sources.engine }}件</p>
</body>
</html>
"""

_env = Environment(autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
_template = _env.from_string(TEMPLATE)


def render(report: dict[str, Any]) -> bytes:
    return _template.render(
        r=report, title_ja=TITLE_JA, title_en=TITLE_EN, sections=SECTIONS_JA, parts=PAGE_PARTS_JA,
        owner_kind=OWNER_KIND_JA, cost=cost_text, not_recorded=NOT_RECORDED_JA, svg=charts(report),
        round_columns=ROUND_COLUMNS_JA,
    ).encode("utf-8")
