"""A whole proposal round (募集) in a real browser (Debian's Chromium driven by Playwright).

The secretariat declares a theme round for FY2027 (令和9年度) whose theme runs in FY2028, adds
its criteria and publishes it; the public reads it; three groups ask for a prior consultation
and the secretariat records each; two groups submit inside the window, the third's submission
after the close is refused; the reviewers screen the documents; a panel of three scores the
public presentation, one member recused on the proposal of their own group; the approver
decides the round's proposals in one act; the results are public on the publication date and
not before; the department concludes the adopted proposal's contract for the theme's fiscal
year. Cases created from 2027-04-05 run citizen_proposal version 2 (the public presentation
after the review). Without Chromium the test is skipped, except under CI=true, where it fails.
"""

from __future__ import annotations

from functools import partial

import re
from datetime import date, datetime

import pytest
from sqlalchemy import select

from db.models import DirectoryEvent

from tests.web.test_browser import SHOTS, browser, open_page, press, server  # noqa: F401  (fixtures: Chromium, uvicorn)
from workflow.calendar.clock import JST

CODE = "2027-theme"
OPENS, CLOSES, PUBLICATION = date(2027, 4, 5), date(2027, 5, 14), date(2027, 9, 1)
THEME = "川辺の生き物調査と環境学習"
# (key, label, weight, max points): the weights make 100, the pass mark is 60.
CRITERIA = (("benefit", "公益性", "40", "5"), ("feasibility", "実現可能性", "30", "5"),
            ("collaboration", "協働の効果", "30", "10"))
TITLES = {"proposer": "川辺の生き物図鑑づくり", "third": "水辺の防災と生き物観察会", "outsider": "自治会の川辺清掃と観察"}
MEMBERS = ("reviewer1", "reviewer3", "member_reviewer")  # r4 belongs to みどりの会, the proposer's group


@pytest.fixture
def world(session, clock):
    """Three groups, each with its own contact (``proposer``, ``outsider``, ``third``)."""
    from tests.support import CallWorld

    clock.set(datetime(2027, 4, 5, 9, tzinfo=JST))  # FY2027: new cases run citizen_proposal version 2
    return CallWorld(session, clock)


def _words(page) -> str:
    return re.sub(r"\s+", " ", page.inner_text("main") if page.locator("main").count() else page.inner_text("body"))


