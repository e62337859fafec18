"""What people read on the web pages, in Japanese first and in English.

Japanese is the default; ``?lang=en`` (remembered in a cookie) switches. Labels of states,
transitions, inputs and roles come from ``states/`` and are never repeated here; this
catalogue holds only the words of the pages themselves. Dates are shown in Japan time,
as era dates in Japanese (令和8年4月6日), as official documents write them.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from workflow.calendar.japan import english_date, english_fiscal_year, era_date, era_year
from workflow.calendar.clock import to_japan

LANGUAGES = ("ja", "en")
DEFAULT = "ja"
COOKIE = "kyodo_lang"

from web.messages import MESSAGES  # noqa: E402  (the catalogue is long; it lives on its own)


def pick(lang: str, ja: str, en: str) -> str:
    return en if lang == "en" and en else ja


def t(lang: str, key: str, **values: Any) -> str:
    """The message ``key`` in ``lang``; ``{name}`` placeholders are filled from ``values``."""
    ja, en = MESSAGES[key]
    text = pick(lang, ja, en)
    return text.format(**values) if values else text


def label(lang: str, obj: Any) -> str:
    """The label of anything from ``states/`` (state, transition, input, role, deadline)."""
    if obj is None:
        return "—"
    if isinstance(obj, tuple):  # (ja, en) pairs from states.vocabulary
        return pick(lang, obj[0], obj[1])
    return pick(lang, obj.label_ja, obj.label_en)


def public_label(lang: str, state: Any) -> str:
    return pick(lang, state.public_label_ja or state.label_ja, state.public_label_en or state.label_en)


def fmt_date(lang: str, d: date | datetime | None) -> str:
    if d is None:
        return "—"
    if isinstance(d, datetime):
        d = to_japan(d).date()
    return english_date(d) if lang == "en" else era_date(d)


def fmt_time(lang: str, dt: datetime | None) -> str:
    if dt is None:
        return "—"
    local = to_japan(dt)
    if lang == "en":
        return f"{english_date(local.date())}, {local:%H:%M} JST"
    return f"{era_date(local.date())} {local:%H:%M}"


def fmt_fiscal_year(lang: str, fy: int | None) -> str:
    if fy is None:
        return "—"
    return english_fiscal_year(fy) if lang == "en" else f"{era_year(fy)}（{fy}年度）"


def fmt_article(lang: str, article: str) -> str:
    """``第10条第2項`` → ``Article 10(2)`` in English; Japanese as written."""
    if lang != "en" or not article:
        return article
    m = re.fullmatch(r"第(\d+)条(?:第(\d+)項)?", article)
    return (f"Article {m[1]}" + (f"({m[2]})" if m[2] else "")) if m else article


def fmt_yen(lang: str, amount: int | None) -> str:
    if amount is None:
        return "—"
    return f"¥{amount:,}" if lang == "en" else f"{amount:,}円"


def choose(query_lang: str | None, cookie_lang: str | None, user_lang: str | None = None) -> str:
    for candidate in (query_lang, cookie_lang, user_lang):
        if candidate in LANGUAGES:
            return candidate
    return DEFAULT
