"""The one translation of the engine's errors into HTTP, for pages and the API alike."""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi.responses import JSONResponse

from web.i18n import t
from workflow.errors import (
    ConditionNotMet,
    Conflict,
    InvalidInput,
    InvalidState,
    KyodoError,
    MissingInput,
    NotAllowed,
    NotFound,
)

# First match wins: subclasses before the classes they refine.
STATUS: tuple[tuple[type[KyodoError], int], ...] = (
    (NotFound, 404), (NotAllowed, 403), (Conflict, 409), (InvalidState, 409),
    (MissingInput, 422), (InvalidInput, 422), (ConditionNotMet, 422),
)


def status_of(exc: KyodoError) -> int:
    return next((code for kind, code in STATUS if isinstance(exc, kind)), 400)


@dataclass(frozen=True)
class Refusal:
    """An engine error as a page shows it: the status, the message, and errors by field."""

    status: int
    message: tuple[str, str]
    errors: dict[str, str] = field(default_factory=dict)


def refusal(exc: KyodoError, lang: str) -> Refusal:
    if isinstance(exc, MissingInput):
        errors = {n: t(lang, "field_required") for n in exc.missing}
    elif isinstance(exc, InvalidInput):
        errors = {exc.name: exc.message(lang)} if exc.name else {}
    else:
        errors = {}
    if isinstance(exc, Conflict):
        message = (exc.message_ja + exc.hint_ja, exc.message_en + "; " + exc.hint_en)
    else:
        message = (exc.message_ja, exc.message_en)
    return Refusal(status_of(exc), message, errors)


def api_error(exc: KyodoError, status: int | None = None) -> JSONResponse:
    """The API's body for an engine error: its code, both messages, and what it concerns."""
    body = {"error": exc.code, "message_ja": exc.message_ja, "message_en": exc.message_en,
            "hint_ja": exc.hint_ja, "hint_en": exc.hint_en}
    if isinstance(exc, Conflict):
        body["current_version"] = exc.current_version
    if isinstance(exc, MissingInput):
        body["missing"] = exc.missing
    if isinstance(exc, InvalidInput):
        body["field"] = exc.name
    if isinstance(exc, ConditionNotMet):
        body["failed_conditions"] = exc.failed
    if isinstance(exc, NotAllowed):
        body["allowed_roles"] = list(exc.allowed_roles)
    return JSONResponse(body, status_code=status or status_of(exc))
