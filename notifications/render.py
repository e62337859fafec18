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

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template, pass_context
from markupsafe import Markup, escape

from states.common import CONTRACT_FORM_LABELS
from states.notices import NOTICE_KINDS, RECIPIENTS
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
    # The role in which the recipient is reached (``Notify.to``): the department's letter
    # about a decision is a copy (写し), not the group's letter. None for the letters no
    # role addresses (an account's) and for rows written before the role was recorded:
    # they read as the addressee's own letter, never as a copy.
    "addressed_as": (*RECIPIENTS, None),
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
    context = {"addressed_as": None, **context}
    subject, text, html = (t.render(context) for t in _templates(normalise_language(language), kind))
    return Rendered(subject=single_line(subject), text=text.strip() + "\n", html=html)


@lru_cache(maxsize=None)
def _templates(lang: str, kind: str) -> tuple[Template, Template, Template]:
    """The subject, text and HTML templates of one kind, compiled once per process: a
    worker renders thousands of notices from a few dozen templates, and a deployment
    changes templates by restarting its workers."""
    text_env, html_env = _environment(lang, html=False), _environment(lang, html=True)
    return (text_env.get_template(f"{lang}/{kind}.subject.txt"), text_env.get_template(f"{lang}/{kind}.txt"),
            html_env.get_template(f"{lang}/{kind}.html"))


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


# A title or an honorific already honours the person: 「教授 様」「局長 様」「氏 様」 are double
# honorifics (二重敬語), so a salutation adds 様 only to a bare name. Position titles are
# listed whole, not matched by their last character: 「信長」 ends in 長 and is a name.
_HONORIFIC_ENDINGS = (
    "様", "さま", "殿", "御中", "各位", "さん", "氏", "先生", "教授", "博士",
    "局長", "部長", "課長", "係長", "室長", "所長", "区長", "市長", "町長", "村長", "知事",
    "社長", "会長", "理事長", "委員長", "議長", "校長", "園長", "院長", "館長", "センター長",
    "頭取", "主任", "主査", "主幹", "参事", "理事", "監事", "顧問", "代表", "取締役",
)
# A note after a name, as a directory may keep it: 「伊藤 教授（審査員）」.
_NOTE = re.compile(r"\s*(?:（[^（）]*）|\([^()]*\))\s*$")


def honorific(name: str, separator: str = " ") -> str:
    """``山田 花子`` → ``山田 花子 様``; a name that ends in a title or honorific is left as it is.

    様 follows the name itself, before a note in brackets: ``田中 誠（市民協働推進課）`` →
    ``田中 誠 様（市民協働推進課）``.
    """
    name = str(name).strip()
    note = _NOTE.search(name)
    bare, tail = (name[:note.start()], name[note.start():].strip()) if note and note.start() else (name, "")
    if not bare or bare.endswith(_HONORIFIC_ENDINGS):
        return name
    return f"{bare}{separator}様{tail}"


# Who a letter reaches in each role is addressed as one of: the group's contact under the
# group's name, the department's officer under the department's.
_UNDER_ORGANISATION = ("proposer", "unselected_applicants")
_UNDER_DEPARTMENT = ("department", "department_head")


@pass_context
def address_block(ctx) -> str:
    """The lines a Japanese letter to one person opens with: where they are reached, then
    their name with 様 (``linebreaks`` turns the lines into HTML)."""
    role, lines = ctx.get("addressed_as"), []
    if role in _UNDER_ORGANISATION and ctx.get("organisation"):
        lines.append(ctx["organisation"]["name"])
    elif role in _UNDER_DEPARTMENT and ctx.get("department"):
        lines.append(ctx["department"]["name"])
    lines.append(honorific(ctx["recipient_name"]))
    return "\n".join(lines)


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
        # Templates are read once (``_templates``); nothing asks the disk again per notice.
        auto_reload=False,
    )
    env.globals.update(address_block=address_block)
    env.filters.update(
        era_date=era_date,
        en_date=english_date,
        era_fy=era_year,
        en_fy=english_fiscal_year,
        yen=lambda amount: yen(amount, language),
        contract_form=lambda key: contract_form(key, language),
        article_en=article_en,
        linebreaks=linebreaks,
        honorific=honorific,
    )
    return env
