"""Proposal rounds (募集) as the secretariat declares and publishes them.

A round is declared as a draft, given its themes (offered by departments) and its
screening criteria, and then published: from then on its page and its guidelines
(募集要項) are public. Publishing is refused, naming every problem at once, while the
round could mislead an applicant (no criteria, weights that do not make 100 points, a
theme round without themes, a window that ends before it begins, results published
before the window closes). A published round stays publishable: a later change that
would break one of those rules is refused, and its criteria no longer change at all —
groups prepare their proposals against them.

Rounds are not cases and have no lifecycle; every change is kept in the directory's
trail (``workflow.directory.record``) under the subject "round".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from fractions import Fraction
from typing import Any, Iterable, Mapping

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from db.models import Department, Proposal, ProposalRound, RoundCriterion, RoundTheme
from workflow.calendar.clock import Clock, SystemClock
from workflow.calendar.japan import era_date, parse_fiscal_year
from workflow.directory import CODE_PATTERN, record
from workflow.errors import InvalidInput, NotFound
from workflow.rules.content import EARLIEST_DATE, LATEST_DATE, MAX_TEXT, MAX_YEN

# The kinds of round: themes offered by departments (テーマ提示型), free proposals
# (自由提案型), or both in one round.
KINDS: dict[str, tuple[str, str]] = {
    "theme": ("テーマ提示型", "Themes offered by departments"),
    "free": ("自由提案型", "Free proposals"),
    "both": ("テーマ提示型・自由提案型", "Themes and free proposals"),
}
THEMED_KINDS = ("theme", "both")

MAX_TITLE = 200
MAX_GUIDELINES = 50_000
MAX_INT = 2**31 - 1  # an INTEGER column
EARLIEST_YEAR, LATEST_YEAR = EARLIEST_DATE.year, LATEST_DATE.year
DEFAULT_PASS_MARK = 60
DEFAULT_MAX_POINTS = 5
TOTAL_WEIGHT = 100

# Where a round is in its year, as the public pages say it.
UPCOMING, ACCEPTING, ENDED = "upcoming", "accepting", "ended"

# Each field's name as a message says it: (Japanese, English).
LABELS: dict[str, tuple[str, str]] = {
    "code": ("募集コード", "the round's code"),
    "fiscal_year": ("実施年度", "the fiscal year"),
    "kind": ("募集の種類", "the kind of round"),
    "title_ja": ("募集の名称", "the title"),
    "title_en": ("募集の名称（英語）", "the English title"),
    "guidelines": ("募集要項", "the guidelines"),
    "opens_on": ("受付開始日", "the first day of applications"),
    "closes_on": ("受付終了日", "the last day of applications"),
    "requires_consultation": ("事前相談", "prior consultation"),
    "pass_mark": ("合格点", "the pass mark"),
    "publication_on": ("結果の公表日", "the day results are published"),
    "department_id": ("テーマを提示する所管課", "the department offering the theme"),
    "title": ("テーマ名", "the theme's title"),
    "description": ("テーマの説明", "the theme's description"),
    "budget_ceiling_yen": ("事業費の上限額（円）", "the budget ceiling (yen)"),
    "project_fiscal_year": ("事業の実施年度", "the fiscal year the project runs"),
    "key": ("審査基準のキー", "the criterion's key"),
    "label_ja": ("審査基準の名称", "the criterion's name"),
    "label_en": ("審査基準の名称（英語）", "the criterion's English name"),
    "weight": ("配点", "the weight"),
    "max_points": ("評点の上限", "the highest score"),
}

ROUND_FIELDS = ("code", "fiscal_year", "kind", "title_ja", "title_en", "guidelines", "opens_on", "closes_on",
                "requires_consultation", "pass_mark", "publication_on")
THEME_FIELDS = ("department_id", "title", "description", "budget_ceiling_yen", "project_fiscal_year")
CRITERION_FIELDS = ("key", "label_ja", "label_en", "weight", "max_points")

Problems = dict[str, tuple[str, str]]


class RoundProblems(InvalidInput):
    """Everything wrong with what was given, by field, as (ja, en); the message names each."""

    def __init__(self, problems: Problems):
        first = next(iter(problems))
        super().__init__(first, "／".join(ja for ja, _ in problems.values()),
                         "; ".join(en for _, en in problems.values()))
        self.problems = dict(problems)


# --- reading what people type (a form's strings, the command line's, or typed values)

_WIDE_DIGITS = str.maketrans("０１２３４５６７８９，－", "0123456789,-")


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(found: Problems, data: Mapping[str, Any], name: str, limit: int, *, required: bool = False,
          multiline: bool = False) -> str:
    value = data.get(name)
    if value is None:
        value = ""
    value = str(value)
    # Single-line values lose stray spaces; a long text keeps its layout, only its ends trimmed.
    value = value.strip() if not multiline else value.strip("\r\n ").replace("\r\n", "\n")
    ja, en = LABELS[name]
    if "\x00" in value:
        found[name] = (f"{ja}に使えない文字（NUL）が含まれています。", f"{en} contains a NUL character")
    elif len(value) > limit:
        found[name] = (f"{ja}は{limit:,}文字以内で入力してください（{len(value):,}文字あります）。",
                       f"{en} is at most {limit:,} characters ({len(value):,} given)")
    elif required and not value:
        found[name] = (f"{ja}を入力してください。", f"{en} is required")
    return value


def _int(found: Problems, data: Mapping[str, Any], name: str, low: int, high: int, *,
         default: int | None = None, required: bool = True) -> int | None:
    value = data.get(name)
    ja, en = LABELS[name]
    if _blank(value):
        if default is None and required:
            found[name] = (f"{ja}を入力してください。", f"{en} is required")
        return default
    bad = (f"{ja}は{low:,}から{high:,}までの整数で入力してください。", f"{en} must be a whole number from {low:,} to {high:,}")
    if isinstance(value, bool):
        found[name] = bad
        return None
    if isinstance(value, int):
        number = value
    else:
        text = str(value).strip().translate(_WIDE_DIGITS).replace(",", "")
        # Digits only, and few of them: a 100,000-digit "number" is refused before Python reads it.
        if not re.fullmatch(r"-?[0-9]{1,25}", text):
            found[name] = bad
            return None
        number = int(text)
    if not low <= number <= high:
        found[name] = bad
        return None
    return number


def _year(found: Problems, data: Mapping[str, Any], name: str, *, default: int | None = None) -> int | None:
    """A fiscal year as clerks write it: 2027, 令和9, R9 (``parse_fiscal_year``)."""
    value = data.get(name)
    ja, en = LABELS[name]
    if _blank(value):
        if default is None:
            found[name] = (f"{ja}を入力してください。", f"{en} is required")
        return default
    bad = (f"{ja}は「2027」「令和9」「R9」のように、{EARLIEST_YEAR}年度から{LATEST_YEAR}年度までで入力してください。",
           f"{en}: give a year from {EARLIEST_YEAR} to {LATEST_YEAR}, as 2027, 令和9 or R9")
    number = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and "\x00" not in value and len(value) <= 20:
        try:
            number = parse_fiscal_year(value)
        except ValueError as exc:
            # A bare "9" is most likely 令和9: the calendar says so, in both languages.
            said_ja, _, said_en = str(exc).partition(" / ")
            if re.fullmatch(r"\s*[0-9]{1,2}\s*", value) and said_en:
                bad = (f"{ja}：{said_ja}", f"{en}: {said_en}")
    if number is None or not EARLIEST_YEAR <= number <= LATEST_YEAR:
        found[name] = bad
        return None
    return number


def _date(found: Problems, data: Mapping[str, Any], name: str, *, required: bool = True) -> date | None:
    value = data.get(name)
    ja, en = LABELS[name]
    if _blank(value):
        if required:
            found[name] = (f"{ja}を入力してください。", f"{en} is required")
        return None
    if isinstance(value, datetime):
        value = value.date()
    if not isinstance(value, date):
        text = str(value).strip().translate(_WIDE_DIGITS)
        try:
            value = date.fromisoformat(text) if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text) else None
        except ValueError:
            value = None
    if value is None or not EARLIEST_DATE <= value <= LATEST_DATE:
        found[name] = (f"{ja}は2000年1月1日から2100年12月31日までの日付を「2027-04-01」の形で入力してください。",
                       f"{en}: give a date from 2000-01-01 to 2100-12-31, as 2027-04-01")
        return None
    return value


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def _plain(value: Any) -> Any:
    """A value as the trail's JSON keeps it."""
    return value.isoformat() if isinstance(value, (date, datetime)) else value


