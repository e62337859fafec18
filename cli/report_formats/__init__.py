"""The Article 20 report in the formats people ask for: json, csv, xlsx and html.

Each renderer takes the dict of ``workflow.registry.annual_report.build_report`` and returns the
file's bytes; none of them computes a figure, so every format says the same thing.
"""

from __future__ import annotations

from typing import Any, Callable

from cli.report_formats import html, text, xlsx

RENDERERS: dict[str, Callable[[dict[str, Any]], bytes]] = {
    "json": text.render_json,
    "csv": text.render_csv,
    "xlsx": xlsx.render,
    "html": html.render,
}
