"""The content of a case as its authors write it: which fields exist and what they may hold.

A citizen group writes its proposal (Art. 10(1)); a department writes its call for
partners (Art. 9(1)), which adds the selection criteria and the closing date. Unknown
names and wrong values are refused with the field's name, and nothing is lost.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from db.models.proposals import CONTENT_FIELDS
from db.types import MAX_ID
from states.common import CONTRACT_FORMS
from states.vocabulary import CONFIDENTIALISABLE_FIELDS, FIELDS
from workflow.errors import InvalidInput

REQUIRED_PROPOSAL_FIELDS = ("title", "purpose", "content", "field", "proposed_roles")
REQUIRED_CALL_FIELDS = ("title", "purpose", "content", "field", "selection_criteria")
TEXT_FIELDS = ("title", "purpose", "content", "proposed_roles", "selection_criteria")
# The round (募集) a proposal is made in and, for a theme round, its theme: chosen by the
# group with the rest of the content, but kept on the case only (a revision copies what
# the group wrote, not where it applied). Which round and theme may be chosen is checked
# against the rounds themselves (``workflow/round_entry.py``).
ROUND_FIELDS = ("round_id", "theme_id")
MAX_TITLE = 200
MAX_TEXT = 20_000
# Yen amounts are stored as 64-bit integers.
MAX_YEN = 2**63 - 1
# The dates a case can name: deadlines are counted from them in business days, and a
# year like 9999 would leave no room to count (nor mean anything to the city).
EARLIEST_DATE = date(2000, 1, 1)
LATEST_DATE = date(2100, 12, 31)
DATE_RANGE_JA = "2000年1月1日から2100年12月31日までの日付を入力してください。"
DATE_RANGE_EN = "give a date from 2000-01-01 to 2100-12-31"


def _whole(out: dict[str, Any], name: str, ja: str, en: str) -> None:
    try:
        out[name] = int(str(out[name]).strip().replace(",", ""))
    except (TypeError, ValueError):
        raise InvalidInput(name, ja, en) from None


def clean_content(data: dict[str, Any]) -> dict[str, Any]:
    """Check the author's fields; returns them converted (numbers as int, dates as date)."""
    if not isinstance(data, dict):
        raise InvalidInput("content", "提案書の内容の形式が正しくありません。", "content must be a set of named fields")
    unknown = sorted(set(data) - set(CONTENT_FIELDS) - set(ROUND_FIELDS))
    if unknown:
        raise InvalidInput(unknown[0], f"提案書にない項目です：{'、'.join(map(str, unknown))}",
                           f"unknown fields: {unknown}")
    out = dict(data)
    # A field given empty (None or "") is cleared to its column's empty value: text to "",
    # numbers, choices and dates to none, the confidential list to an empty list.
    for name, value in data.items():
        if value is None or (isinstance(value, str) and not value.strip()):
            out[name] = "" if name in TEXT_FIELDS else [] if name == "confidential_fields" else None
    for name in TEXT_FIELDS:
        if out.get(name) is None:
            continue
        if not isinstance(out[name], str):
            out[name] = str(out[name])
        if "\x00" in out[name]:
            raise InvalidInput(name, "使えない文字（NUL）が含まれています。", "contains a NUL character")
        limit = MAX_TITLE if name == "title" else MAX_TEXT
        if len(out[name]) > limit:
            raise InvalidInput(name, f"{limit}文字以内で入力してください。", f"at most {limit} characters")
    if out.get("field") not in (None, ""):
        bad = ("分野は1〜12の番号で選んでください。", "field must be 1 to 12")
        _whole(out, "field", *bad)
        if out["field"] not in FIELDS:
            raise InvalidInput("field", *bad)
    if out.get("estimated_cost_yen") not in (None, ""):
        bad = ("概算事業費は0以上の整数（円）で入力してください。", "estimated cost must be a whole number of yen, not negative")
        _whole(out, "estimated_cost_yen", *bad)
        if not 0 <= out["estimated_cost_yen"] <= MAX_YEN:
            raise InvalidInput("estimated_cost_yen", *bad)
    for name, ja, en in (("round_id", "募集の指定が正しくありません。", "round: not a valid round number"),
                         ("theme_id", "テーマの指定が正しくありません。", "theme: not a valid theme number")):
        if out.get(name) is not None:
            if isinstance(out[name], bool):
                raise InvalidInput(name, ja, en)
            _whole(out, name, ja, en)
            if not 1 <= out[name] <= MAX_ID:
                raise InvalidInput(name, ja, en)
    if out.get("desired_contract_form") is not None and out["desired_contract_form"] not in CONTRACT_FORMS:
        raise InvalidInput("desired_contract_form", "希望する契約形態が正しくありません。",
                           f"contract form must be one of {CONTRACT_FORMS}")
    if out.get("closing_on") not in (None, "") and not isinstance(out["closing_on"], date):
        try:
            out["closing_on"] = date.fromisoformat(str(out["closing_on"]).strip())
        except ValueError:
            raise InvalidInput("closing_on", "応募締切日は「2026-04-01」の形で入力してください。",
                               "closing date: use the form 2026-04-01") from None
    if out.get("closing_on") not in (None, "") and not EARLIEST_DATE <= out["closing_on"] <= LATEST_DATE:
        raise InvalidInput("closing_on", "応募締切日は" + DATE_RANGE_JA, "closing date: " + DATE_RANGE_EN)
    confidential = out.get("confidential_fields")
    if confidential is not None:
        if not isinstance(confidential, (list, tuple)) or not all(isinstance(c, str) for c in confidential):
            raise InvalidInput("confidential_fields", "非公開にする項目の指定が正しくありません。",
                               "confidential_fields must be a list of field names")
        bad_fields = set(confidential) - set(CONFIDENTIALISABLE_FIELDS)
        if bad_fields:
            raise InvalidInput("confidential_fields", "非公開にできない項目が含まれています。",
                               f"these fields cannot be confidential: {sorted(bad_fields)}")
        out["confidential_fields"] = sorted(set(confidential))
    return out


def filled(row, names: tuple[str, ...]) -> bool:
    return all(getattr(row, f) not in (None, "") and str(getattr(row, f)).strip() for f in names)