# --- the round itself

def round_problems(session: Session, data: Mapping[str, Any], *,
                   round_id: int | None = None) -> tuple[dict[str, Any], Problems]:
    """The round's fields checked and converted, and what is wrong with them by field."""
    found: Problems = {}
    out: dict[str, Any] = {}
    code = _text(found, data, "code", 40, required=True)
    if "code" not in found:
        if not CODE_PATTERN.match(code):
            found["code"] = ("募集コードは半角英数字・ハイフン・下線で40文字以内にしてください（例：2027-spring）。",
                             "the code is up to 40 letters, digits, hyphens or underscores (e.g. 2027-spring)")
        else:
            taken = session.execute(select(ProposalRound.id).where(ProposalRound.code == code)).scalar()
            if taken is not None and taken != round_id:
                found["code"] = (f"募集コード「{code}」はすでに使われています。", f"the code {code!r} is taken")
    out["code"] = code
    out["fiscal_year"] = _year(found, data, "fiscal_year")
    kind = _text(found, data, "kind", 10, required=True)
    if "kind" not in found and kind not in KINDS:
        found["kind"] = ("募集の種類は theme（テーマ提示型）・free（自由提案型）・both（両方）のいずれかです。",
                         "the kind is theme, free or both")
    out["kind"] = kind
    out["title_ja"] = _text(found, data, "title_ja", MAX_TITLE, required=True)
    out["title_en"] = _text(found, data, "title_en", MAX_TITLE)
    out["guidelines"] = _text(found, data, "guidelines", MAX_GUIDELINES, multiline=True)
    out["opens_on"] = _date(found, data, "opens_on")
    out["closes_on"] = _date(found, data, "closes_on")
    out["requires_consultation"] = _flag(data.get("requires_consultation"))
    out["pass_mark"] = _int(found, data, "pass_mark", 1, 100, default=DEFAULT_PASS_MARK)
    out["publication_on"] = _date(found, data, "publication_on", required=False)
    return out, found


