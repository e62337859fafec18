"""The web app on a fresh database per test (SQLite, and PostgreSQL when configured).

``web`` is the app built on the engine tests' ``world`` (its people, clock and settings);
``Visitor`` is one browser-like client that logs in and sends forms with the session's
CSRF token, as a person's browser would.
"""

from __future__ import annotations

import os
import re

import pytest
from fastapi.testclient import TestClient

from config import Settings
from web.app import create_app
from functools import lru_cache

from sqlalchemy import update

from db.models import User
from workflow.accounts import hash_password
from web.settings import WebSettings

PASSWORD = "correct horse battery"
LOGINS = {"proposer": "p", "outsider": "o", "secretariat": "s", "reviewer1": "r1", "reviewer2": "r2",
          "reviewer3": "r3", "member_reviewer": "r4", "department": "d", "other_department": "d2",
          "approver": "a", "admin": "admin"}
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def web_settings(tmp_path, **overrides) -> WebSettings:
    values = dict(env="test", secret_key="t" * 48, var_dir=tmp_path / "var", attachment_dir=tmp_path / "attachments",
                  redis_url="", broker_url="", max_upload_bytes=1024 * 1024)
    values.update(overrides)
    return WebSettings(**values)


@lru_cache
def _hashed() -> str:
    return hash_password(PASSWORD)  # argon2 is slow on purpose; once per run is enough


@pytest.fixture
def web(world, db_engine, tmp_path):
    world.s.execute(update(User).values(password_hash=_hashed()))
    world.s.commit()
    settings = Settings(required_reviews=2, var_dir=tmp_path / "var")
    settings.var_dir.mkdir(parents=True, exist_ok=True)  # where the embedded broker lives
    world.settings = settings
    return create_app(engine=db_engine, clock=world.clock, settings=settings, web_settings=web_settings(tmp_path))


class Visitor:
    def __init__(self, app, address: str = "testclient"):
        # ``address``: where the browser connects from (login limits count per address).
        self.client = TestClient(app, follow_redirects=False, client=(address, 50000))
        self._csrf: str | None = None

    def csrf(self) -> str:
        if self._csrf is None:
            page = self.client.get("/login")  # anonymous: the login form; signed in: a redirect
            if page.status_code != 200:
                page = self.client.get("/public")  # the logout form carries the token
            self._csrf = CSRF.search(page.text).group(1)
        return self._csrf

    def get(self, path: str, **kw):
        return self.client.get(path, **kw)

    def post(self, path: str, data: dict | None = None, **kw):
        body = {"csrf_token": self.csrf(), **(data or {})}
        return self.client.post(path, data=body, **kw)

    def login(self, login: str, password: str = PASSWORD):
        response = self.post("/login", {"login": login, "password": password})
        self._csrf = None  # a new session has a new token
        return response

    def follow(self, response):
        assert response.status_code == 303, (response.status_code, response.text[:2000])
        return self.client.get(response.headers["location"])


@pytest.fixture
def visitor(web):
    return lambda: Visitor(web)


@pytest.fixture
def as_(web):
    """``as_("approver")``: a visitor logged in as one of the world's people."""

    def make(who: str) -> Visitor:
        v = Visitor(web)
        r = v.login(LOGINS[who])
        assert r.status_code == 303, r.text[:500]
        return v

    return make


# --- `kyodo serve --demo`: the seeded city, every role able to log in


@pytest.fixture
def demo_app(monkeypatch, tmp_path):
    from config import get_settings
    from db.session import get_engine
    from web.settings import get_web_settings

    for name in ("KYODO_BROKER_URL", "KYODO_DATABASE_URL", "KYODO_REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    before = set(os.environ)
    monkeypatch.setattr("tempfile.mkdtemp", lambda prefix="": str(tmp_path / "demo"))
    (tmp_path / "demo").mkdir()
    from cli import web as serve_module

    try:
        serve_module._fresh_demo_environment()
        serve_module._demo("demo-password-1")
        from web.app import create_app

        yield create_app(), serve_module.LOGINS
        get_engine().dispose()
    finally:
        for name in ("KYODO_VAR_DIR", "KYODO_DATABASE_URL", "KYODO_MAIL_TRANSPORT"):
            if name not in before:
                os.environ.pop(name, None)
        get_settings.cache_clear()
        get_engine.cache_clear()
        get_web_settings.cache_clear()
        from notifications.celery_app import reconfigure

        reconfigure(get_settings())


def demo_login(app, login: str) -> tuple[TestClient, str]:
    c = TestClient(app, follow_redirects=False)
    token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text).group(1)
    r = c.post("/login", data={"login": login, "password": "demo-password-1", "csrf_token": token})
    assert r.status_code == 303, login
    return c, r.headers["location"]
