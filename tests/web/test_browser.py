"""The main story in a real browser (Debian's Chromium driven by Playwright).

A group registers and submits; the secretariat assigns reviewers and the department; a
reviewer reviews from the queue; the department coordinates and refers; the approver
cannot decide without reasons, then decides with them; the group sees the decision and
its notice; the public sees the project report. Screenshots of the key pages go to
``tests/artifacts/screenshots/``. Without Chromium the test is skipped, except under
CI=true, where it fails.
"""

from __future__ import annotations

from functools import partial

import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import IN_CI
from tests.web.conftest import PASSWORD

SHOTS = Path(__file__).resolve().parents[1] / "artifacts" / "screenshots"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


def need_chromium() -> str:
    path = shutil.which("chromium")
    problem = None if path else "chromium is not installed"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:
        problem = f"playwright is not importable: {exc}"
    if problem:
        if IN_CI:
            pytest.fail(f"CI=true but {problem}", pytrace=False)
        pytest.skip(problem)
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(web):
    import uvicorn

    port = free_port()
    config = uvicorn.Config(web, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    end = time.monotonic() + 20
    while not srv.started and time.monotonic() < end:
        time.sleep(0.05)
    assert srv.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def browser():
    path = need_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, args=ARGS)
        yield b
        b.close()


@pytest.mark.slow
@pytest.mark.parametrize("db_engine", ["sqlite"], indirect=True)
def open_page(browser, server: str, login: str | None = None, width: int = 1280, height: int = 900):
    """A browser window of its own, signed in as ``login`` when given."""
    page = browser.new_context(viewport={"width": width, "height": height}, locale="ja-JP").new_page()
    page.set_default_timeout(15_000)
    if login:
        page.goto(f"{server}/login")
        page.fill("#login", login)
        page.fill("#password", PASSWORD)
        page.click("form.card button.primary")
        page.wait_for_load_state()
    return page


def press(page, trigger: str) -> None:
    """Press the button of a transition on a case page."""
    page.click(f"button[name=trigger][value={trigger}]")
    page.wait_for_load_state()


def test_main_story_in_the_browser(server, browser, world):
    SHOTS.mkdir(parents=True, exist_ok=True)
    person = partial(open_page, browser, server)

    # The group registers and writes its proposal.
    group = person()
    group.goto(f"{server}/register")
    group.fill("#org_name", "ひかり地域食堂の会")
    group.select_option("#kind", "voluntary_group")
    group.fill("#representative_name", "青木 ひかり")
    for field, value in (("login", "aoki"), ("name", "青木 ひかり"), ("email", "aoki@example.jp"),
                         ("password", "a long enough pass"), ("password_confirm", "a long enough pass")):
        group.fill(f"#p-{field}", value)
    group.click("form.card button.primary")
    group.wait_for_url(f"{server}/portal")
    group.click("a[href^='/proposals/new']")
    group.fill("#f-title", "地域食堂での多世代交流")
    group.select_option("#f-field", "1")
    group.fill("#f-purpose", "高齢者と子どもが一緒に食卓を囲み、地域のつながりを取り戻す。")
    group.fill("#f-content", "毎月第2土曜日に公民館で食堂を開き、昔遊びの会を併せて行う。")
    group.fill("#f-proposed_roles", "会：食堂の運営と食材の調達／市：会場の確保と広報")
    group.fill("#f-estimated_cost_yen", "300000")
    group.click("form.editor button.primary")
    group.wait_for_load_state()
    pid = int(group.url.rstrip("/").rsplit("/", 1)[1])
    press(group, "submit")
    assert "受付" in group.inner_text(".meta")
    group.goto(f"{server}/portal")
    group.screenshot(path=str(SHOTS / "01-portal.png"), full_page=True)

    # The secretariat assigns reviewers and the department.
    secretariat = person("s")
    secretariat.goto(f"{server}/proposals/{pid}")
    for who in ("reviewer1", "reviewer2"):
        secretariat.check(f"input[name=reviewer_ids][value='{world[who].user_id}']")
    secretariat.select_option("select[name=department_id]", str(world.dept))
    press(secretariat, "start_review")
    assert "審査中" in secretariat.inner_text(".meta")

    # Each reviewer reviews from the queue.
    for login in ("r1", "r2"):
        reviewer = person(login)
        reviewer.goto(f"{server}/queue")
        if login == "r1":
            reviewer.screenshot(path=str(SHOTS / "02-queue.png"), full_page=True)
        reviewer.click("text=地域食堂での多世代交流")
        reviewer.wait_for_url(f"{server}/proposals/{pid}/review")
        for criterion in ("score_technique", "score_expertise", "score_quality", "score_capability"):
            reviewer.check(f"input[name={criterion}][value='4']")
        reviewer.fill("textarea[name=review_comment]", "地域の課題に即しており、実施体制も妥当です。")
        press(reviewer, "submit_review")
        reviewer.wait_for_url(f"{server}/queue")
        assert "地域食堂での多世代交流" not in reviewer.content()
    secretariat.goto(f"{server}/proposals/{pid}")
    press(secretariat, "finish_review")

    # The department coordinates and refers it for decision.
    department = person("d")
    department.goto(f"{server}/queue")
    department.click("text=地域食堂での多世代交流")
    department.fill("textarea[name=note]", "公民館の利用日程を団体と確認しました。")
    press(department, "log_coordination")
    department.fill("textarea[name=department_opinion]", "地域福祉計画と合致し、採用が適当です。")
    press(department, "refer_for_decision")
    assert "決裁待ち" in department.inner_text(".meta")

    # The approver cannot decide without reasons; then decides with them.
    approver = person("a")
    approver.goto(f"{server}/queue")
    approver.click("text=地域食堂での多世代交流")
    approver.wait_for_url(f"{server}/proposals/{pid}/decision")
    approver.screenshot(path=str(SHOTS / "03-decision-form.png"), full_page=True)
    approver.click("button[name=trigger][value=adopt]")
    assert approver.url == f"{server}/proposals/{pid}/decision"  # the browser held it back
    assert approver.eval_on_selector("textarea[name=reasons]", "el => !el.checkValidity()")
    assert "決裁待ち" in approver.inner_text(".meta")
    approver.fill("textarea[name=reasons]", "多世代の交流による地域のつながりづくりに資し、審査員の評価も高いため。")
    press(approver, "adopt")
    assert "協働契約準備中" in approver.inner_text(".meta")

    # The group sees the decision and its notice.
    group.goto(f"{server}/proposals/{pid}")
    assert "多世代の交流による地域のつながりづくりに資し" in group.inner_text(".decision")
    notices = group.inner_text("section[aria-labelledby=notices-title]")
    assert "提案について（通知）" in notices or "採否の決定通知" in notices
    group.click("section[aria-labelledby=notices-title] details:first-of-type summary")
    group.screenshot(path=str(SHOTS / "04-case-decided.png"), full_page=True)

    phone = person(None, width=390, height=844)
    phone.goto(f"{server}/public/proposals/{pid}")
    assert "1 協働契約の相手方" in phone.content() and "ひかり地域食堂の会" in phone.content()
    phone.screenshot(path=str(SHOTS / "05-public-report-phone.png"), full_page=True)


