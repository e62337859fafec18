"""The city's calendar: fiscal years, era dates and the days the offices are open.

Serves the deadlines under the ordinance (periods counted in business days), the
answer the city must give "promptly" under Art. 10(2), and the reminders sent before
a period lapses; also how dates are written in Japanese and English documents.
Pure functions, no I/O; national holidays come from the ``holidays`` package, which
knows 1949–2099 (outside that range only weekends and the year-end closure count).
"""

from __future__ import annotations

import re

from datetime import date, timedelta
from functools import lru_cache

import holidays

# --- Fiscal year (年度): 1 April to 31 March, named after the year it starts in.


def fiscal_year(d: date) -> int:
    return d.year if d.month >= 4 else d.year - 1


def fiscal_year_start(fy: int) -> date:
    return date(fy, 4, 1)


def fiscal_year_end(fy: int) -> date:
    return date(fy + 1, 3, 31)


# --- Japanese eras (和暦). Newest first, so the first era that has begun is the one.

_ERAS: tuple[tuple[str, date], ...] = (
    ("令和", date(2019, 5, 1)),
    ("平成", date(1989, 1, 8)),
    ("昭和", date(1926, 12, 25)),
)


def _era(d: date) -> tuple[str, str]:
    """The era name and its year as written: the first year is 元年, not 1年."""
    for name, began in _ERAS:
        if d >= began:
            year = d.year - began.year + 1
            return name, "元" if year == 1 else str(year)
    raise ValueError(f"{d} is before the Showa era; no era name is kept for it")


_ERA_LETTERS = {"R": "令和", "H": "平成", "S": "昭和"}


def parse_fiscal_year(text: str) -> int:
    """A fiscal year as clerks write it: 2026, 令和8, 令和8年度, R8, R08, 2026年度.

    A bare small number (``8``) is refused with the likely meaning, never read as the
    year 8: a report for 令和8年度 must not silently come out empty.
    """
    raw = str(text).strip().translate(str.maketrans("０１２３４５６７８９ＲＨＳｒｈｓ", "0123456789RHSrhs"))
    raw = raw.removesuffix("年度").removesuffix("年").strip()
    m = re.fullmatch(r"(令和|平成|昭和|[RHSrhs])\s*(元|\d{1,2})", raw)
    if m:
        era = _ERA_LETTERS.get(m.group(1).upper(), m.group(1))
        n = 1 if m.group(2) == "元" else int(m.group(2))
        began = dict(_ERAS)[era]
        return began.year + n - 1
    if re.fullmatch(r"\d{4}", raw) and 2000 <= int(raw) <= 2100:
        return int(raw)
    if re.fullmatch(r"\d{1,2}", raw):
        n = int(raw)
        raise ValueError(f"「{text}」は和暦の年度ですか？ 令和{n}年度なら「令和{n}」または「{2018 + n}」と指定してください。"
                         f" / is {text} an era year? for 令和{n} give R{n} or {2018 + n}")
    raise ValueError(f"年度は「2026」「令和8」「R8」のように指定してください（「{text}」は読めません）。"
                     f" / give the fiscal year as 2026, 令和8 or R8 (not {text!r})")


def era_date(d: date) -> str:
    """``令和3年9月16日`` for 2021-09-16."""
    name, year = _era(d)
    return f"{name}{year}年{d.month}月{d.day}日"


def era_year_month(d: date) -> str:
    """``令和3年9月`` for any day of September 2021."""
    name, year = _era(d)
    return f"{name}{year}年{d.month}月"


def era_year(fy: int) -> str:
    """``令和2年度`` for fiscal year 2020.

    A fiscal year takes the era of its first day, 1 April. So FY2019 is 平成31年度 even
    though Reiwa began a month into it: that is how the government's own budgets and
    documents name it.
    """
    name, year = _era(fiscal_year_start(fy))
    return f"{name}{year}年度"


# Spelled out rather than strftime("%B"), which follows the server's locale.
_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)


def english_date(d: date) -> str:
    """``16 September 2021``."""
    return f"{d.day} {_MONTHS[d.month - 1]} {d.year}"


def english_fiscal_year(fy: int) -> str:
    """``FY2020 (April 2020 – March 2021)``."""
    return f"FY{fy} (April {fy} – March {fy + 1})"


# --- Business days (開庁日).


@lru_cache(maxsize=None)
def _national_holidays(year: int) -> holidays.HolidayBase:
    # Building a year's holidays takes milliseconds; deadline loops ask per day.
    return holidays.Japan(years=year, language="ja")


def _in_year_end_closure(d: date) -> bool:
    # City offices close 29 December – 3 January (年末年始閉庁); not national holidays.
    return (d.month == 12 and d.day >= 29) or (d.month == 1 and d.day <= 3)


def closure_reason(d: date) -> str | None:
    """Why the offices are closed on ``d`` (in Japanese, as shown to users), or None.

    The most specific reason wins: 元日 rather than 年末年始閉庁, 憲法記念日 rather than 日曜日.
    """
    name = _national_holidays(d.year).get(d)
    if name:
        return name
    if _in_year_end_closure(d):
        return "年末年始閉庁"
    if d.weekday() == 5:
        return "土曜日"
    if d.weekday() == 6:
        return "日曜日"
    return None


def is_business_day(d: date) -> bool:
    return closure_reason(d) is None


def next_business_day(d: date) -> date:
    """The first business day strictly after ``d``."""
    d += timedelta(days=1)
    while not is_business_day(d):
        d += timedelta(days=1)
    return d


# Counted day by day; every case opening the same deadline on the same day asks the same
# question, so the answer is kept (the calendar is fixed: no I/O, no settings).
@lru_cache(maxsize=4096)
def add_business_days(d: date, n: int) -> date:
    """The ``n``-th business day after ``d`` (before it if ``n`` < 0).

    ``n == 0`` gives ``d`` itself if the offices are open, else the next business day:
    a period that would start or end on a closed day moves to the next open one.
    """
    if n == 0:
        return d if is_business_day(d) else next_business_day(d)
    step = timedelta(days=1 if n > 0 else -1)
    remaining = abs(n)
    while remaining:
        d += step
        if is_business_day(d):
            remaining -= 1
    return d


def business_days_between(a: date, b: date) -> int:
    """Business days after ``a`` up to and including ``b``; negative if ``b`` < ``a``.

    The inverse of ``add_business_days`` for business days: between(d, add(d, n)) == n.
    """
    if b < a:
        return -business_days_between(b, a)
    if a.year < _ORDINAL_BASE_YEAR:
        return sum(is_business_day(a + timedelta(days=i)) for i in range(1, (b - a).days + 1))
    return _business_ordinal(b) - _business_ordinal(a)


# The reminder scan asks how late thousands of deadlines are, some by years: counting
# day by day each time would dominate it, so business days are counted once per year.
_ORDINAL_BASE_YEAR = 1900


@lru_cache(maxsize=None)
def _year_counts(year: int) -> tuple[int, ...]:
    """Business days from 1 January of ``year`` up to and including each day of it."""
    counts, n, d = [], 0, date(year, 1, 1)
    while d.year == year:
        n += is_business_day(d)
        counts.append(n)
        d += timedelta(days=1)
    return tuple(counts)


@lru_cache(maxsize=None)
def _business_days_before_year(year: int) -> int:
    total = 0
    for y in range(_ORDINAL_BASE_YEAR, year):
        total += _year_counts(y)[-1]
    return total


def _business_ordinal(d: date) -> int:
    return _business_days_before_year(d.year) + _year_counts(d.year)[d.timetuple().tm_yday - 1]
