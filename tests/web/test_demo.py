"""`kyodo serve --demo`: the stories plus open cases and calls leave every role something to do."""

from __future__ import annotations

from datetime import datetime

import pytest
from fastapi.testclient import TestClient

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


@pytest.mark.slow
def test_the_demo_round_is_public_and_its_results_from_the_publication_date(demo_app):
    from cli.demo_stories import ROUND, ROUND_PUBLICATION
    from web.app import create_app
    from workflow.calendar.clock import JST, MovableClock

    app, _ = demo_app
    code = ROUND["code"]
    page = TestClient(app).get(f"/public/rounds/{code}")
    assert page.status_code == 200
    assert "令和9年度 協働事業提案の募集" in page.text and "水辺と緑を市民の手で守る" in page.text

    def on(day: int) -> TestClient:
        moment = datetime(ROUND_PUBLICATION.year, ROUND_PUBLICATION.month, day, 9, tzinfo=JST)
        return TestClient(create_app(clock=MovableClock(moment)))

    assert on(ROUND_PUBLICATION.day - 1).get(f"/public/rounds/{code}/results").status_code == 404
    results = on(ROUND_PUBLICATION.day).get(f"/public/rounds/{code}/results")
    assert results.status_code == 200
    adopted, _, not_adopted = results.text.partition('id="not-adopted-title"')
    for title in ("鶴見川流域の水辺の生き物マップづくり", "こども食堂を核にした多世代の居場所"):
        assert title in adopted, title
    assert "空き家を活かした地域サロン" in not_adopted
    assert "89.3" in adopted and "52.0" in not_adopted  # the panel's means, out of 100
    # Never the panel members' names; never the proposal refused after the close.
    for hidden in ("伊藤", "渡辺", "加藤", "放課後の学び合いスペース"):
        assert hidden not in results.text, hidden
