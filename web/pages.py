"""Rendering pages: one Jinja2 environment (autoescape on for everything) and the helpers
every template may call — the message catalogue, labels from ``states/``, dates in Japan
time — bound to the language of the request.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.requests import Request
from starlette.responses import HTMLResponse

from states import LIFECYCLES, VERSIONS, State, describe_state, get_lifecycle, lifecycle_of
from states.migration_plan import MIGRATION_TRIGGER
from states.common import CONTRACT_FORM_LABELS, REVIEW_CRITERIA
from states.roles import ROLES
from states.vocabulary import FIELDS
from workflow.calendar.clock import japan_today
from web import i18n
from web.security import csrf_token

TEMPLATES = Path(__file__).parent / "templates"

env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=True,  # every template, whatever its extension: user text is never trusted
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    extensions=["jinja2.ext.do"],
)

def trigger_label(lang: str, lifecycle: str, trigger: str, version: int | None = None) -> str:
    """A trigger's name as people read it, from the case's own lifecycle (and version, when known)."""
    found = None
    if lifecycle in VERSIONS:
        for lc in ([get_lifecycle(lifecycle, version)] if version else []) + list(reversed(VERSIONS[lifecycle])):
            found = lc.trigger_label(trigger)
            if found:
                break
    if found is None and trigger == MIGRATION_TRIGGER:
        found = ("新しい版の手続への移行", "Moved to a new version of the procedure")
    return i18n.label(lang, found or (trigger, trigger))


def state_of(case) -> State:
    """The state of any case (a row, an item of a list) read with its own lifecycle.

    With the case's version when the item carries it; a list item without it is described
    by the newest version that declares the state (labels only: nothing is decided here).
    """
    if getattr(case, "lifecycle_version", None):
        return lifecycle_of(case).state(case.state)
    return describe_state(case.lifecycle, case.state)


def end_reads(db) -> None:
    """End a page's read transaction, keeping what was read as it was read.

    A rollback expires every object the session holds, and a template reading one would
    load it again: one statement per row shown, after the transaction has ended. Detached
    first, the objects keep their values, and a template that reaches for anything not
    loaded fails loudly (``DetachedInstanceError``) instead of querying.
    """
    db.expunge_all()
    db.rollback()


def flash(request: Request, kind: str, message_ja: str, message_en: str) -> None:
    """A message for the next page this browser sees (kept in the signed cookie)."""
    request.session["flash"] = [*request.session.get("flash", []), [kind, message_ja, message_en]]


def language(request: Request) -> str:
    """The page language: asked for (query or cookie), else the user's own, else Japanese."""
    chosen = getattr(request.state, "lang", None)
    if chosen in i18n.LANGUAGES:
        return chosen
    actor = getattr(request.state, "actor", None)
    return actor.language if actor is not None and actor.language in i18n.LANGUAGES else i18n.DEFAULT


def url_with(request: Request, **params: Any) -> str:
    """The current address with some query parameters replaced (None removes one)."""
    query = dict(request.query_params)
    for k, v in params.items():
        if v is None:
            query.pop(k, None)
        else:
            query[k] = str(v)
    return request.url.path + (("?" + urlencode(query)) if query else "")


def helpers(request: Request) -> dict[str, Any]:
    lang = language(request)
    actor = getattr(request.state, "actor", None)
    return {
        "request": request,
        "lang": lang,
        "other_lang": "en" if lang == "ja" else "ja",
        "_": partial(i18n.t, lang),
        "pick": partial(i18n.pick, lang),
        "label": partial(i18n.label, lang),
        "public_label": partial(i18n.public_label, lang),
        "jdate": partial(i18n.fmt_date, lang),
        "jtime": partial(i18n.fmt_time, lang),
        "yen": partial(i18n.fmt_yen, lang),
        "fiscal_year": partial(i18n.fmt_fiscal_year, lang),
        "article": partial(i18n.fmt_article, lang),
        "csrf_token": lambda: csrf_token(request.session),
        "url_with": partial(url_with, request),
        "user": actor,
        "has_role": lambda *names: actor is not None and bool(actor.roles & set(names)),
        "roles": ROLES,
        "lifecycles": LIFECYCLES,
        "lifecycle": get_lifecycle,
        "state_of": state_of,
        "fields": FIELDS,
        "contract_forms": CONTRACT_FORM_LABELS,
        "criteria": REVIEW_CRITERIA,
        "trigger_label": partial(trigger_label, lang),
        "today": japan_today(request.app.state.clock),
        "max_upload_mb": request.app.state.web_settings.max_upload_bytes // (1024 * 1024),
        "oidc_label": _oidc_label(request.app.state.web_settings),
    }


def _oidc_label(settings) -> tuple[str, str] | None:
    """The staff sign-in button's words, when the city's identity provider is configured."""
    return (settings.oidc_label_ja, settings.oidc_label_en) if settings.oidc_enabled else None


def render(request: Request, template: str, context: dict[str, Any] | None = None, status: int = 200,
           headers: dict[str, str] | None = None) -> HTMLResponse:
    values = helpers(request)
    values["flashes"] = request.session.pop("flash", []) if "session" in request.scope else []
    values.update(context or {})
    html = env.get_template(template).render(values)
    return HTMLResponse(html, status_code=status, headers=headers)
