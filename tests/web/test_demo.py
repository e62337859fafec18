"""`kyodo serve --demo`: the stories plus open cases and calls leave every role something to do."""

from __future__ import annotations

import pytest

from tests.web.conftest import demo_login


@pytest.mark.slow
def test_demo_gives_every_role_work_and_a_login(demo_app):
    from cli import web as serve_module

    app, logins = demo_app
    calls = [title for title, *_ in serve_module.OPEN_CALLS]
    for login, _, _ in logins:
        c, home_url = demo_login(app, login)
        home = c.get(home_url)
        assert home.status_code == 200
        if login in ("ito", "env", "kobayashi"):
            assert "/proposals/" in home.text, f"{login} has nothing waiting"
        if login == "tanaka":
            assert "受付" in home.text
        # Both lifecycles from the first page: every role meets a city's call too.
        assert any(title in home.text for title in calls), f"{login} sees no call for partners"
