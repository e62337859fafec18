"""`kyodo serve --demo`: the stories plus open cases and calls leave every role something to do."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient


@pytest.mark.slow
def test_demo_gives_every_role_work_and_a_login(monkeypatch, tmp_path):
    import re

    from config import get_settings
    from db.session import get_engine
    from web.settings import get_web_settings

    import os

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

        app = create_app()
        calls = [title for title, *_ in serve_module.OPEN_CALLS]
        for login, _, _ in serve_module.LOGINS:
            c = TestClient(app, follow_redirects=False)
            token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text).group(1)
            r = c.post("/login", data={"login": login, "password": "demo-password-1", "csrf_token": token})
            assert r.status_code == 303, login
            home = c.get(r.headers["location"])
            assert home.status_code == 200
            if login in ("ito", "env", "kobayashi"):
                assert "/proposals/" in home.text, f"{login} has nothing waiting"
            if login == "tanaka":
                assert "受付" in home.text
            # Both lifecycles from the first page: every role meets a city's call too.
            assert any(title in home.text for title in calls), f"{login} sees no call for partners"
            for link in sorted(set(re.findall(r'href="(/proposals/\d+)"', home.text))):
                assert c.get(link).status_code < 500, (login, link)
        get_engine().dispose()
    finally:
        import os

        for name in ("KYODO_VAR_DIR", "KYODO_DATABASE_URL", "KYODO_MAIL_TRANSPORT"):
            if name not in before:  # set by the demo itself, not by the person running the tests
                os.environ.pop(name, None)
        get_settings.cache_clear()
        get_engine.cache_clear()
        get_web_settings.cache_clear()
        from notifications.celery_app import reconfigure

        reconfigure(get_settings())
