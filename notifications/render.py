"""Turn a notice kind and its context into a subject, a plain-text body and an HTML body.

Serves every notice the ordinance asks for, above all the Article 10(2) decision notice
(採否の決定を理由を付して通知). Japanese is the default language, English the second.
The plain text and the HTML come from separate templates; only the HTML environment
autoescapes, so what citizens typed is escaped in HTML and left verbatim in text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape

from states.common import CONTRACT_FORM_LABELS
from states.notices import NOTICE_KINDS
from states.vocabulary import LANGUAGES
from workflow.calendar.japan import era_date, era_year, english_date, english_fiscal_year

# Every kind declared in states/; each has .subject.txt, .txt and .html per language.
KINDS = tuple(NOTICE_KINDS)

DEFAULT_LANGUAGE = "ja"

# A template branches on these values; a typo in the caller must fail loudly rather than
# fall into the template's last branch and tell a citizen the wrong outcome.
_CHOICES = {
    "outcome": ("adopted", "not_adopted"),
    "which": ("start", "end"),
    "side": ("city", "partner"),
    "step": ("before", "on_day", "overdue"),
}

_TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def render(kind: str, language: str, context: dict) -> Rendered:
    """Render one notice. A missing context key raises ``jinja2.UndefinedError``."""
    if kind not in KINDS:
        raise ValueError(f"unknown notice kind {kind!r}; expected one of {', '.join(KINDS)}")
    for key, allowed in _CHOICES.items():
        if key in context and context[key] not in allowed:
            raise ValueError(f"{kind}: {key}={context[key]!r} is not one of {allowed}")
    lang = normalise_language(language)
    subject = _environment(lang, html=False).get_template(f"{lang}/{kind}.subject.txt").render(context)
    text = _environment(lang, html=False).get_template(f"{lang}/{kind}.txt").render(context)
    html = _environment(lang, html=True).get_template(f"{lang}/{kind}.html").render(context)
    return Rendered(subject=single_line(subject), text=text.strip() + "\n", html=html)


def normalise_language(language: str | None) -> str:
    """``en-GB`` → ``en``; anything we have no templates for → Japanese."""
    lang = (language or "").split("-")[0].split("_")[0].lower()
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def single_line(value: str) -> str:
    # A header must be one line; splitlines() also catches \v, \f, U+2028 and friends.
    return " ".join(part.strip() for part in value.splitlines() if part.strip())


# --- Filters.


def yen(amount: int, language: str = DEFAULT_LANGUAGE) -> str:
    return f"¥{amount:,}" if language == "en" else f"{amount:,}円"


def contract_form(key: str, language: str = DEFAULT_LANGUAGE) -> str:
    ja, en = CONTRACT_FORM_LABELS[key]
    return en if language == "en" else ja


def article_en(article: str) -> str:
    """``第10条第2項`` → ``Article 10(2)``; anything else is returned unchanged."""
    m = re.fullmatch(r"第(\d+)条(?:第(\d+)項)?", article)
    if not m:
        return article
    return f"Article {m[1]}" + (f"({m[2]})" if m[2] else "")


def linebreaks(value: str) -> Markup:
    """Escape, then keep the writer's line breaks: reasons are quoted as written."""
    return Markup("<br>\n").join(escape(line) for line in str(value).splitlines())


@lru_cache(maxsize=None)
def _environment(language: str, *, html: bool) -> Environment:
    env = Environment(
        loader=FileSystemLoader(_TEMPLATES),
        autoescape=html,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        era_date=era_date,
        en_date=english_date,
        era_fy=era_year,
        en_fy=english_fiscal_year,
        yen=lambda amount: yen(amount, language),
        contract_form=lambda key: contract_form(key, language),
        article_en=article_en,
        linebreaks=linebreaks,
    )
    return env
