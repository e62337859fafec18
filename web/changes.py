"""Running one change from a secretariat form: problems shown on the same page, success flashed.

Shared by the pages that edit a round, its themes and criteria, and its review panel.
"""

from __future__ import annotations

from typing import Any, Callable

from fastapi.responses import RedirectResponse
from sqlmodel import Session
from starlette.requests import Request

from db.session import write
from web.pages import flash, language
from workflow.errors import InvalidInput


def in_language(lang: str, problems: dict[str, tuple[str, str]]) -> dict[str, str]:
    """Field problems given as (ja, en), in the page's language."""
    return {name: (en if lang == "en" else ja) for name, (ja, en) in problems.items()}


def run_change(request: Request, db: Session, change: Callable[[], Any], done: tuple[str, str], *,
               redisplay: Callable[..., Any], section: str, values: dict, redirect: str):
    """Run ``change`` in one write; a mistake comes back as ``redisplay`` with the problem shown (422).

    ``change`` returns False when nothing changed (said as such); ``redisplay`` takes
    ``section``, ``values``, ``errors`` or ``message``, and ``code``.
    """
    lang = language(request)
    try:
        with write(db):
            changed = change()
    except InvalidInput as exc:
        problems = getattr(exc, "problems", None)
        if problems:
            return redisplay(section=section, values=values, errors=in_language(lang, problems), code=422)
        return redisplay(section=section, values=values, message=exc.message(lang), code=422)
    if changed is False:
        flash(request, "info", "変更はありませんでした。", "Nothing was changed.")
    else:
        flash(request, "success", *done)
    return RedirectResponse(redirect, status_code=303)