def declare(session: Session, data: Mapping[str, Any], *, created_by: int, actor_id: int | None = None,
            clock: Clock | None = None) -> int:
    """A new round, not yet published; ``RoundProblems`` names everything wrong with it."""
    clock = clock or SystemClock()
    values, found = round_problems(session, data)
    if found:
        raise RoundProblems(found)
    row = ProposalRound(**values, created_by=created_by, created_at=clock.now())
    session.add(row)
    _flush(session, "code", ("募集コード「{}」はすでに使われています。", "the code {!r} is taken"), values["code"])
    record(session, "round", row.id, "declared", actor_id=actor_id, clock=clock,
           details={k: _plain(v) for k, v in values.items() if k != "guidelines"})
    return row.id


def _flush(session: Session, name: str, words: tuple[str, str], value: str) -> None:
    """Write now; a unique value taken meanwhile by someone else is said like any other problem."""
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise RoundProblems({name: (words[0].format(value), words[1].format(value))}) from None


def edit(session: Session, round_id: int, data: Mapping[str, Any], *, actor_id: int | None = None,
         clock: Clock | None = None) -> bool:
    """Change a round's fields (all of them are given); False when nothing changed."""
    row = _round(session, round_id)
    values, found = round_problems(session, data, round_id=round_id)
    if row.published_at is not None and values["code"] != row.code and "code" not in found:
        found["code"] = ("公表した募集のコードは変更できません（公開ページのアドレスに使われています）。",
                         "a published round keeps its code (it is in the public addresses)")
    themes = _themes(session, round_id)
    if values["kind"] == "free" and themes and "kind" not in found:
        found["kind"] = ("テーマが登録されているため、自由提案型にはできません。先にテーマを削除してください。",
                         "the round has themes: remove them before making it a free round")
    if found:
        raise RoundProblems(found)
    if row.published_at is not None:
        _still_publishable(values, themes, _criteria(session, round_id))
    changes = {}
    for name, value in values.items():
        before = getattr(row, name)
        if before != value:
            changes[name] = ({"chars": {"before": len(before), "after": len(value)}} if name == "guidelines"
                             else {"before": _plain(before), "after": _plain(value)})
            setattr(row, name, value)
    if not changes:
        return False
    session.add(row)
    _flush(session, "code", ("募集コード「{}」はすでに使われています。", "the code {!r} is taken"), values["code"])
    record(session, "round", round_id, "edited", actor_id=actor_id, clock=clock, details=changes)
    return True


