"""Checking and converting what a person gives with a trigger, against ``states/`` specs.

Blank text counts as missing: a decision "with reasons" needs words, not spaces.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from db.types import MAX_ID
from states import InputSpec, Lifecycle, Transition
from workflow.errors import InvalidInput, MissingInput
from workflow.rules.attachments import UPLOAD_FIELDS
from workflow.rules.content import (
    DATE_RANGE_EN,
    DATE_RANGE_JA,
    EARLIEST_DATE,
    LATEST_DATE,
    MAX_TEXT,
    MAX_TITLE,
    clean_content,
)

# Whole numbers are stored as 64-bit integers; a larger one is refused here, not by the database.
MAX_INT = 2**63 - 1
# How many things one input may name (reviewers, partners): far more than any case needs.
MAX_IDS = 100
# What a stored file's description may hold (the upload store makes it; this bounds anyone else).
UPLOAD_TEXT = {"filename": 255, "content_type": 200, "sha256": 64, "storage_key": 200}


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == [] or value == {}


def _convert(spec: InputSpec, value: Any) -> Any:
    def bad(ja: str, en: str) -> InvalidInput:
        return InvalidInput(spec.name, f"「{spec.label_ja}」{ja}", f"{spec.label_en}: {en}")

    kind = spec.kind
    if kind in ("text", "line"):
        text = str(value).strip()
        limit = MAX_TEXT if kind == "text" else MAX_TITLE
        if len(text) > limit:
            raise bad(f"は{limit}文字以内で入力してください。", f"at most {limit} characters")
        if "\x00" in text:
            raise bad("に使えない文字（NUL）が含まれています。", "contains a NUL character")
        return text
    if kind == "content":
        return clean_content(value)
    if kind == "upload":
        if not isinstance(value, dict) or set(value) != set(UPLOAD_FIELDS):
            raise bad("の情報が正しくありません。", f"must give {', '.join(UPLOAD_FIELDS)}")
        texts_ok = all(isinstance(value[k], str) and "\x00" not in value[k] and len(value[k]) <= n
                       for k, n in UPLOAD_TEXT.items() if k in value)
        size = value.get("size")
        if not texts_ok or isinstance(size, bool) or not isinstance(size, int) or not 0 <= size <= MAX_INT:
            raise bad("の情報が正しくありません。", "the file's description is not valid")
        return dict(value)
    if kind in ("int", "id", "score", "fiscal_year"):
        if isinstance(value, bool):
            raise bad("は数字で入力してください。", "must be a whole number")
        try:
            number = int(str(value).strip().replace(",", ""))
        except ValueError:
            raise bad("は数字で入力してください。", "must be a whole number") from None
        if kind == "score" and not 1 <= number <= 5:
            raise bad("は1から5までの数字で評価してください。", "score must be 1 to 5")
        if kind == "fiscal_year" and not 2000 <= number <= 2100:
            raise bad("は西暦の年度（例：2026）で入力してください。", "give the fiscal year, e.g. 2026")
        if number < 0:
            raise bad("に負の数は入力できません。", "must not be negative")
        # An id names a row, and rows are numbered with 32-bit integers.
        limit = MAX_ID if kind == "id" else MAX_INT
        if number > limit:
            raise bad("が大きすぎます。", f"must be at most {limit}")
        return number
    if kind == "date":
        if not isinstance(value, date):
            try:
                value = date.fromisoformat(str(value).strip())
            except ValueError:
                raise bad("は「2026-04-01」の形で入力してください。", "use the form 2026-04-01") from None
        if not EARLIEST_DATE <= value <= LATEST_DATE:
            raise bad("は" + DATE_RANGE_JA, DATE_RANGE_EN)
        return value
    if kind == "ids":
        items = value if isinstance(value, (list, tuple, set)) else str(value).replace("、", ",").split(",")
        try:
            ids = sorted({int(str(v).strip()) for v in items if str(v).strip()})
        except ValueError:
            raise bad("は番号をカンマ区切りで入力してください。", "give numbers separated by commas") from None
        if any(not 0 < i <= MAX_ID for i in ids):
            raise bad("の番号が正しくありません。", "not a valid number")
        if not ids:
            raise bad("を1つ以上指定してください。", "give at least one")
        if len(ids) > MAX_IDS:
            raise bad(f"は{MAX_IDS}件までにしてください。", f"at most {MAX_IDS}")
        return ids
    if kind == "choice":
        if value not in spec.choices:
            raise bad(f"は次のいずれかです：{'、'.join(spec.choices)}", f"must be one of {', '.join(spec.choices)}")
        return value
    raise AssertionError(f"unknown input kind {kind}")


def validate(lc: Lifecycle, t: Transition, given: dict[str, Any] | None) -> dict[str, Any]:
    given = dict(given or {})
    allowed = set(t.inputs) | set(t.optional_inputs)
    unknown = sorted(set(given) - allowed)
    if unknown:
        raise InvalidInput(
            unknown[0],
            f"この操作では使わない項目が含まれています：{'、'.join(unknown)}",
            f"inputs not used by {t.trigger}: {', '.join(unknown)}",
        )
    missing = [lc.input(n) for n in t.inputs if _blank(given.get(n))]
    if missing:
        raise MissingInput([(s.name, s.label_ja, s.label_en) for s in missing])
    values: dict[str, Any] = {}
    for name in allowed:
        if not _blank(given.get(name)):
            values[name] = _convert(lc.input(name), given[name])
    return values


def to_json(values: dict[str, Any]) -> dict[str, Any]:
    """Inputs as they are written into the audit trail."""
    def plain(v: Any) -> Any:
        if isinstance(v, date):
            return v.isoformat()
        if isinstance(v, dict):
            return {k: plain(x) for k, x in v.items()}
        return v

    return {k: plain(v) for k, v in values.items()}
