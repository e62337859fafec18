"""Malformed requests get words and a 4xx, never a 500 (SQLite and PostgreSQL).

Numbers no column can hold, JSON numbers no integer can be, NUL characters (which
PostgreSQL refuses in text), dates no calendar reaches, bodies of any size: each is
refused at the edge with a message in Japanese and English that names what is wrong.
Whatever still goes wrong inside is a page (or a JSON error) with a reference number that
is also in the log, beside the traceback.
"""

from __future__ import annotations

import asyncio
import logging
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from db.models import Attachment, Proposal
from tests.support import TERMS
from tests.web.conftest import Visitor, web_settings
from tests.web.test_api import client, token_for
from tests.web.test_paths import PDF, version_of
from web.app import create_app

KEYS = {"error", "message_ja", "message_en", "hint_ja", "hint_en"}


def lenient(web, token: str | None = None) -> TestClient:
    """A client that sees a 500 as the browser would, instead of the exception."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return TestClient(web, headers=headers, raise_server_exceptions=False, follow_redirects=False)


def visitor(web, login: str | None = None) -> Visitor:
    v = Visitor(web)
    v.client = lenient(web)
    if login:
        assert v.login(login).status_code == 303
    return v


def refused(r, status: int, field: str | None = None) -> dict:
    """An API refusal: the status, the one error shape, both languages, and the field it names."""
    assert r.status_code == status, (r.status_code, r.text[:500])
    body = r.json()
    assert KEYS <= set(body) and body["message_ja"] and body["message_en"], body
    if field is not None:
        assert body["field"] == field, body
    return body


# --- numbers

def test_json_numbers_no_integer_can_be_are_refused(web, world, as_):
    api = lenient(web, token_for(as_, "proposer"))
    json = {"content-type": "application/json"}
    r = api.post("/api/v1/proposals", content=b'{"organisation_id": 1e999999, "title": "x"}', headers=json)
    refused(r, 422, "organisation_id")
    body = b'{"organisation_id": %d, "title": "x", "estimated_cost_yen": 1e999999}' % world.org
    refused(api.post("/api/v1/proposals", content=body, headers=json), 422, "estimated_cost_yen")
    refused(api.post("/api/v1/proposals", json={"organisation_id": world.org, "estimated_cost_yen": 2**63}), 422,
            "estimated_cost_yen")
    pid = world.new_proposal()
    r = api.post(f"/api/v1/proposals/{pid}/transitions", content=b'{"trigger": "submit", "version": 1e999999}',
                 headers=json)
    assert refused(r, 422, "version")["detail"][0]["field"] == "version"
    r = api.post(f"/api/v1/proposals/{pid}/transitions", content=b'{"trigger": "submit", "version": -1e999999}',
                 headers=json)
    refused(r, 422, "version")


def test_ids_beyond_any_row_name_the_input(web, world, as_):
    pid = world.new_proposal()
    world.do(pid, "submit", "proposer")
    reviewers = [world["reviewer1"].user_id, world["reviewer2"].user_id]
    api = lenient(web, token_for(as_, "secretariat"))

    def start(**inputs):
        version = api.get(f"/api/v1/proposals/{pid}").json()["version"]
        return api.post(f"/api/v1/proposals/{pid}/transitions",
                        json={"trigger": "start_review", "inputs": inputs, "version": version})

    refused(start(reviewer_ids=reviewers, department_id=2**31), 422, "department_id")
    refused(start(reviewer_ids=reviewers, department_id=2**40), 422, "department_id")
    refused(start(reviewer_ids=[reviewers[0], 2**31], department_id=world.dept), 422, "reviewer_ids")
    refused(start(reviewer_ids=list(range(1, 5000)), department_id=world.dept), 422, "reviewer_ids")
    # The same through the secretariat's form: the message stands beside the field.
    s = visitor(web, "s")
    page = s.post(f"/proposals/{pid}/actions", {"trigger": "start_review", "version": str(version_of(world, pid)),
                                               "reviewer_ids": [str(r) for r in reviewers],
                                               "department_id": str(2**40)})
    assert page.status_code == 422 and "大きすぎます" in page.text


def test_large_numbers_and_long_values_in_addresses_are_4xx(web, world, as_):
    s = visitor(web, "s")
    for path in ("/secretariat?field=" + "1" * 5000, "/secretariat?department=" + "9" * 5000,
                 "/queue?department=" + "9" * 5000, "/secretariat?q=" + "x" * 5000):
        page = s.get(path)
        assert page.status_code == 422, (path[:40], page.status_code)
        assert "値が正しくありません" in page.text, path[:40]
    page = s.get("/public?after=abc")
    assert page.status_code == 422 and "「after」の値が正しくありません" in page.text
    p = visitor(web, "p")
    assert p.get(f"/proposals/new?organisation_id={2**70}").status_code == 422
    api = lenient(web, token_for(as_, "reviewer1"))
    refused(api.get("/api/v1/queue", params={"cursor": "2026-01-01_" + "9" * 5000}), 422, "cursor")
    refused(api.get("/api/v1/public/projects", params={"after": str(2**63)}), 422, "after")


def test_digits_that_are_not_decimal_are_refused_with_words(web, world, as_):
    # "²" is a digit to str.isdigit() but not to int(): the filters must refuse it, not crash.
    s = visitor(web, "s")
    for path in ("/secretariat?field=²", "/secretariat?department=²", "/queue?department=²", "/queue?field=፩"):
        page = s.get(path)
        assert page.status_code == 422 and "選べません" in page.text, path
    api = lenient(web, token_for(as_, "reviewer1"))
    refused(api.get("/api/v1/queue", params={"field": "²"}), 422, "field")


def test_dates_no_calendar_reaches_are_refused(web, world, as_):
    dept = lenient(web, token_for(as_, "department"))
    call = {"title": "公園の花壇づくり", "purpose": "花のある公園", "content": "花壇の設計と維持", "field": 4,
            "selection_criteria": "実績", "closing_on": "9999-12-31"}
    refused(dept.post("/api/v1/calls", json=call), 422, "closing_on")
    pid = world.new_proposal()
    world.to_contracting(pid)
    terms = {**TERMS, "period_start": "2026-06-01", "period_end": "9999-12-31", "partner_ids": [world.org]}
    version = dept.get(f"/api/v1/proposals/{pid}").json()["version"]
    r = dept.post(f"/api/v1/proposals/{pid}/transitions",
                  json={"trigger": "conclude_contract", "inputs": terms, "version": version})
    refused(r, 422, "period_end")


# --- NUL characters

def test_nul_characters_are_refused_naming_the_field(web, world, as_):
    anonymous = visitor(web)
    page = anonymous.post("/login", {"login": "p\x00", "password": "x"})
    assert page.status_code == 422 and "「login」に使えない文字（NUL）" in page.text
    page = anonymous.post("/register", {"org_name": "会\x00", "kind": "npo", "representative_name": "森"})
    assert page.status_code == 422 and "「org_name」" in page.text
    # The same field sent as multipart (a tool, not a browser, would): the same refusal.
    r = anonymous.client.post("/login", data={"login": "p\x00", "csrf_token": anonymous.csrf()},
                              files={"unused": ("a.txt", b"\x00\x01", "text/plain")})
    assert r.status_code == 422 and "「login」" in r.text
    s = visitor(web, "s")
    page = s.get("/secretariat?q=a%00b")
    assert page.status_code == 422 and "「q」" in page.text
    page = s.get("/secretariat?lang=en&q=%00")
    assert page.status_code == 422 and "q contains a NUL character" in page.text
    assert s.get("/public/proposals/%00").status_code in (404, 422)

    api = lenient(web, token_for(as_, "proposer"))
    refused(api.post("/api/v1/proposals", json={"organisation_id": world.org, "title": "a\x00"}), 422, "title")
    pid = world.new_proposal()
    refused(api.post(f"/api/v1/proposals/{pid}/transitions", json={"trigger": "sub\x00mit", "version": 1}),
            422, "trigger")
    refused(api.post(f"/api/v1/proposals/{pid}/transitions",
                     json={"trigger": "withdraw", "inputs": {"withdrawal_reason": ["ok", "n\x00"]}, "version": 1}),
            422, "inputs.withdrawal_reason[1]")
    refused(api.get("/api/v1/queue", params={"state": "\x00"}), 422, "state")


# --- sizes

@pytest.fixture
def small(web, world, db_engine, tmp_path):
    """The app with a 64 KB limit on bodies (uploads keep their own 1 MB)."""
    return create_app(engine=db_engine, clock=world.clock, settings=world.settings,
                      web_settings=web_settings(tmp_path, max_body_bytes=64 * 1024))


def test_bodies_beyond_the_limit_are_refused_with_413(small, world, as_):
    token = token_for(lambda who: visitor(small, "p"), "proposer")
    api = lenient(small, token)
    before = world.s.execute(select(func.count()).select_from(Proposal)).scalar_one()
    world.s.commit()
    huge = b'{"organisation_id": %d, "title": "x", "purpose": "%s"}' % (world.org, b"a" * (60 * 1024 * 1024))
    body = refused(api.post("/api/v1/proposals", content=huge, headers={"content-type": "application/json"}), 413)
    assert body["error"] == "too_large" and "64 KB" in body["message_ja"]

    def chunks():  # no Content-Length: the limit holds while the body streams in
        for _ in range(100):
            yield b"a" * 8192

    r = api.post("/api/v1/proposals", content=chunks(), headers={"content-type": "application/json"})
    refused(r, 413)
    p = visitor(small, "p")
    page = p.post("/proposals/new", {"organisation_id": str(world.org), "title": "大きな提案", "purpose": "あ" * 30000})
    assert page.status_code == 413 and "送信されたデータが大きすぎます（上限 64 KB）" in page.text
    assert world.s.execute(select(func.count()).select_from(Proposal)).scalar_one() == before
    world.s.commit()
    # An upload keeps its own, larger limit.
    pid = world.new_proposal()
    up = p.client.post(f"/proposals/{pid}/attachments", data={"csrf_token": p.csrf()},
                       files={"file": ("計画書.pdf", PDF + b"\n%" + b"0" * 200_000, "application/pdf")})
    assert up.status_code == 303
    assert world.s.execute(select(func.count()).select_from(Attachment)).scalar_one() == 1
    world.s.commit()


def test_a_declared_size_over_the_limit_is_refused_before_a_byte_is_read(small):
    read = 0

    async def receive():  # 60 MB in 1 MB pieces, counted as the app takes them
        nonlocal read
        read += 1024 * 1024
        return {"type": "http.request", "body": b" " * (1024 * 1024), "more_body": read < 60 * 1024 * 1024}

    sent: list[dict] = []

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": "/api/v1/proposals", "raw_path": b"/api/v1/proposals", "query_string": b"", "root_path": "",
             "headers": [(b"host", b"testserver"), (b"content-type", b"application/json"),
                         (b"content-length", str(60 * 1024 * 1024).encode())],
             "client": ("127.0.0.1", 1234), "server": ("testserver", 80)}
    asyncio.run(small(scope, receive, send))
    assert sent[0]["status"] == 413 and read == 0


# --- whatever else goes wrong

def test_an_unexpected_error_is_a_page_with_a_reference_in_the_log(web, world, as_, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("secret detail of the failure")

    monkeypatch.setattr("workflow.queries.public.public_cases", broken)
    monkeypatch.setattr("workflow.queries.public.public_ids", broken)
    anonymous = lenient(web)
    with caplog.at_level(logging.ERROR, logger="kyodo.web"):
        page = anonymous.get("/public")
    assert page.status_code == 500 and "予期しないエラー" in page.text
    assert "secret detail" not in page.text and "Traceback" not in page.text
    reference = re.search(r"エラー番号 ([0-9A-F]{8})", page.text).group(1)
    [record] = [r for r in caplog.records if reference in r.getMessage()]
    assert record.exc_info and "secret detail of the failure" in str(record.exc_info[1])

    english = anonymous.get("/public?lang=en")
    assert english.status_code == 500 and re.search(r"Error reference [0-9A-F]{8}", english.text)

    caplog.clear()
    with caplog.at_level(logging.ERROR, logger="kyodo.web"):
        r = anonymous.get("/api/v1/public/projects")
    body = refused(r, 500)
    assert body["error"] == "internal_error" and "secret detail" not in r.text
    assert any(body["reference"] in rec.getMessage() and rec.exc_info for rec in caplog.records)


# --- the API's document and its roads

def test_the_openapi_document_declares_its_security_and_error_bodies(web):
    spec = TestClient(web).get("/openapi.json").json()
    [(name, scheme)] = spec["components"]["securitySchemes"].items()
    assert scheme["type"] == "http" and scheme["scheme"].lower() == "bearer"
    error = spec["components"]["schemas"]["ErrorOut"]
    assert {"error", "message_ja", "message_en"} <= set(error["required"])
    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            private = not path.startswith("/api/v1/public/")
            # Any token reads; whatever changes something asks for the scope ``write``.
            wanted = [{name: [] if method == "get" else ["write"]}] if private else None
            assert op.get("security") == wanted, (method, path)
            for status in ("422", "500") + (("401", "403") if private else ()):
                ref = op["responses"][status]["content"]["application/json"]["schema"]["$ref"]
                assert ref.endswith("/ErrorOut"), (method, path, status)


def test_files_are_not_described_through_the_api(web, world, as_):
    pid = world.new_proposal()
    api = lenient(web, token_for(as_, "proposer"))
    body = api.get(f"/api/v1/proposals/{pid}").json()
    offered = {t["trigger"] for t in body["possible_transitions"] + body["blocked_transitions"]}
    assert "withdraw" in offered and "add_attachment" not in offered
    file = {"filename": "x.pdf", "content_type": "application/pdf", "size": 10, "sha256": "0" * 64,
            "storage_key": "elsewhere.pdf"}
    r = api.post(f"/api/v1/proposals/{pid}/transitions",
                 json={"trigger": "add_attachment", "inputs": {"file": file}, "version": body["version"]})
    assert refused(r, 403)["error"] == "not_allowed"
    assert world.s.execute(select(func.count()).select_from(Attachment)).scalar_one() == 0
    world.s.commit()