def _round(session: Session, round_id: int) -> ProposalRound:
    row = session.get(ProposalRound, round_id)
    if row is None:
        raise NotFound(f"募集 {round_id} は登録されていません。", f"no round {round_id}")
    return row


def round_by_code(session: Session, code: str) -> ProposalRound | None:
    if not isinstance(code, str) or not CODE_PATTERN.match(code):
        return None
    return session.execute(select(ProposalRound).where(ProposalRound.code == code)).scalar()


def _themes(session: Session, round_id: int) -> list[RoundTheme]:
    return list(session.execute(select(RoundTheme).where(RoundTheme.round_id == round_id)
                                .order_by(RoundTheme.id)).scalars())


def _criteria(session: Session, round_id: int) -> list[RoundCriterion]:
    return list(session.execute(select(RoundCriterion).where(RoundCriterion.round_id == round_id)
                                .order_by(RoundCriterion.position, RoundCriterion.id)).scalars())


# --- publishing

def publication_problems(values: Mapping[str, Any], themes: Iterable[Any],
                         criteria: Iterable[Any]) -> list[tuple[str, str]]:
    """Why a round (its fields, themes and criteria) may not be published yet; empty when it may."""
    themes, criteria = list(themes), list(criteria)
    found: list[tuple[str, str]] = []
    if not criteria:
        found.append(("審査基準が登録されていません。審査基準と配点を登録してください。",
                      "the round has no screening criteria: add them with their weights"))
    else:
        total = sum(c.weight for c in criteria)
        if total != TOTAL_WEIGHT:
            found.append((f"審査基準の配点の合計が{total}点です。合計がちょうど{TOTAL_WEIGHT}点になるようにしてください。",
                          f"the criteria's weights add up to {total}, not {TOTAL_WEIGHT}"))
    if values["kind"] in THEMED_KINDS and not themes:
        found.append(("テーマ提示型の募集ですが、テーマが登録されていません。", "a theme round needs at least one theme"))
    early = [t.title for t in themes if t.project_fiscal_year < values["fiscal_year"]]
    if early:
        found.append((f"事業の実施年度が募集の年度より前のテーマがあります：{'、'.join(early)}",
                      f"themes whose project year is before the round's year: {', '.join(early)}"))
    opens, closes, publication = values["opens_on"], values["closes_on"], values["publication_on"]
    if closes < opens:
        found.append((f"受付終了日（{era_date(closes)}）が受付開始日（{era_date(opens)}）より前です。",
                      f"the window ends ({closes.isoformat()}) before it begins ({opens.isoformat()})"))
    if publication is not None and publication <= closes:
        found.append((f"結果の公表日（{era_date(publication)}）が受付終了日（{era_date(closes)}）以前です。"
                      "公表日は受付が終わった後の日にしてください。",
                      f"results would be published ({publication.isoformat()}) before the window closes "
                      f"(end of {closes.isoformat()})"))
    return found


