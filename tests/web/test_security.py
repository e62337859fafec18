"""Security as a visitor meets it: CSRF, cookies, rate limits, uploads, escaping, isolation."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from db.models import Attachment, LoginAttempt
from tests.conftest import REDIS_URL, need_service
from tests.web.conftest import PASSWORD, Visitor, web_settings
from tests.web.test_paths import PDF, version_of
from web.app import create_app
from web.uploads import sniff


def test_every_form_needs_the_session_csrf_token(web, world, as_):
    pid = world.new_proposal()
    world.to_awaiting_decision(pid)
    a = as_("approver")
    r = a.client.post(f"/proposals/{pid}/actions", data={"trigger": "adopt", "reasons": "理由",
                                                         "version": str(version_of(world, pid))})
    assert r.status_code == 403 and "フォームの有効期限が切れたか" in r.text
    r = a.client.post(f"/proposals/{pid}/actions", data={"trigger": "adopt", "reasons": "理由", "csrf_token": "forged",
                                                         "version": str(version_of(world, pid))})
    assert r.status_code == 403
    assert Visitor(web).client.post("/login", data={"login": "p", "password": PASSWORD}).status_code == 403


def test_session_cookie_is_httponly_samesite_and_secure_under_https(web, world):
    v = Visitor(web)
    cookie = v.login("p").headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    from fastapi.testclient import TestClient

    https = TestClient(web, base_url="https://testserver", follow_redirects=False)
    token = re.search(r'name="csrf_token" value="([^"]+)"', https.get("/login").text).group(1)
    r = https.post("/login", data={"login": "p", "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 303 and "Secure" in r.headers["set-cookie"]


def test_a_forged_or_tampered_session_is_no_session(web, world):
    v = Visitor(web)
    v.login("p")
    value = v.client.cookies.get("kyodo_session")
    # Replaced, not added beside the real one (a second cookie of the same name would be sent too).
    v.client.cookies.delete("kyodo_session")
    v.client.cookies.set("kyodo_session", value[:-3] + "AAA")
    assert len(v.client.cookies.jar) == 1
    assert v.get("/portal").status_code == 303


def test_changing_the_password_ends_other_sessions(web, world, as_):
    first, second = as_("proposer"), as_("proposer")
    r = first.post("/account/password", {"current_password": PASSWORD, "new_password": "a brand new secret",
                                          "new_password_confirm": "a brand new secret"})
    assert r.status_code == 303
    assert first.get("/portal").status_code == 200
    assert second.get("/portal").status_code == 303  # to the login page


def test_failed_logins_slow_the_address_down_with_growing_delays(web, world):
    v = Visitor(web)
    for _ in range(5):  # typing mistakes cost nothing
        assert v.login("p", "not the password").status_code == 401
    r = v.login("p", PASSWORD)  # from this address, even the right password waits now
    assert r.status_code == 429 and r.headers["Retry-After"] == "1" and "1秒ほど" in r.text
    waits = []
    for _ in range(4):
        world.clock.advance(seconds=int(r.headers["Retry-After"]))
        assert v.login("p", "still not it").status_code == 401
        r = v.login("p", PASSWORD)
        assert r.status_code == 429
        waits.append(int(r.headers["Retry-After"]))
    assert waits == [2, 4, 8, 16]
    attempts = world.s.execute(select(LoginAttempt).where(LoginAttempt.login == "p")).scalars().all()
    world.s.commit()
    assert len(attempts) == 9 and not any(a.success for a in attempts)  # refused attempts are not counted
    world.clock.advance(seconds=16)
    assert v.login("p", PASSWORD).status_code == 303
    v2 = Visitor(web)  # a success cleared the count of this name from this address
    assert v2.login("p", "wrong again!").status_code == 401
    assert v2.login("p", PASSWORD).status_code == 303


def test_the_delay_is_capped(world, db_engine, tmp_path):
    from tests.web.conftest import _hashed
    from sqlalchemy import update
    from db.models import User

    world.s.execute(update(User).values(password_hash=_hashed()))
    world.s.commit()
    app = create_app(engine=db_engine, clock=world.clock, settings=world.settings,
                     web_settings=web_settings(tmp_path, login_max_failures=1, login_window_seconds=10))
    v = Visitor(app)
    for _ in range(12):
        assert v.login("p", "wrong wrong").status_code == 401
        world.clock.advance(seconds=10)
    world.clock.advance(seconds=-10)
    r = v.login("p", PASSWORD)
    assert r.status_code == 429 and int(r.headers["Retry-After"]) == 10
    world.clock.advance(seconds=10)
    assert v.login("p", PASSWORD).status_code == 303


@pytest.mark.redis
def test_login_delays_live_in_redis_when_configured(world, db_engine, tmp_path):
    def probe(url):
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=2).ping()

    need_service("redis", REDIS_URL, probe)
    import redis

    from web.ratelimit import RedisLimiter

    r = redis.Redis.from_url(REDIS_URL)
    for key in (*RedisLimiter.keys("p", "192.0.2.10"), *RedisLimiter.keys("p", "192.0.2.20")):
        r.delete(key)
    from tests.web.conftest import _hashed
    from sqlalchemy import update
    from db.models import User

    world.s.execute(update(User).values(password_hash=_hashed()))
    world.s.commit()
    app = create_app(engine=db_engine, clock=world.clock, settings=world.settings,
                     web_settings=web_settings(tmp_path, redis_url=REDIS_URL, login_max_failures=3))
    attacker, owner = Visitor(app, "192.0.2.10"), Visitor(app, "192.0.2.20")
    for _ in range(3):
        assert attacker.login("p", "nope nope nope").status_code == 401
    assert attacker.login("p", PASSWORD).status_code == 429
    assert owner.login("p", PASSWORD).status_code == 303  # the owner elsewhere is never held back
    pair, by_ip = RedisLimiter.keys("p", "192.0.2.10")
    assert r.hget(pair, "n") == b"3" and r.hget(by_ip, "n") == b"3" and 0 < r.ttl(pair) <= 24 * 3600
    assert world.s.execute(select(LoginAttempt)).first() is None  # nothing kept in the database
    world.s.commit()
    world.clock.advance(seconds=1)
    assert attacker.login("p", PASSWORD).status_code == 303
    assert r.exists(pair) == 0  # the success cleared its own count


def test_user_text_is_escaped_everywhere(web, world, as_):
    pid = world.new_proposal(title='<script>alert("x")</script>', purpose="<b>太字</b>")
    world.to_awaiting_decision(pid)
    page = as_("approver").get(f"/proposals/{pid}")
    assert "<script>alert" not in page.text and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page.text
    assert "<b>太字</b>" not in page.text
    assert "script-src 'none'" in page.headers["content-security-policy"]


def test_uploads_are_checked_by_content_and_size(web, world, as_):
    pid = world.new_proposal()
    p = as_("proposer")

    def upload(name, data):
        return p.client.post(f"/proposals/{pid}/attachments", data={"csrf_token": p.csrf()},
                             files={"file": (name, data, "application/octet-stream")})

    assert upload("plan.exe", b"MZ\x90\x00").status_code == 303
    assert upload("plan.pdf", b"<html>not a pdf</html>").status_code == 303
    assert upload("big.pdf", PDF + b"0" * (1024 * 1024)).status_code == 303
    assert upload("huge.pdf", PDF + b"0" * (2 * 1024 * 1024)).status_code == 413  # refused before reading
    assert upload("ok.pdf", PDF).status_code == 303
    names = world.s.execute(select(Attachment.filename)).scalars().all()
    world.s.commit()
    assert names == ["ok.pdf"]


def test_office_documents_are_recognised_by_their_insides(tmp_path):
    import io
    import zipfile

    def make(entries):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as z:
            for name, data in entries.items():
                z.writestr(name, data)
        path = tmp_path / "f.zip"
        path.write_bytes(buffer.getvalue())
        return buffer.getvalue()[:16], path

    assert sniff(*make({"[Content_Types].xml": "x", "word/document.xml": "x"})) == "docx"
    assert sniff(*make({"[Content_Types].xml": "x", "xl/workbook.xml": "x"})) == "xlsx"
    assert sniff(*make({"mimetype": "application/vnd.oasis.opendocument.text"})) == "odt"
    assert sniff(*make({"evil.sh": "x"})) is None


def test_attachments_are_never_shown_to_another_group(web, world, as_):
    pid = world.new_proposal()
    p = as_("proposer")
    p.client.post(f"/proposals/{pid}/attachments", data={"csrf_token": p.csrf()},
                  files={"file": ("plan.pdf", PDF, "application/pdf")})
    aid = world.s.execute(select(Attachment.id)).scalar_one()
    world.s.commit()
    r = p.get(f"/attachments/{aid}")
    assert r.status_code == 200 and r.content == PDF and "attachment;" in r.headers["content-disposition"]
    for who in ("outsider", "secretariat", "reviewer1"):  # a draft is the group's alone
        assert as_(who).get(f"/attachments/{aid}").status_code == 404
    assert Visitor(web).get(f"/attachments/{aid}").status_code == 303
    world.do(pid, "submit", "proposer")
    assert as_("secretariat").get(f"/attachments/{aid}").status_code == 200
    assert as_("outsider").get(f"/attachments/{aid}").status_code == 404


def test_healthz_reports_database_and_broker(web):
    r = Visitor(web).get("/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok", "database": "ok", "broker": "ok"}


def test_no_open_redirect_after_login(web, world):
    v = Visitor(web)
    r = v.post("/login", {"login": "p", "password": PASSWORD, "next": "//evil.example/"})
    assert r.headers["location"] == "/portal"


def test_production_refuses_the_development_secret():
    from pydantic import ValidationError

    from web.settings import WebSettings

    with pytest.raises(ValidationError):
        WebSettings(env="production")
    assert WebSettings(env="production", secret_key="x" * 40).env == "production"
