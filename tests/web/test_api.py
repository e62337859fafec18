"""The JSON API: bearer tokens, proposals, transitions with their 409/422/403, queue, public data."""

from __future__ import annotations

import hashlib
import re

from fastapi.testclient import TestClient
from sqlalchemy import select

from db.models import ApiToken
from tests.support import SCORES


def token_for(as_, who: str, scopes: str = "read write", days: int = 365) -> str:
    """A token made on the account page; by default one that may act, for the longest time offered."""
    page = as_(who).post("/account/tokens", {"name": "連携", "scopes": scopes, "days": str(days)})
    assert page.status_code == 200, page.text[:500]
    return re.search(r'<code class="token">([^<]+)</code>', page.text).group(1)


def client(web, token: str | None) -> TestClient:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return TestClient(web, headers=headers)


def test_tokens_are_stored_only_as_sha256(web, world, as_):
    token = token_for(as_, "proposer")
    stored = world.s.execute(select(ApiToken.token_hash)).scalar_one()
    world.s.commit()
    assert stored == hashlib.sha256(token.encode()).hexdigest() and token not in stored
    assert client(web, None).get("/api/v1/proposals/1").status_code == 401
    assert client(web, "kyd_wrong").get("/api/v1/proposals/1").status_code == 401


def test_a_group_creates_reads_and_updates_its_draft(web, world, as_):
    api = client(web, token_for(as_, "proposer"))
    r = api.post("/api/v1/proposals", json={"organisation_id": world.org, "title": "APIからの提案", "field": 2})
    assert r.status_code == 201, r.text
    body = r.json()
    pid, version = body["id"], body["version"]
    assert body["state"] == "draft" and body["state_label_ja"] == "下書き"
    assert body["lifecycle"] == "citizen_proposal" and body["applications"] is None
    possible = {t["trigger"] for t in body["possible_transitions"]}
    assert "withdraw" in possible and "submit" not in possible  # the proposal is not complete yet
    [blocked] = [b for b in body["blocked_transitions"] if b["trigger"] == "submit"]
    assert blocked["reasons"][0]["condition"] == "proposal_complete" and "未記入" in blocked["reasons"][0]["message_ja"]
    r = api.patch(f"/api/v1/proposals/{pid}", json={"version": version, "purpose": "川辺を守る"})
    assert r.status_code == 200 and r.json()["purpose"] == "川辺を守る"
    r = api.patch(f"/api/v1/proposals/{pid}", json={"version": version, "purpose": "古い版から"})
    assert r.status_code == 409 and r.json()["current_version"] == version + 1
    r = api.patch(f"/api/v1/proposals/{pid}", json={"version": version + 1, "content": "月1回の清掃",
                                                      "proposed_roles": "団体：清掃／市：広報"})
    assert r.status_code == 200 and "submit" in {t["trigger"] for t in r.json()["possible_transitions"]}
    assert "submit" not in {b["trigger"] for b in r.json()["blocked_transitions"]}
    other = client(web, token_for(as_, "outsider"))
    assert other.get(f"/api/v1/proposals/{pid}").status_code == 404
    r = other.post("/api/v1/proposals", json={"organisation_id": world.org, "title": "なりすまし"})
    assert r.status_code == 403


def test_transitions_answer_409_422_and_403(web, world, as_):
    pid = world.new_proposal()
    world.to_under_review(pid)
    version = client(web, token_for(as_, "reviewer1")).get(f"/api/v1/proposals/{pid}").json()["version"]
    reviewer = client(web, token_for(as_, "reviewer1"))
    r = reviewer.post(f"/api/v1/proposals/{pid}/transitions",
                      json={"trigger": "submit_review", "inputs": {"score_technique": 4}, "version": version})
    assert r.status_code == 422
    assert set(r.json()["missing"]) == {"score_expertise", "score_quality", "score_capability", "review_comment"}
    r = reviewer.post(f"/api/v1/proposals/{pid}/transitions",
                      json={"trigger": "submit_review", "inputs": SCORES, "version": version - 1})
    assert r.status_code == 409 and r.json()["current_version"] == version
    secretariat = client(web, token_for(as_, "secretariat"))
    r = secretariat.post(f"/api/v1/proposals/{pid}/transitions",
                         json={"trigger": "submit_review", "inputs": SCORES, "version": version})
    assert r.status_code == 403 and r.json()["allowed_roles"] == ["reviewer"]
    r = reviewer.post(f"/api/v1/proposals/{pid}/transitions",
                      json={"trigger": "submit_review", "inputs": SCORES, "version": version})
    assert r.status_code == 200 and r.json()["version"] == version + 1


def test_the_reviewer_queue_in_pages(web, world, as_):
    ids = []
    for n in range(5):
        pid = world.new_proposal(title=f"提案{n}")
        world.to_under_review(pid)
        ids.append(pid)
        world.clock.advance(days=1)
    api = client(web, token_for(as_, "reviewer1"))
    first = api.get("/api/v1/queue", params={"limit": 2, "with_total": "true"}).json()
    assert first["role"] == "reviewer" and first["total"] == 5 and [i["id"] for i in first["items"]] == ids[:2]
    second = api.get("/api/v1/queue", params={"limit": 2, "cursor": first["next_cursor"]}).json()
    assert second["total"] is None
    third = api.get("/api/v1/queue", params={"limit": 2, "cursor": second["next_cursor"]}).json()
    assert [i["id"] for i in second["items"] + third["items"]] == ids[2:] and third["next_cursor"] is None
    assert client(web, token_for(as_, "proposer")).get("/api/v1/queue").status_code == 403


def test_public_data_and_openapi(web, world):
    pid = world.new_proposal(title="公開される事業", content="非公開の内容", confidential_fields=["content"])
    world.to_closed(pid)
    draft = world.new_proposal(title="下書きの事業")
    anonymous = TestClient(web)
    projects = anonymous.get("/api/v1/public/projects").json()["projects"]
    assert [p["title"] for p in projects] == ["公開される事業"]
    assert projects[0]["content"] is None and projects[0]["results"]
    assert "非公開の内容" not in anonymous.get("/api/v1/public/projects").text
    spec = anonymous.get("/openapi.json").json()
    assert {"/api/v1/proposals", "/api/v1/proposals/{pid}/transitions", "/api/v1/queue",
            "/api/v1/public/projects"} <= set(spec["paths"])
    assert all(path.startswith("/api/") for path in spec["paths"])
    assert draft