def _values(row: ProposalRound) -> dict[str, Any]:
    return {name: getattr(row, name) for name in ROUND_FIELDS}


def _refuse_publication(found: list[tuple[str, str]], prefix: tuple[str, str]) -> None:
    if found:
        raise InvalidInput("round", prefix[0] + "／".join(ja for ja, _ in found),
                           prefix[1] + "; ".join(en for _, en in found))


def _still_publishable(values: Mapping[str, Any], themes, criteria) -> None:
    _refuse_publication(publication_problems(values, themes, criteria),
                        ("公表済みの募集のため、この変更はできません：", "the round is published; this change would "
                                                       "leave it inconsistent: "))


def publish(session: Session, round_id: int, *, actor_id: int | None = None, clock: Clock | None = None) -> None:
    """Make the round public; refused, naming every problem, while it is not ready."""
    clock = clock or SystemClock()
    row = _round(session, round_id)
    if row.published_at is not None:
        raise InvalidInput("round", f"募集「{row.code}」はすでに公表しています。", f"the round {row.code} is published already")
    _refuse_publication(publication_problems(_values(row), _themes(session, round_id), _criteria(session, round_id)),
                        ("公表できません：", "cannot publish: "))
    row.published_at = clock.now()
    session.add(row)
    session.flush()
    record(session, "round", round_id, "published", actor_id=actor_id, clock=clock, details={"code": row.code})


# --- themes

def theme_problems(session: Session, row: ProposalRound, data: Mapping[str, Any]) -> tuple[dict[str, Any], Problems]:
    found: Problems = {}
    out: dict[str, Any] = {}
    dept = _int(found, data, "department_id", 1, MAX_INT)
    if dept is not None and session.get(Department, dept) is None:
        found["department_id"] = ("その所管課は登録されていません。", "no such department")
    out["department_id"] = dept
    out["title"] = _text(found, data, "title", MAX_TITLE, required=True)
    out["description"] = _text(found, data, "description", MAX_TEXT, multiline=True)
    out["budget_ceiling_yen"] = _int(found, data, "budget_ceiling_yen", 0, MAX_YEN, required=False)
    year = _year(found, data, "project_fiscal_year", default=row.fiscal_year + 1)
    if year is not None and year < row.fiscal_year:
        found["project_fiscal_year"] = (f"事業の実施年度は募集の年度（{row.fiscal_year}年度）以降にしてください。",
                                        f"the project cannot run before the round's fiscal year ({row.fiscal_year})")
    out["project_fiscal_year"] = year
    return out, found


def _no_free_themes(row: ProposalRound) -> None:
    if row.kind not in THEMED_KINDS:
        raise RoundProblems({"kind": ("自由提案型の募集にはテーマを登録できません。テーマを設けるときは、募集の種類を変えてください。",
                                      "a free round has no themes: change the kind of round first")})


def add_theme(session: Session, round_id: int, data: Mapping[str, Any], *, actor_id: int | None = None,
              clock: Clock | None = None) -> int:
    row = _round(session, round_id)
    _no_free_themes(row)
    values, found = theme_problems(session, row, data)
    if found:
        raise RoundProblems(found)
    theme = RoundTheme(round_id=round_id, **values)
    session.add(theme)
    session.flush()
    record(session, "round", round_id, "theme_added", actor_id=actor_id, clock=clock,
           details={"theme_id": theme.id, **{k: v for k, v in values.items() if k != "description"}})
    return theme.id


def _theme(session: Session, round_id: int, theme_id: int) -> RoundTheme:
    theme = session.get(RoundTheme, theme_id)
    if theme is None or theme.round_id != round_id:
        raise NotFound(f"この募集にテーマ {theme_id} はありません。", f"round {round_id} has no theme {theme_id}")
    return theme


