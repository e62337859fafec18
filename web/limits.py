"""Limits at the edge, before any handler reads a request: its size, and no NUL in its text.

Every request body is bounded (``KYODO_MAX_BODY_BYTES``); only the upload route takes a
larger one, up to its own limit (``KYODO_MAX_UPLOAD_BYTES``). A body declared too large
is answered 413 without reading a byte of it; one that grows past the limit while it
streams in is cut off there, so no request can make a worker hold more than the limit.

PostgreSQL refuses a NUL character in text, so a NUL anywhere a person could have typed
one — the address, a query parameter, a form field, a string in a JSON body — is refused
here with 422 naming the field, instead of ending as a database error in whichever
handler stores it first. Bodies that are checked are small (forms and JSON, within the
body limit): they are read here once and handed on unchanged.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Query
from starlette.datastructures import Headers, UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import FormParser, MultiPartException, MultiPartParser
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# The one kind of request that carries files: an attachment posted to a case.
UPLOAD_PATH = re.compile(r"^/proposals/[^/]+/attachments/?$")
# Room for a multipart envelope around a file at the upload limit (boundaries, the form's fields).
MULTIPART_SLACK = 256 * 1024
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

# A list's filter or page cursor from the query string (a state, a field, a search): short
# by nature, so a longer one is refused (422) before anything looks it up.
Filter = Annotated[str | None, Query(max_length=100)]


class BodyTooLarge(HTTPException):
    """Raised inside the app when a streamed body passes its limit (handlers answer 413)."""

    def __init__(self, limit: int):
        super().__init__(413, f"request body larger than {limit} bytes")
        self.limit = limit


@dataclass(frozen=True)
class Refused:
    """What the edge refuses, for the app to answer in its own words and shape."""

    status: int
    code: str
    field: str | None = None
    limit: int | None = None


# The app's answer to a refusal: a JSON error under /api/, a page elsewhere.
Answer = Callable[[Scope, Receive, Refused], Awaitable[Response]]


class _Over(Exception):
    pass


class EdgeLimitsMiddleware:
    def __init__(self, app: ASGIApp, *, max_body_bytes: int, max_upload_bytes: int, answer: Answer):
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_upload_bytes = max_upload_bytes
        self.answer = answer

    def _limit(self, scope: Scope, content_type: str) -> tuple[int, int]:
        """The bytes a body may have, and the limit a person is told (without the envelope)."""
        if content_type == "multipart/form-data" and UPLOAD_PATH.match(scope["path"]):
            return self.max_upload_bytes + MULTIPART_SLACK, self.max_upload_bytes
        return self.max_body_bytes, self.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def refuse(refused: Refused) -> None:
            response = await self.answer(scope, receive, refused)
            await response(scope, receive, send)

        if "\x00" in scope["path"]:
            await refuse(Refused(404, "not_found"))
            return
        field = _nul_in_pairs(_query_pairs(scope.get("query_string", b"")))
        if field is not None:
            await refuse(Refused(422, "nul_character", field))
            return
        headers = Headers(scope=scope)
        content_type = headers.get("content-type", "").split(";", 1)[0].strip().lower()
        limit, told = self._limit(scope, content_type)
        declared = _declared_length(headers)
        if declared is not None and declared > limit:
            await refuse(Refused(413, "too_large", limit=told))
            return
        if limit > self.max_body_bytes:
            # An upload: streamed on to its handler, which stores it chunk by chunk.
            await self.app(scope, _counting(receive, limit, told), send)
            return
        try:
            body = await _read(receive, limit)
        except _Over:
            await refuse(Refused(413, "too_large", limit=told))
            return
        field = await _nul_in_body(headers, content_type, body)
        if field is not None:
            await refuse(Refused(422, "nul_character", field))
            return
        await self.app(scope, _replay(body, receive), send)


def _declared_length(headers: Headers) -> int | None:
    try:
        return int(headers["content-length"])
    except (KeyError, ValueError):
        return None


async def _read(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break  # the client went away; the app sees an empty body
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _Over()
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _counting(receive: Receive, limit: int, told: int) -> Receive:
    size = 0

    async def counted() -> Message:
        nonlocal size
        message = await receive()
        if message["type"] == "http.request":
            size += len(message.get("body", b""))
            if size > limit:
                raise BodyTooLarge(told)
        return message

    return counted


# --- NUL characters

def _shown(name: str) -> str:
    """A field's name as a message can show it (a name may hold the NUL itself)."""
    return name.replace("\x00", "\\0")[:80] or "?"


def _query_pairs(raw: bytes) -> list[tuple[str, str]]:
    from urllib.parse import parse_qsl

    if b"%00" not in raw and b"\x00" not in raw:
        return []
    return parse_qsl(raw.decode("latin-1"), keep_blank_values=True, encoding="utf-8", errors="replace")


def _nul_in_pairs(pairs: list[tuple[str, Any]]) -> str | None:
    for name, value in pairs:
        if "\x00" in name or (isinstance(value, str) and "\x00" in value):
            return _shown(name)
    return None


async def _nul_in_body(headers: Headers, content_type: str, body: bytes) -> str | None:
    if not body:
        return None
    if content_type in FORM_TYPES:
        if content_type == FORM_TYPES[0] and b"%00" not in body and b"\x00" not in body:
            return None
        return await _nul_in_form(headers, content_type, body)
    if b"\\u0000" in body:  # a JSON string can hold a NUL only as this escape
        try:
            return _nul_in_json(json.loads(body), "")
        except (ValueError, RecursionError):
            return None  # not JSON (or nested beyond reason): the handler says so
    return None


async def _nul_in_form(headers: Headers, content_type: str, body: bytes) -> str | None:
    async def stream() -> AsyncGenerator[bytes, None]:
        yield body
        yield b""

    parser = FormParser(headers, stream()) if content_type == FORM_TYPES[0] else MultiPartParser(headers, stream())
    try:
        form = await parser.parse()
    except MultiPartException:
        return None  # malformed: the handler answers it
    try:
        return _nul_in_pairs([(k, v) for k, v in form.multi_items() if not isinstance(v, UploadFile)])
    finally:
        await form.close()


def _nul_in_json(value: Any, path: str) -> str | None:
    """The path (``inputs.note``, ``items[2]``) of the first string holding a NUL, or None."""
    if isinstance(value, str):
        return _shown(path or "body") if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else key
            if "\x00" in key:
                return _shown(where)
            found = _nul_in_json(item, where)
            if found is not None:
                return found
    if isinstance(value, list):
        for n, item in enumerate(value):
            found = _nul_in_json(item, f"{path}[{n}]")
            if found is not None:
                return found
    return None
