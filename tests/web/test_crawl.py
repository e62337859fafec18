"""Every page a role can reach from its home page in `kyodo serve --demo`, followed link by
link, answers without a server error — both lifecycles seeded, every role logged in."""

from __future__ import annotations

import re
from collections import deque
from urllib.parse import urljoin, urlsplit

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import demo_login

LINK = re.compile(r'href="([^"#]+)')
# Pages that end the session or only download a file: fetched, never followed further.
LEAVES = ("/logout", "/attachments/", ".csv", ".json", ".xlsx")
MAX_PAGES_PER_ROLE = 600


def crawl(c: TestClient, start: str) -> tuple[dict[str, int], set[str]]:
    """Status of every same-site page reachable by links from ``start``, and the case pages seen."""
    seen: dict[str, int] = {}
    queue = deque([start])
    while queue and len(seen) < MAX_PAGES_PER_ROLE:
        url = queue.popleft()
        if url in seen:
            continue
        r = c.get(url)
        seen[url] = r.status_code
        if r.status_code in (301, 302, 303, 307) and "location" in r.headers:
            queue.append(urljoin(url, r.headers["location"]))
            continue
        if any(leaf in url for leaf in LEAVES) or "text/html" not in r.headers.get("content-type", ""):
            continue
        for href in LINK.findall(r.text):
            target = urljoin(url, href.replace("&amp;", "&"))
            parts = urlsplit(target)
            if parts.netloc not in ("", "testserver") or not parts.path.startswith("/"):
                continue
            local = parts.path + (f"?{parts.query}" if parts.query else "")
            if local not in seen:
                queue.append(local)
    cases = {u for u in seen if re.fullmatch(r"/proposals/\d+", u)}
    return seen, cases


@pytest.mark.slow
def test_every_page_every_role_reaches_answers_without_a_server_error(demo_app):
    app, logins = demo_app
    from db.session import new_session
    from db.models import Proposal
    from sqlalchemy import select

    with new_session() as s:
        lifecycle_of = dict(s.execute(select(Proposal.id, Proposal.lifecycle)).all())
    assert set(lifecycle_of.values()) >= {"citizen_proposal", "city_call"}, "the demo seeds both lifecycles"
    reached_lifecycles: set[str] = set()
    for login, _, _ in logins:
        c, home = demo_login(app, login)
        seen, cases = crawl(c, home)
        errors = {u: code for u, code in seen.items() if code >= 500}
        assert not errors, f"{login}: {errors}"
        assert len(seen) > 3, f"{login} reached almost nothing: {sorted(seen)}"
        reached_lifecycles |= {lifecycle_of[int(u.rsplit('/', 1)[1])] for u in cases if int(u.rsplit('/', 1)[1]) in lifecycle_of}
    anonymous = TestClient(app, follow_redirects=False)
    seen, _ = crawl(anonymous, "/")
    assert not {u: code for u, code in seen.items() if code >= 500}
    assert reached_lifecycles == {"citizen_proposal", "city_call"}, "staff reach cases of both lifecycles"