def edit_theme(session: Session, round_id: int, theme_id: int, data: Mapping[str, Any], *,
               actor_id: int | None = None, clock: Clock | None = None) -> bool:
    row = _round(session, round_id)
    theme = _theme(session, round_id, theme_id)
    values, found = theme_problems(session, row, data)
    if found:
        raise RoundProblems(found)
    changes = {k: {"before": getattr(theme, k), "after": v} for k, v in values.items()
               if getattr(theme, k) != v and k != "description"}
    if theme.description != values["description"]:
        changes["description"] = {"chars": {"before": len(theme.description), "after": len(values["description"])}}
    if not changes:
        return False
    for k, v in values.items():
        setattr(theme, k, v)
    session.add(theme)
    session.flush()
    record(session, "round", round_id, "theme_edited", actor_id=actor_id, clock=clock,
           details={"theme_id": theme_id, **changes})
    return True


def remove_theme(session: Session, round_id: int, theme_id: int, *, actor_id: int | None = None,
                 clock: Clock | None = None) -> None:
    row = _round(session, round_id)
    theme = _theme(session, round_id, theme_id)
    named = session.execute(select(func.count(Proposal.id)).where(Proposal.theme_id == theme_id)).scalar()
    if named:
        raise InvalidInput("theme", f"テーマ「{theme.title}」には提案が{named}件あるため、削除できません。",
                           f"the theme {theme.title!r} has {named} proposals and cannot be removed")
    if row.published_at is not None:
        _still_publishable(_values(row), [t for t in _themes(session, round_id) if t.id != theme_id],
                           _criteria(session, round_id))
    session.delete(theme)
    session.flush()
    record(session, "round", round_id, "theme_removed", actor_id=actor_id, clock=clock,
           details={"theme_id": theme_id, "title": theme.title})


# --- criteria

def _criteria_fixed(row: ProposalRound) -> None:
    if row.published_at is not None:
        raise InvalidInput("round", "公表した募集の審査基準と配点は変更できません（応募する団体はこれを見て準備しています）。",
                           "a published round's criteria and weights no longer change (groups prepare against them)")


def criterion_problems(session: Session, row: ProposalRound, data: Mapping[str, Any], *,
                       criterion_id: int | None = None) -> tuple[dict[str, Any], Problems]:
    found: Problems = {}
    out: dict[str, Any] = {}
    key = _text(found, data, "key", 40, required=True)
    if "key" not in found:
        if not CODE_PATTERN.match(key):
            found["key"] = ("キーは半角英数字・ハイフン・下線で40文字以内にしてください（例：feasibility）。",
                            "the key is up to 40 letters, digits, hyphens or underscores (e.g. feasibility)")
        else:
            taken = session.execute(select(RoundCriterion.id).where(RoundCriterion.round_id == row.id,
                                                                    RoundCriterion.key == key)).scalar()
            if taken is not None and taken != criterion_id:
                found["key"] = (f"キー「{key}」の審査基準はこの募集にすでにあります。", f"the round has a criterion {key!r}")
    out["key"] = key
    out["label_ja"] = _text(found, data, "label_ja", MAX_TITLE, required=True)
    out["label_en"] = _text(found, data, "label_en", MAX_TITLE)
    out["weight"] = _int(found, data, "weight", 1, TOTAL_WEIGHT)
    out["max_points"] = _int(found, data, "max_points", 1, 100, default=DEFAULT_MAX_POINTS)
    return out, found


def add_criterion(session: Session, round_id: int, data: Mapping[str, Any], *, actor_id: int | None = None,
                  clock: Clock | None = None) -> int:
    row = _round(session, round_id)
    _criteria_fixed(row)
    values, found = criterion_problems(session, row, data)
    if found:
        raise RoundProblems(found)
    last = session.execute(select(func.max(RoundCriterion.position))
                           .where(RoundCriterion.round_id == round_id)).scalar()
    criterion = RoundCriterion(round_id=round_id, position=(last or 0) + 1, **values)
    session.add(criterion)
    _flush(session, "key", ("キー「{}」の審査基準はこの募集にすでにあります。", "the round has a criterion {!r}"), values["key"])
    record(session, "round", round_id, "criterion_added", actor_id=actor_id, clock=clock,
           details={"criterion_id": criterion.id, **values})
    return criterion.id


