"""The one translation of the engine's errors into HTTP, for pages and the API alike.

Every error the API answers has one body, ``ErrorOut`` (declared in the OpenAPI
document): a code, the message in Japanese and English, a hint, and what it concerns.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

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


class ProblemOut(BaseModel):
    """One thing wrong with a request's shape (a parameter that is not a number, say)."""

    field: str
    problem: str
    type: str


class ErrorOut(BaseModel):
    """The body of every error of the API."""

    error: str = Field(description="what kind of error: not_found, invalid_input, conflict, too_large …")
    message_ja: str
    message_en: str
    hint_ja: str = ""
    hint_en: str = ""
    field: str | None = Field(None, description="the input the error concerns")
    missing: list[str] | None = Field(None, description="inputs that must be given")
    current_version: int | None = Field(None, description="409: the case's version now")
    failed_conditions: list[str] | None = Field(None, description="conditions that do not hold")
    allowed_roles: list[str] | None = Field(None, description="roles that may do this")
    reference: str | None = Field(None, description="500: the error's reference number, also in the server's log")
    detail: list[ProblemOut] | None = Field(None, description="422: every problem with the request's shape")


def error_json(status: int, code: str, message_ja: str, message_en: str, hint_ja: str = "", hint_en: str = "",
               headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    """An API error in the shape of ``ErrorOut``."""
    body = {"error": code, "message_ja": message_ja, "message_en": message_en, "hint_ja": hint_ja,
            "hint_en": hint_en, **extra}
    return JSONResponse(body, status_code=status, headers=headers)


def new_reference() -> str:
    """A short number a person can read out on the phone and the log can be searched for."""
    return secrets.token_hex(4).upper()


def api_error(exc: KyodoError, status: int | None = None) -> JSONResponse:
    """The API's body for an engine error: its code, both messages, and what it concerns."""
    body: dict[str, Any] = {}
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
    return error_json(status or status_of(exc), exc.code, exc.message_ja, exc.message_en, exc.hint_ja, exc.hint_en,
                      **body)
