"""Spreadsheet cells that stay text: what departments and citizens wrote never runs as a formula.

A cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read by
Excel and LibreOffice as a formula (CSV injection); such text gets a leading apostrophe,
which both show as nothing and which Kyodo's own import removes again, so an export can
be edited and imported without the text changing.
"""

from __future__ import annotations

import csv
from typing import Any, Iterable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MARK = "'"


def safe_cell(value: Any) -> Any:
    """``value`` as a spreadsheet will show it; numbers stay numbers."""
    if isinstance(value, str) and value[:1] in FORMULA_STARTS:
        return MARK + value
    return value


def unmark(text: str) -> str:
    """The text as written, from a cell ``safe_cell`` wrote."""
    if text[:1] == MARK and text[1:2] in FORMULA_STARTS:
        return text[1:]
    return text


class SafeWriter:
    """``csv.writer`` whose every text cell is made safe first."""

    def __init__(self, out, **kwargs):
        self._w = csv.writer(out, **kwargs)

    def writerow(self, row: Iterable[Any]) -> None:
        self._w.writerow([safe_cell(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)