def _criterion(session: Session, round_id: int, criterion_id: int) -> RoundCriterion:
    criterion = session.get(RoundCriterion, criterion_id)
    if criterion is None or criterion.round_id != round_id:
        raise NotFound(f"この募集に審査基準 {criterion_id} はありません。",
                       f"round {round_id} has no criterion {criterion_id}")
    return criterion


def criterion_by_key(session: Session, round_id: int, key: str) -> RoundCriterion | None:
    return session.execute(select(RoundCriterion).where(RoundCriterion.round_id == round_id,
                                                        RoundCriterion.key == key)).scalar()


def edit_criterion(session: Session, round_id: int, criterion_id: int, data: Mapping[str, Any], *,
                   actor_id: int | None = None, clock: Clock | None = None) -> bool:
    row = _round(session, round_id)
    criterion = _criterion(session, round_id, criterion_id)
    _criteria_fixed(row)
    values, found = criterion_problems(session, row, data, criterion_id=criterion_id)
    if found:
        raise RoundProblems(found)
    changes = {k: {"before": getattr(criterion, k), "after": v} for k, v in values.items()
               if getattr(criterion, k) != v}
    if not changes:
        return False
    for k, v in values.items():
        setattr(criterion, k, v)
    session.add(criterion)
    _flush(session, "key", ("キー「{}」の審査基準はこの募集にすでにあります。", "the round has a criterion {!r}"), values["key"])
    record(session, "round", round_id, "criterion_edited", actor_id=actor_id, clock=clock,
           details={"criterion_id": criterion_id, **changes})
    return True


def remove_criterion(session: Session, round_id: int, criterion_id: int, *, actor_id: int | None = None,
                     clock: Clock | None = None) -> None:
    row = _round(session, round_id)
    criterion = _criterion(session, round_id, criterion_id)
    _criteria_fixed(row)
    session.delete(criterion)
    session.flush()
    record(session, "round", round_id, "criterion_removed", actor_id=actor_id, clock=clock,
           details={"criterion_id": criterion_id, "key": criterion.key})


def weighted_total(criteria: Iterable[Any], points: Mapping[str, int]) -> Fraction:
    """A proposal's total out of 100: Σ weight × points / max_points over the round's criteria.

    Exact (a Fraction), so that a total of exactly the pass mark passes; every criterion
    must be scored, from 0 to its ``max_points``.
    """
    total = Fraction(0)
    for c in criteria:
        given = points.get(c.key)
        if isinstance(given, bool) or not isinstance(given, int) or not 0 <= given <= c.max_points:
            raise InvalidInput(c.key, f"「{c.label_ja}」の評点を0から{c.max_points}までの整数で入力してください。",
                               f"score {c.label_en or c.key} from 0 to {c.max_points}")
        total += Fraction(c.weight * given, c.max_points)
    return total


# --- reading rounds (pure queries: nothing is written)

@dataclass(frozen=True)
class RoundView:
    id: int
    code: str
    fiscal_year: int
    kind: str
    title_ja: str
    title_en: str
    guidelines: str
    opens_on: date
    closes_on: date
    requires_consultation: bool
    pass_mark: int
    publication_on: date | None
    published_at: datetime | None

    @property
    def published(self) -> bool:
        return self.published_at is not None

    @property
    def kind_label(self) -> tuple[str, str]:
        return KINDS.get(self.kind, (self.kind, self.kind))

    def phase(self, today: date) -> str:
        """Before, during or after its window, on a Japan date (the window's last day counts whole)."""
        if today < self.opens_on:
            return UPCOMING
        return ACCEPTING if today <= self.closes_on else ENDED


