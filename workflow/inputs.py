"""Checking and converting what a person gives with a trigger, against ``states/`` specs.

Blank text counts as missing: a decision "with reasons" needs words, not spaces.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from states import InputSpec, Lifecycle, Transition
from workflow.errors import InvalidInput, MissingInput

MAX_TEXT = 20_000


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


def _convert(spec: InputSpec, value: Any) -> Any:
    def bad(ja: str, en: str) -> InvalidInput:
        return InvalidInput(spec.name, f"「{spec.label_ja}」{ja}", f"{spec.label_en}: {en}")

    kind = spec.kind
    if kind == "text":
        text = str(value).strip()
        if len(text) > MAX_TEXT:
            raise bad(f"は{MAX_TEXT}文字以内で入力してください。", f"at most {MAX_TEXT} characters")
        return text
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
        return number
    if kind == "date":
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value).strip())
        except ValueError:
            raise bad("は「2026-04-01」の形で入力してください。", "use the form 2026-04-01") from None
    if kind == "ids":
        items = value if isinstance(value, (list, tuple, set)) else str(value).replace("、", ",").split(",")
        try:
            ids = sorted({int(str(v).strip()) for v in items if str(v).strip()})
        except ValueError:
            raise bad("は番号をカンマ区切りで入力してください。", "give numbers separated by commas") from None
        if not ids:
            raise bad("を1つ以上指定してください。", "give at least one")
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
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in values.items()}