@pytest.mark.slow
def test_a_whole_round_in_the_browser(server, browser, world):
    SHOTS.mkdir(parents=True, exist_ok=True)

    person = partial(open_page, browser, server)

    def submit(page, form: str):
        page.click(f"{form} button.primary")
        page.wait_for_load_state()

    # --- The secretariat declares the round, its theme and criteria, and publishes it.
    s = person("s")
    s.goto(f"{server}/secretariat/rounds/new")
    for name, value in (("code", CODE), ("title_ja", "令和9年度 協働事業提案（テーマ提示型）"),
                        ("title_en", "FY2027 collaboration proposals (themes)"), ("fiscal_year", "令和9"),
                        ("opens_on", OPENS.isoformat()), ("closes_on", CLOSES.isoformat()),
                        ("publication_on", PUBLICATION.isoformat()), ("pass_mark", "60"),
                        ("guidelines", "応募できる団体：市内で活動する市民活動団体\n提出書類：提案書・団体概要")):
        s.fill(f"#n-{name}", value)
    s.select_option("#n-kind", "theme")
    s.check("input[name=requires_consultation]")
    submit(s, "form[action='/secretariat/rounds']")
    rid = int(re.search(r"/secretariat/rounds/(\d+)", s.url).group(1))

    s.click(f"details:has(form[action='/secretariat/rounds/{rid}/themes']) > summary")
    s.select_option("#theme-new-department_id", str(world.dept))
    s.fill("#theme-new-title", THEME)
    s.fill("#theme-new-budget_ceiling_yen", "1,000,000")
    s.fill("#theme-new-project_fiscal_year", "令和10")
    submit(s, f"form[action='/secretariat/rounds/{rid}/themes']")
    for key, label, weight, top in CRITERIA:
        s.click(f"details:has(form[action='/secretariat/rounds/{rid}/criteria']) > summary")
        s.fill("#criterion-new-key", key)
        s.fill("#criterion-new-label_ja", label)
        s.fill("#criterion-new-label_en", key.capitalize())
        s.fill("#criterion-new-weight", weight)
        s.fill("#criterion-new-max_points", top)
        submit(s, f"form[action='/secretariat/rounds/{rid}/criteria']")
    submit(s, f"form[action='/secretariat/rounds/{rid}/publish']")
    assert "募集を公表しました" in _words(s) and "公表済み" in _words(s)

    anyone = person()
    anyone.goto(f"{server}/public/rounds")
    assert "令和9年度 協働事業提案（テーマ提示型）" in _words(anyone) and "受付中" in _words(anyone)
    anyone.click("text=令和9年度 協働事業提案（テーマ提示型）")
    anyone.wait_for_url(f"{server}/public/rounds/{CODE}")
    words = _words(anyone)
    for expected in (THEME, "環境活動支援課", "1,000,000円", "令和10年度", "公益性", "実現可能性", "協働の効果",
                     "100点満点中60点以上", "応募の前に事前相談が必要です", "令和9年9月1日"):
        assert expected in words, expected
    anyone.screenshot(path=str(SHOTS / "11-round-public.png"), full_page=True)

    # --- Each group asks for a prior consultation; the secretariat records it with its notes.
    logins = {"proposer": "p", "outsider": "o", "third": "t"}
    groups = {who: person(login) for who, login in logins.items()}
    for who, group in groups.items():
        group.goto(f"{server}/consultations")
        group.select_option("#c-organisation_id", str(world.orgs[who]))
        group.select_option("#c-round_id", str(rid))
        group.fill("#c-topic", f"「{TITLES[who]}」の進め方について")
        group.fill("#c-preferred_dates", "4月12日午後")
        submit(group, "form[action='/consultations']")
    world.clock.set(datetime(2027, 4, 12, 14, tzinfo=JST))
    s.goto(f"{server}/secretariat/consultations")
    actions = s.eval_on_selector_all("form[action^='/secretariat/consultations/']",
                                     "forms => forms.map(f => f.getAttribute('action'))")
    assert len(actions) == 3
    for action in actions:
        cid = action.rsplit("/", 1)[1]
        s.fill(f"#c-{cid}-held_on", "2027-04-12")
        s.fill(f"#c-{cid}-notes", "機密メモ：団体の体制を聴取")
        submit(s, f"form[action='{action}']")
    groups["proposer"].goto(f"{server}/consultations")
    assert "令和9年4月12日に実施済み" in _words(groups["proposer"])
    assert "機密メモ" not in groups["proposer"].content()

    # --- Each group writes its proposal in the round's theme.
    pids = {}
    for who, group in groups.items():
        group.goto(f"{server}/proposals/new?organisation_id={world.orgs[who]}")
        group.select_option("#f-round_id", str(rid))
        theme = group.eval_on_selector(
            "#f-theme_id", "(s, title) => [...s.options].find(o => o.textContent.includes(title)).value", THEME)
        group.select_option("#f-theme_id", theme)
        group.fill("#f-title", TITLES[who])
        group.select_option("#f-field", "2")
        group.fill("#f-purpose", "川辺の生き物を地域で調べ、子どもたちの環境学習につなげる。")
        group.fill("#f-content", "月1回の観察会と、調査結果をまとめた図鑑の作成。")
        group.fill("#f-proposed_roles", "団体：観察会の運営／市：会場と広報")
        group.fill("#f-estimated_cost_yen", "800000")
        submit(group, "form.editor")
        pids[who] = int(re.search(r"/proposals/(\d+)", group.url).group(1))
    for who, received in (("proposer", "受付"), ("third", "Submitted")):  # t reads Kyodo in English
        press(groups[who], "submit")
        assert received in groups[who].inner_text(".meta"), who

    # The third group opened its case before the close and presses 提案する after it: refused
    # with the closing date and logged in the round's trail; the case stays a draft, and the
    # page, reloaded, no longer offers the button but says why.
    late = groups["outsider"]
    late.goto(f"{server}/proposals/{pids['outsider']}")
    world.clock.set(datetime(2027, 5, 15, 9, tzinfo=JST))
    press(late, "submit")
    refusal = "募集期間（令和9年5月14日まで）を過ぎているため提出できません。"
    assert refusal in _words(late)
    late.goto(f"{server}/proposals/{pids['outsider']}")
    assert "下書き" in late.inner_text(".meta") and refusal in _words(late)
    assert late.locator("button[name=trigger][value=submit]").count() == 0
    world.s.rollback()
    logged = world.s.execute(select(DirectoryEvent.details).where(
        DirectoryEvent.subject == "round", DirectoryEvent.subject_id == rid,
        DirectoryEvent.action == "late_submission_refused")).scalars().all()
    assert logged == [{"proposal_id": pids["outsider"], "organisation_id": world.other_org}]
    world.s.rollback()

    # --- Document screening (一次審査): two reviewers each, then the public presentation.
    screened = (pids["proposer"], pids["third"])
    for pid in screened:
        s.goto(f"{server}/proposals/{pid}")
        for who in ("reviewer1", "reviewer2"):
            s.check(f"input[name=reviewer_ids][value='{world[who].user_id}']")
        s.select_option("select[name=department_id]", str(world.dept))
        press(s, "start_review")
        assert "審査中" in s.inner_text(".meta")
    for login in ("r1", "r2"):
        reviewer = person(login)
        for pid in screened:
            reviewer.goto(f"{server}/proposals/{pid}/review")
            for criterion in ("score_technique", "score_expertise", "score_quality", "score_capability"):
                reviewer.check(f"input[name={criterion}][value='4']")
            reviewer.fill("textarea[name=review_comment]", "テーマに即しており、書類上の要件を満たしています。")
            press(reviewer, "submit_review")
    for pid in screened:
        s.goto(f"{server}/proposals/{pid}")
        press(s, "finish_review")
        assert "公開プレゼンテーション" in s.inner_text(".meta")

    # --- The panel of three and the schedule; the groups are told.
    s.goto(f"{server}/secretariat/rounds/{rid}/panel")
    for who in MEMBERS:
        s.select_option("#panel-user", str(world[who].user_id))
        submit(s, f"form[action='/secretariat/rounds/{rid}/panel/members']")
    for position, pid in enumerate(screened, start=1):
        key = f"#slot-{pid}"
        s.fill(f"{key}-starts_at", f"2027-06-12T{13 + position}:00")
        s.fill(f"{key}-place", "市民協働ホール")
        s.fill(f"{key}-position", str(position))
        submit(s, key)
    told = groups["proposer"]
    told.goto(f"{server}/proposals/{pids['proposer']}")
    letter = told.locator("section[aria-labelledby=notices-title] details",
                          has_text="公開プレゼンテーションの日程のお知らせ").first
    letter.locator("summary").click()
    body = re.sub(r"\s+", " ", letter.inner_text())
    assert "令和9年6月12日 14:00から" in body and "発表順 ：1番目" in body and "会場 ：市民協働ホール" in body, body

    # Each member scores; r4 is recused on みどりの会's proposal (their own group).
    points = {  # (benefit, feasibility, collaboration) per member and case
        ("reviewer1", "proposer"): (5, 4, 8),  # 40 + 24 + 24 = 88
        ("reviewer3", "proposer"): (4, 4, 7),  # 32 + 24 + 21 = 77
        ("reviewer1", "third"): (2, 2, 4),  # 16 + 12 + 12 = 40
        ("reviewer3", "third"): (3, 2, 5),  # 24 + 12 + 15 = 51
        ("member_reviewer", "third"): (2, 3, 4),  # 16 + 18 + 12 = 46
    }
    member_logins = {"reviewer1": "r1", "reviewer3": "r3", "member_reviewer": "r4"}
    for member in MEMBERS:
        page = person(member_logins[member])
        page.goto(f"{server}/panel")
        for who in ("proposer", "third"):
            page.goto(f"{server}/panel/proposals/{pids[who]}")
            if (member, who) not in points:
                assert "利害関係があるため" in _words(page)
                assert page.locator("#points-benefit").count() == 0
                continue
            for (key, *_), value in zip(CRITERIA, points[(member, who)]):
                page.fill(f"#points-{key}", str(value))
            submit(page, f"form[action='/panel/proposals/{pids[who]}']")
    s.goto(f"{server}/secretariat/rounds/{rid}/panel")
    words = _words(s)
    for expected in ("88.00", "77.00", "82.50", "40.00", "51.00", "46.00", "45.66", "利害関係により除外", "不合格"):
        assert expected in words, expected
    assert re.search(r"川辺の生き物図鑑づくり .*?82\.50 1 合格", words)  # the mean truncated, the rank, the pass
    s.screenshot(path=str(SHOTS / "12-panel-table.png"), full_page=True)

    # The presentations are recorded; the department coordinates and refers both.
    department = person("d")
    for pid in screened:
        s.goto(f"{server}/proposals/{pid}")
        s.fill("textarea[name=note]", "公開プレゼンテーションを市民協働ホールで実施しました。")
        press(s, "record_presentation")
        assert "調整" in s.inner_text(".meta")
        department.goto(f"{server}/proposals/{pid}")
        department.fill("textarea[name=department_opinion]", "審査委員会の評価を踏まえて判断してください。")
        press(department, "refer_for_decision")
        assert "決裁待ち" in department.inner_text(".meta")

    # --- The approver decides the round together: one adopted, one not.
    approver = person("a")
    approver.goto(f"{server}/rounds/{rid}/decide")
    approver.screenshot(path=str(SHOTS / "13-round-decide.png"), full_page=True)
    adopt, reject = pids["proposer"], pids["third"]
    # The theme's project runs in FY2028: the adoption offered is the one that waits for its budget.
    assert approver.locator(f"input[name=pick_{adopt}][value=adopt]").count() == 0
    approver.check(f"input[name=pick_{adopt}][value=adopt_for_budget]")
    approver.check(f"input[name=pick_{reject}][value=reject]")
    approver.fill(f"#reasons-{adopt}", "審査委員会の評価が合格点を大きく上回り、テーマの目的に合致するため。")
    approver.fill(f"#reasons-{reject}", "審査委員会の評価が合格点に達しなかったため。")
    submit(approver, f"form[action='/rounds/{rid}/decide']")
    assert "2件の提案を決定しました" in _words(approver)

    # --- The results: not public before the publication date, public on it.
    world.clock.set(datetime(2027, 8, 31, 9, tzinfo=JST))
    results = f"{server}/public/rounds/{CODE}/results"
    assert anyone.goto(results).status == 404
    world.clock.advance_to_date(PUBLICATION)
    assert anyone.goto(results).status == 200
    words = _words(anyone)
    assert TITLES["proposer"] in words and "審査委員会の評価が合格点を大きく上回り" in words
    assert "伊藤" not in words and "中村" not in words and "山田次郎" not in words  # no member's name
    anyone.screenshot(path=str(SHOTS / "14-round-results.png"), full_page=True)

    # --- The adopted proposal waits for the FY2028 budget (予算化), due on that year's first day.
    department.goto(f"{server}/proposals/{adopt}")
    assert "予算化待ち" in department.inner_text(".meta")
    assert "令和10年4月3日" in _words(department)  # 1 April 2028 is a Saturday: due the Monday after
    assert department.locator("#conclude_contract-purpose").count() == 0
    world.clock.set(datetime(2028, 3, 24, 10, tzinfo=JST))
    department.goto(f"{server}/proposals/{adopt}")
    department.fill("#record_budget-budget_note", "令和10年3月22日議決、協働事業推進費800,000円")
    press(department, "record_budget")
    assert "協働契約準備中" in department.inner_text(".meta")

    # --- …and is contracted for the theme's fiscal year (令和10年度 = FY2028), not before it.
    def contract(start: str):
        department.goto(f"{server}/proposals/{adopt}/contract")
        prefix = "#conclude_contract-"
        department.select_option(f"{prefix}contract_form", "entrustment")
        for name, value in (("purpose", "川辺の生き物調査と環境学習"), ("process", "月1回の観察会と図鑑の作成"),
                            ("role_sharing", "団体：観察会の運営／市：会場と広報"), ("cost_sharing", "委託料"),
                            ("responsibility_sharing", "事故は団体が対応し、市が支援する"),
                            ("period_start", start), ("period_end", "2029-03-31"), ("amount_yen", "800000")):
            department.fill(f"{prefix}{name}", value)
        department.check(f"input[name=partner_ids][value='{world.org}']")
        press(department, "conclude_contract")

    contract("2028-03-27")
    assert "令和10年度の事業として採用されています" in _words(department)
    assert "協働契約準備中" in department.inner_text(".meta")
    contract("2028-04-01")
    assert "実施中" in department.inner_text(".meta")
    words = _words(department)
    assert "令和10年4月1日" in words and "令和11年3月31日" in words
    department.screenshot(path=str(SHOTS / "15-round-contract.png"), full_page=True)


@pytest.mark.slow
def test_the_group_sees_one_copy_of_the_schedule_notice(server, browser, world):
    """みどりの会 has two contacts (p and r4): the schedule goes to both, the group's page lists it once,
    as it lists the receipt once."""
    from tests.workflow.test_panels import make_round, to_presentation

    rid = make_round(world)
    pid = world.new_proposal(round_id=rid)
    to_presentation(world, pid)
    world.s.commit()

    person = partial(open_page, browser, server)
    s = person("s")
    s.goto(f"{server}/secretariat/rounds/{rid}/panel")
    s.fill(f"#slot-{pid}-starts_at", "2027-06-12T14:00")
    s.fill(f"#slot-{pid}-place", "市民協働ホール")
    s.click(f"#slot-{pid} button.primary")
    s.wait_for_load_state()

    group = person("p")
    group.goto(f"{server}/proposals/{pid}")
    notices = group.locator("section[aria-labelledby=notices-title] details")
    assert notices.filter(has_text="提案の受付").count() == 1
    assert notices.filter(has_text="公開プレゼンテーションの日程のお知らせ").count() == 1