@dataclass(frozen=True)
class ThemeView:
    id: int
    department_id: int
    department_code: str
    department_ja: str
    department_en: str
    title: str
    description: str
    budget_ceiling_yen: int | None
    project_fiscal_year: int


@dataclass(frozen=True)
class CriterionView:
    id: int
    key: str
    label_ja: str
    label_en: str
    weight: int
    max_points: int


@dataclass(frozen=True)
class RoundDetail:
    round: RoundView
    themes: tuple[ThemeView, ...]
    criteria: tuple[CriterionView, ...]

    @property
    def weight_total(self) -> int:
        return sum(c.weight for c in self.criteria)

    @property
    def problems(self) -> list[tuple[str, str]]:
        """What stands in the way of publishing (empty when nothing does)."""
        return publication_problems({n: getattr(self.round, n) for n in ROUND_FIELDS}, self.themes, self.criteria)


def view(row: ProposalRound) -> RoundView:
    return RoundView(row.id, row.code, row.fiscal_year, row.kind, row.title_ja, row.title_en, row.guidelines,
                     row.opens_on, row.closes_on, row.requires_consultation, row.pass_mark, row.publication_on,
                     row.published_at)


def all_rounds(session: Session) -> list[RoundView]:
    """Every round, drafts included, newest first (for the secretariat)."""
    rows = session.execute(select(ProposalRound).order_by(ProposalRound.fiscal_year.desc(),
                                                          ProposalRound.opens_on.desc(), ProposalRound.id.desc()))
    return [view(r) for r in rows.scalars()]


def published_rounds(session: Session, today: date | None = None) -> list[RoundView]:
    """Published rounds; given a Japan date, those accepting applications first, then those to come, then the past."""
    rows = session.execute(select(ProposalRound).where(ProposalRound.published_at.is_not(None))
                           .order_by(ProposalRound.opens_on.desc(), ProposalRound.id.desc()))
    found = [view(r) for r in rows.scalars()]
    if today is None:
        return found
    order = {ACCEPTING: 0, UPCOMING: 1, ENDED: 2}

    def key(r: RoundView):
        phase = r.phase(today)
        # Accepting: the nearest close first; to come: the nearest opening first; past: newest first.
        when = {ACCEPTING: r.closes_on.toordinal(), UPCOMING: r.opens_on.toordinal(),
                ENDED: -r.closes_on.toordinal()}[phase]
        return order[phase], when, r.id

    return sorted(found, key=key)


def open_round_rows(session: Session, today: date) -> list[ProposalRound]:
    """Published rounds accepting applications on ``today`` (a Japan date): opens_on ≤ today ≤ closes_on,
    the nearest close first."""
    return list(session.execute(select(ProposalRound).where(ProposalRound.published_at.is_not(None),
                                                            ProposalRound.opens_on <= today,
                                                            ProposalRound.closes_on >= today)
                                .order_by(ProposalRound.closes_on, ProposalRound.id)).scalars())


def open_rounds(session: Session, today: date) -> list[RoundView]:
    return [view(r) for r in open_round_rows(session, today)]


def round_detail(session: Session, *, round_id: int | None = None, code: str | None = None,
                 published_only: bool = False) -> RoundDetail | None:
    """A round with its themes (and their departments) and criteria; None when there is none to show."""
    row = session.get(ProposalRound, round_id) if round_id is not None else round_by_code(session, code or "")
    if row is None or (published_only and row.published_at is None):
        return None
    themes = session.execute(select(RoundTheme, Department).join(Department, Department.id == RoundTheme.department_id)
                             .where(RoundTheme.round_id == row.id).order_by(RoundTheme.id)).all()
    return RoundDetail(
        view(row),
        tuple(ThemeView(t.id, t.department_id, d.code, d.name_ja, d.name_en, t.title, t.description,
                        t.budget_ceiling_yen, t.project_fiscal_year) for t, d in themes),
        tuple(CriterionView(c.id, c.key, c.label_ja, c.label_en, c.weight, c.max_points)
              for c in _criteria(session, row.id)),
    )