@pytest.mark.slow
@pytest.mark.parametrize("db_engine", ["sqlite"], indirect=True)
def test_a_call_for_partners_in_the_browser(server, browser, world):
    """Article 9: a department writes and opens a call, a group applies, reviewers score it, the approver selects."""
    from datetime import date

    SHOTS.mkdir(parents=True, exist_ok=True)

    person = partial(open_page, browser, server)
    department = person("d")
    department.goto(f"{server}/calls/new")
    department.fill("#f-title", "公園の花壇を地域で育てる協働事業")
    department.select_option("#f-field", "2")
    department.fill("#f-purpose", "公園の花壇を住民と育て、憩いの場をつくる。")
    department.fill("#f-content", "季節ごとの植え替えと水やり当番の運営。")
    department.fill("#f-selection_criteria", "園芸の経験と、近隣住民を巻き込む力")
    department.fill("#f-closing_on", "2026-04-30")
    department.click("form.editor button.primary")
    department.wait_for_load_state()
    pid = int(department.url.rstrip("/").rsplit("/", 1)[1])
    press(department, "open_call")
    assert "公募中" in department.inner_text(".meta")

    group = person("p")
    group.goto(f"{server}/portal")
    group.click("text=公園の花壇を地域で育てる協働事業")
    group.select_option("#submit_application-organisation_id", str(world.org))
    group.fill("#submit_application-application_summary", "園芸ボランティア20名で花壇を管理します。")
    press(group, "submit_application")
    assert "園芸ボランティア20名" in group.content()

    world.clock.advance_to_date(date(2026, 5, 7))  # after the closing date
    department.reload()
    for who in ("reviewer1", "reviewer2"):
        department.check(f"input[name=reviewer_ids][value='{world[who].user_id}']")
    press(department, "close_applications")
    assert "選定審査中" in department.inner_text(".meta")

    for login in ("r1", "r2"):
        reviewer = person(login)
        reviewer.goto(f"{server}/proposals/{pid}/review")
        reviewer.select_option("#review_application-application_id", index=1)
        for criterion in ("score_technique", "score_expertise", "score_quality", "score_capability"):
            reviewer.check(f"input[name={criterion}][value='4']")
        reviewer.fill("#review_application-review_comment", "経験が豊富で、体制も妥当です。")
        press(reviewer, "review_application")
        assert "選べる「応募」がありません" in reviewer.content()

    department.reload()
    department.fill("#refer_for_selection-department_opinion", "みどりの会の選定が適当です。")
    press(department, "refer_for_selection")

    approver = person("a")
    approver.goto(f"{server}/proposals/{pid}/decision")
    approver.select_option("#select-selected_application_id", index=1)
    approver.fill("#select-reasons", "園芸の経験と地域の体制が選定基準に合うため。")
    approver.screenshot(path=str(SHOTS / "06-call-selection.png"), full_page=True)
    press(approver, "select")
    assert "協働契約準備中" in approver.inner_text(".meta")
    assert "みどりの会" in approver.inner_text(".meta")
