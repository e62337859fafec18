"""API tokens have scopes and an expiry, chosen on the account page.

A 「閲覧のみ」 token reads and changes nothing (403 insufficient_scope); a 「閲覧と操作」
token acts too. Every token expires (401 token_expired, saying how to make a new one);
a disabled person's tokens are refused, a new password leaves them working.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from db.models import ApiToken, Proposal
from tests.web.test_api import client, token_for


def _case(world, pid: int) -> tuple[str, int]:
    row = world.s.get(Proposal, pid)
    world.s.refresh(row)
    state, version = row.state, row.version
    world.s.commit()
    return state, version


def _count(world, model) -> int:
    n = world.s.execute(select(func.count()).select_from(model)).scalar_one()
    world.s.commit()
    return n


def test_a_read_only_token_reads_but_changes_nothing(web, world, as_):
    pid = world.new_proposal()
    before, cases = _case(world, pid), _count(world, Proposal)
    api = client(web, token_for(as_, "proposer", scopes="read"))
    r = api.get(f"/api/v1/proposals/{pid}")
    assert r.status_code == 200 and "submit" in {t["trigger"] for t in r.json()["possible_transitions"]}
    version = r.json()["version"]
    refused = [
        api.post("/api/v1/proposals", json={"organisation_id": world.org, "title": "閲覧用トークンから"}),
        api.patch(f"/api/v1/proposals/{pid}", json={"version": version, "purpose": "書き換え"}),
        api.post(f"/api/v1/proposals/{pid}/transitions", json={"trigger": "submit", "inputs": {}, "version": version}),
    ]
    for r in refused:
        assert r.status_code == 403, r.text
        body = r.json()
        assert body["error"] == "insufficient_scope"
        assert "閲覧のみ" in body["message_ja"] and "may only read" in body["message_en"]
        assert "閲覧と操作" in body["hint_ja"] and "/account" in body["hint_en"]
        assert 'error="insufficient_scope"' in r.headers["www-authenticate"]
    assert _case(world, pid) == before and _count(world, Proposal) == cases
    department = client(web, token_for(as_, "department", scopes="read"))
    r = department.post("/api/v1/calls", json={"title": "公募", "selection_criteria": "実績",
                                               "closing_on": "2026-05-06"})
    assert r.status_code == 403 and r.json()["error"] == "insufficient_scope"
    assert department.get("/api/v1/queue").status_code == 200
    assert _count(world, Proposal) == cases


def test_a_read_and_act_token_acts(web, world, as_):
    pid = world.new_proposal()
    api = client(web, token_for(as_, "proposer", scopes="read write", days=30))
    version = api.get(f"/api/v1/proposals/{pid}").json()["version"]
    r = api.patch(f"/api/v1/proposals/{pid}", json={"version": version, "purpose": "川辺を守る"})
    assert r.status_code == 200, r.text
    r = api.post(f"/api/v1/proposals/{pid}/transitions",
                 json={"trigger": "submit", "inputs": {}, "version": version + 1})
    assert r.status_code == 200, r.text
    assert _case(world, pid) == (r.json()["to_state"], version + 2)
    r = api.post("/api/v1/proposals", json={"organisation_id": world.org, "title": "操作できるトークンから"})
    assert r.status_code == 201


def test_a_token_made_with_the_defaults_reads_only_for_90_days(web, world, as_):
    p = as_("proposer")
    form = p.get("/account").text
    assert 'name="scopes" value="read" checked' in form and 'name="days" value="90" checked' in form
    assert "閲覧のみ" in form and "閲覧と操作" in form and "365日" in form
    page = p.post("/account/tokens", {"name": "夜間の集計"})
    assert page.status_code == 200
    token = world.s.execute(select(ApiToken)).scalar_one()
    world.s.commit()
    assert token.scopes == "read" and token.expires_at - token.created_at == timedelta(days=90)
    # The table: what it may do, and when it expires in Japan time (made 令和8年4月6日 09:00).
    row = page.text[page.text.index("夜間の集計</th>"):].split("</tr>")[0]
    assert "閲覧のみ" in row and "令和8年7月5日 09:00" in row and "有効" in row


def test_an_expired_token_is_refused_and_says_how_to_make_a_new_one(web, world, as_):
    pid = world.new_proposal()
    api = client(web, token_for(as_, "proposer", scopes="read write", days=30))
    world.clock.advance(days=29, hours=23)
    assert api.get(f"/api/v1/proposals/{pid}").status_code == 200
    world.clock.advance(hours=1)
    for r in (api.get(f"/api/v1/proposals/{pid}"),
              api.post("/api/v1/proposals", json={"organisation_id": world.org, "title": "期限後"})):
        assert r.status_code == 401, r.text
        body = r.json()
        assert body["error"] == "token_expired"
        assert "有効期限（令和8年5月6日 09:00）が切れています" in body["message_ja"]
        assert body["message_en"] == "This API token expired on 6 May 2026, 09:00 JST."
        assert "新しいトークンを作成" in body["hint_ja"] and "new token" in body["hint_en"]
        assert 'error="invalid_token"' in r.headers["www-authenticate"]
    page = as_("proposer").get("/account").text
    row = page[page.index("連携</th>"):].split("</tr>")[0]
    assert "期限切れ" in row and "/revoke" not in row


def test_an_unknown_scope_or_lifetime_makes_no_token(web, world, as_):
    p = as_("proposer")
    scope, days = "「閲覧のみ」か「閲覧と操作」のどちらかを選んでください。", "有効期間は30日・90日・365日のいずれかを選んでください。"
    bad = [({"scopes": "read write admin"}, scope), ({"scopes": "write"}, scope),
           ({"days": "never"}, days), ({"days": "36500"}, days)]
    for given, message in bad:
        r = p.post("/account/tokens", {"name": "だめ", **given})
        assert r.status_code == 422, given
        assert message in r.text and 'class="token"' not in r.text
    r = p.post("/account/tokens?lang=en", {"name": "bad", "days": "0"})
    assert r.status_code == 422 and "Please choose 30, 90 or 365 days." in r.text
    assert _count(world, ApiToken) == 0


def test_disabling_a_person_revokes_their_tokens_and_a_new_password_keeps_them(web, world, as_):
    pid = world.new_proposal()
    token = token_for(as_, "proposer")
    api = client(web, token)
    p = as_("proposer")
    r = p.post("/account/password", {"current_password": "correct horse battery",
                                     "new_password": "another long passphrase",
                                     "new_password_confirm": "another long passphrase"})
    assert r.status_code == 303
    assert api.get(f"/api/v1/proposals/{pid}").status_code == 200  # an integration's credential, not a browser's
    uid = world["proposer"].user_id
    assert as_("secretariat").post(f"/secretariat/users/{uid}/disable").status_code == 303
    r = api.get(f"/api/v1/proposals/{pid}")
    assert r.status_code == 401 and r.json()["error"] == "unauthorized"
    assert api.post("/api/v1/proposals", json={"organisation_id": world.org, "title": "停止後"}).status_code == 401
    # Enabled again, the person signs in anew; the old token stays revoked.
    assert as_("secretariat").post(f"/secretariat/users/{uid}/enable").status_code == 303
    assert api.get(f"/api/v1/proposals/{pid}").status_code == 401
    assert world.s.execute(select(ApiToken.revoked)).scalars().all() == [True]


def test_the_api_document_says_what_scopes_and_expiry_mean(web):
    spec = client(web, None).get("/openapi.json").json()
    scheme = spec["components"]["securitySchemes"]["bearer"]["description"]
    assert "`read write`" in scheme and "insufficient_scope" in scheme and "token_expired" in scheme
    assert "30, 90 or 365 days" in scheme
    patch = spec["paths"]["/api/v1/proposals/{pid}"]["patch"]
    assert patch["security"] == [{"bearer": ["write"]}]
    assert "insufficient_scope" in patch["responses"]["403"]["description"]
    assert "token_expired" in patch["responses"]["401"]["description"]
