"""Proposal rounds (募集) as the secretariat declares and publishes them in the browser, and as
anyone reads them on the public pages: themes, criteria and weights, the window in era dates,
the guidelines as a downloadable document; drafts unseen, other roles refused, mistakes said
beside their field (422), never a server error."""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import date
from urllib.parse import unquote

from sqlalchemy import select

from db.models import DirectoryEvent, ProposalRound
from workflow import rounds

ROUND = {
    "code": "2026-theme", "fiscal_year": "令和8", "kind": "theme",
    "title_ja": "令和8年度 協働事業提案（テーマ提示型）", "title_en": "FY2026 collaboration proposals (themes)",
    "opens_on": "2026-04-01", "closes_on": "2026-06-30", "publication_on": "2026-09-01",
    "pass_mark": "50", "requires_consultation": "1",
    "guidelines": "応募できる団体：市内で活動する市民活動団体\n提出書類：提案書・団体概要",
}
THEMES = [
    {"title": "川辺の生き物調査と環境学習", "budget_ceiling_yen": "1,000,000", "project_fiscal_year": ""},
    {"title": "商店街と連携した子育て支援", "budget_ceiling_yen": "500000", "project_fiscal_year": "R9"},
]
CRITERIA = [
    {"key": "public_benefit", "label_ja": "公益性", "label_en": "Public benefit", "weight": "30"},
    {"key": "feasibility", "label_ja": "実現可能性", "label_en": "Feasibility", "weight": "30"},
    {"key": "collaboration", "label_ja": "協働の効果", "label_en": "Effect of collaboration", "weight": "20"},
    {"key": "continuity", "label_ja": "継続性", "label_en": "Continuity", "weight": "19"},
]


def _declare(s, **changes) -> int:
    r = s.post("/secretariat/rounds", {**ROUND, **changes})
    assert r.status_code == 303, r.text[:3000]
    return int(r.headers["location"].rsplit("/", 1)[1])


def _text(html: str) -> str:
    """The page's words without its markup, for asserting what a reader sees."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _detail(world, rid: int) -> rounds.RoundDetail:
    """The round as the database holds it now (the test's session reads afresh)."""
    world.s.rollback()
    found = rounds.round_detail(world.s, round_id=rid)
    world.s.rollback()
    return found


def _trail(world, rid: int) -> list[str]:
    world.s.rollback()
    return list(world.s.execute(select(DirectoryEvent.action).where(
        DirectoryEvent.subject == "round", DirectoryEvent.subject_id == rid).order_by(DirectoryEvent.id)).scalars())


def test_the_secretariat_declares_a_theme_round_and_publishes_it_once_it_is_complete(world, as_, visitor):
    s = as_("secretariat")
    assert 'href="/secretariat/rounds"' in s.get("/secretariat/rounds").text  # in the navigation
    rid = _declare(s)
    page = s.get(f"/secretariat/rounds/{rid}")
    assert page.status_code == 200 and "令和8年度 協働事業提案" in page.text and "未公表" in page.text

    refused = s.post(f"/secretariat/rounds/{rid}/publish")
    assert refused.status_code == 422
    words = _text(refused.text)
    assert "審査基準が登録されていません" in words and "テーマが登録されていません" in words

    for theme, dept in zip(THEMES, (world.dept, world.other_dept)):
        r = s.post(f"/secretariat/rounds/{rid}/themes", {**theme, "description": "", "department_id": str(dept)})
        assert r.status_code == 303, r.text[:3000]
    for c in CRITERIA:
        r = s.post(f"/secretariat/rounds/{rid}/criteria", {**c, "max_points": ""})
        assert r.status_code == 303, r.text[:3000]

    refused = s.post(f"/secretariat/rounds/{rid}/publish")  # 30 + 30 + 20 + 19 = 99
    assert refused.status_code == 422 and "配点の合計が99点です" in _text(refused.text)
    assert "審査基準が登録されていません" not in _text(refused.text)
    assert visitor().get("/public/rounds/2026-theme").status_code == 404  # still a draft

    (last,) = [c for c in _detail(world, rid).criteria if c.key == "continuity"]
    r = s.post(f"/secretariat/rounds/{rid}/criteria/{last.id}", {**CRITERIA[3], "weight": "20", "max_points": "5"})
    assert r.status_code == 303
    done = s.follow(s.post(f"/secretariat/rounds/{rid}/publish"))
    assert "募集を公表しました" in done.text and "公表済み" in done.text

    assert _trail(world, rid) == ["declared", "theme_added", "theme_added", *["criterion_added"] * 4,
                                  "criterion_edited", "published"]
    saved = world.s.get(ProposalRound, rid)
    assert (saved.fiscal_year, saved.pass_mark, saved.requires_consultation) == (2026, 50, True)

    # The public pages, without signing in: the window in era dates, themes, criteria, guidelines.
    anyone = visitor()
    listing = _text(anyone.get("/public/rounds").text)
    assert "令和8年度 協働事業提案（テーマ提示型）" in listing and "受付中" in listing
    assert "令和8年4月1日 〜 令和8年6月30日" in listing
    page = anyone.get("/public/rounds/2026-theme")
    assert page.status_code == 200
    words = _text(page.text)
    for expected in ("川辺の生き物調査と環境学習", "環境活動支援課", "1,000,000円", "商店街と連携した子育て支援", "地域振興課",
                     "500,000円", "令和9年度", "公益性", "実現可能性", "協働の効果", "継続性", "100点満点中50点以上",
                     "応募の前に事前相談が必要です", "提出書類：提案書・団体概要", "令和8年9月1日"):
        assert expected in words, expected
    assert "令和8年度" in words  # the round's own year
    assert "「配点 × 評点 ÷ 評点の上限」の合計（100点満点）が50点以上" in words
    # The total the page states: 30×5/5 + 30×4/5 + 20×3/5 + 20×2/5 = 30 + 24 + 12 + 8 = 74 of 100.
    criteria = _detail(world, rid).criteria
    points = {"public_benefit": 5, "feasibility": 4, "collaboration": 3, "continuity": 2}
    assert rounds.weighted_total(criteria, points) == 74
    english = _text(anyone.get("/public/rounds/2026-theme?lang=en").text)
    assert "1 April 2026" in english and "30 June 2026" in english and "Public benefit" in english


def test_open_rounds_come_first_and_the_window_counts_in_japan_dates(world, as_, visitor):
    s = as_("secretariat")
    for code, opens, closes in (("2025-past", "2025-05-01", "2025-06-30"), ("2026-now", "2026-04-01", "2026-04-06"),
                                ("2026-later", "2026-07-01", "2026-08-31")):
        rid = _declare(s, code=code, kind="free", title_ja=f"募集 {code}", opens_on=opens, closes_on=closes,
                       publication_on="", fiscal_year=opens[:4])
        assert s.post(f"/secretariat/rounds/{rid}/criteria", {"key": "all", "label_ja": "総合", "weight": "100"}) \
            .status_code == 303
        assert s.post(f"/secretariat/rounds/{rid}/publish").status_code == 303
    listing = visitor().get("/public/rounds").text
    order = [listing.index(f"募集 {code}") for code in ("2026-now", "2026-later", "2025-past")]
    assert order == sorted(order)
    # 6 April, the last day, until midnight Japan time: still accepting.
    assert [r.code for r in rounds.open_rounds(world.s, date(2026, 4, 6))] == ["2026-now"]
    assert rounds.open_rounds(world.s, date(2026, 4, 7)) == []


def test_the_guidelines_download_as_a_printable_document_with_every_title_escaped(world, as_, visitor):
    s = as_("secretariat")
    hostile = '<script>alert("x")</script>&'
    rid = _declare(s, code="2026-free", kind="free", title_ja=hostile,
                   guidelines='</style><img src=x onerror=alert(1)>\n第2条 応募資格')
    assert s.post(f"/secretariat/rounds/{rid}/criteria", {"key": "all", "label_ja": hostile, "weight": "100"}) \
        .status_code == 303
    assert s.post(f"/secretariat/rounds/{rid}/publish").status_code == 303

    r = visitor().get("/public/rounds/2026-free/guidelines")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    disposition = r.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    encoded = re.search(r"filename\*=UTF-8''(\S+)", disposition).group(1)
    assert unquote(encoded) == "募集要項_2026-free.html"
    assert "<script>" not in r.text and "<img" not in r.text and "</style><img" not in r.text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&amp;" in r.text
    assert "@page { size: A4" in r.text and "第2条 応募資格" in r.text
    # Its one style block is the only thing the document may load or run.
    style = re.search(r"<style>(.*?)</style>", r.text, re.S).group(1)
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    assert f"style-src 'sha256-{digest}'" in r.headers["content-security-policy"]
    assert "script-src" not in r.headers["content-security-policy"]  # default-src 'none' covers it
    assert "&lt;script&gt;" in visitor().get("/public/rounds/2026-free").text


def test_an_unpublished_round_does_not_exist_publicly(world, as_, visitor):
    s = as_("secretariat")
    _declare(s, code="draft-round", title_ja="準備中の募集")
    anyone = visitor()
    for path in ("/public/rounds/draft-round", "/public/rounds/draft-round/guidelines", "/public/rounds/no-such",
                 "/public/rounds/%E5%8B%9F%E9%9B%86"):
        r = anyone.get(path)
        assert r.status_code == 404, path
        assert "この募集は公表されていません" in r.text or r.status_code == 404
    assert "準備中の募集" not in anyone.get("/public/rounds").text
    assert "準備中の募集" in s.get("/secretariat/rounds").text


def test_only_the_secretariat_administers_rounds(world, as_, visitor):
    rid = _declare(as_("secretariat"))
    for who in ("proposer", "department", "approver", "reviewer1", "admin"):
        v = as_(who)
        assert 'href="/secretariat/rounds"' not in v.get("/public").text, who
        for path in ("/secretariat/rounds", "/secretariat/rounds/new", f"/secretariat/rounds/{rid}"):
            assert v.get(path).status_code == 403, (who, path)
        assert v.post("/secretariat/rounds", {**ROUND, "code": "other"}).status_code == 403
        assert v.post(f"/secretariat/rounds/{rid}/publish").status_code == 403
        assert v.post(f"/secretariat/rounds/{rid}/criteria", CRITERIA[0]).status_code == 403
    assert world.s.execute(select(ProposalRound.code)).scalars().all() == ["2026-theme"]
    anonymous = visitor()
    r = anonymous.get(f"/secretariat/rounds/{rid}")
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    # A form without the session's token is refused, whoever sends it.
    s = as_("secretariat")
    assert s.client.post(f"/secretariat/rounds/{rid}/publish", data={}).status_code == 403


def test_bad_inputs_are_said_beside_their_field_never_a_server_error(world, as_):
    s = as_("secretariat")
    cases = [
        ({"pass_mark": str(2**31)}, "合格点は1から100までの整数で入力してください"),
        ({"pass_mark": "9" * 5000}, "合格点は1から100までの整数で入力してください"),
        ({"fiscal_year": str(2**31)}, "実施年度は「2027」「令和9」「R9」のように"),
        ({"title_ja": "あ" * 100_000}, "募集の名称は200文字以内で入力してください（100,000文字あります）"),
        ({"guidelines": "x" * 100_000}, "募集要項は50,000文字以内で入力してください"),
        ({"opens_on": "9999-12-31"}, "受付開始日は2000年1月1日から2100年12月31日までの日付"),
        ({"closes_on": "not a date"}, "受付終了日は2000年1月1日から2100年12月31日までの日付"),
        ({"kind": "lottery"}, "募集の種類は theme（テーマ提示型）"),
        ({"code": "募集/2026"}, "募集コードは半角英数字"),
        ({"title_ja": "名称\x00"}, "NUL"),
    ]
    for changes, expected in cases:
        r = s.post("/secretariat/rounds", {**ROUND, **changes})
        assert r.status_code == 422, (changes.keys(), r.status_code)
        assert expected in r.text, (list(changes), _text(r.text)[:600])
    assert world.s.execute(select(ProposalRound.id)).all() == []
    # The form comes back with what was typed, so nothing is lost.
    r = s.post("/secretariat/rounds", {**ROUND, "pass_mark": "101"})
    assert 'value="令和8年度 協働事業提案（テーマ提示型）"' in r.text and "応募できる団体" in r.text

    rid = _declare(s)
    dept = str(world.dept)
    theme_cases = [
        ({"budget_ceiling_yen": str(2**63)}, "事業費の上限額（円）は0から"),
        ({"budget_ceiling_yen": "-1"}, "事業費の上限額（円）は0から"),
        ({"project_fiscal_year": "2025"}, "事業の実施年度は募集の年度（2026年度）以降にしてください"),
        ({"department_id": str(2**31)}, "テーマを提示する所管課は1から2,147,483,647までの整数"),
        ({"department_id": "999"}, "その所管課は登録されていません"),
        ({"description": "説" * 100_000}, "テーマの説明は20,000文字以内"),
    ]
    for changes, expected in theme_cases:
        r = s.post(f"/secretariat/rounds/{rid}/themes", {**THEMES[0], "department_id": dept, **changes})
        assert r.status_code == 422 and expected in r.text, (list(changes), _text(r.text)[:600])
    criterion_cases = [
        ({"weight": str(2**31)}, "配点は1から100までの整数"),
        ({"weight": "0"}, "配点は1から100までの整数"),
        ({"max_points": "abc"}, "評点の上限は1から100までの整数"),
        ({"key": "公益"}, "キーは半角英数字"),
        ({"label_ja": ""}, "審査基準の名称を入力してください"),
    ]
    for changes, expected in criterion_cases:
        r = s.post(f"/secretariat/rounds/{rid}/criteria", {**CRITERIA[0], **changes})
        assert r.status_code == 422 and expected in r.text, (list(changes), _text(r.text)[:600])
    assert s.post(f"/secretariat/rounds/{rid}/criteria", CRITERIA[0]).status_code == 303
    r = s.post(f"/secretariat/rounds/{rid}/criteria", CRITERIA[0])
    assert r.status_code == 422 and "キー「public_benefit」の審査基準はこの募集にすでにあります" in r.text

    # Ids beyond any row, or of another round's theme: refused in words.
    assert s.post(f"/secretariat/rounds/{2**31}/publish").status_code == 422
    assert s.get("/secretariat/rounds/99999").status_code == 404
    other = _declare(s, code="other-round")
    assert s.post(f"/secretariat/rounds/{other}/themes", {**THEMES[0], "department_id": dept}).status_code == 303
    (theme,) = _detail(world, other).themes
    assert s.post(f"/secretariat/rounds/{rid}/themes/{theme.id}/remove").status_code == 404
    assert s.post(f"/secretariat/rounds/{rid}/themes/{theme.id}", {**THEMES[0], "department_id": dept}) \
        .status_code == 404


def test_publishing_names_every_problem_at_once_and_a_published_round_keeps_its_criteria(world, as_):
    s = as_("secretariat")
    rid = _declare(s, opens_on="2026-07-01", closes_on="2026-06-01", publication_on="2026-05-01")
    r = s.post(f"/secretariat/rounds/{rid}/criteria", {**CRITERIA[0], "weight": "99"})
    assert r.status_code == 303
    refused = s.post(f"/secretariat/rounds/{rid}/publish")
    assert refused.status_code == 422
    words = _text(refused.text)
    for expected in ("配点の合計が99点です", "テーマが登録されていません",
                     "受付終了日（令和8年6月1日）が受付開始日（令和8年7月1日）より前です",
                     "結果の公表日（令和8年5月1日）が受付終了日（令和8年6月1日）以前です"):
        assert expected in words, expected

    r = s.post(f"/secretariat/rounds/{rid}", {**ROUND, "opens_on": "2026-04-01", "closes_on": "2026-06-30",
                                              "publication_on": "2026-06-30"})
    assert r.status_code == 303  # a draft may be inconsistent while it is prepared
    assert "結果の公表日（令和8年6月30日）が受付終了日（令和8年6月30日）以前です" in _text(s.follow(r).text)
    assert s.post(f"/secretariat/rounds/{rid}", {**ROUND}).status_code == 303
    assert s.post(f"/secretariat/rounds/{rid}/themes", {**THEMES[0], "department_id": str(world.dept)}) \
        .status_code == 303
    (c,) = _detail(world, rid).criteria
    assert s.post(f"/secretariat/rounds/{rid}/criteria/{c.id}", {**CRITERIA[0], "weight": "100"}).status_code == 303
    assert s.post(f"/secretariat/rounds/{rid}/publish").status_code == 303

    refused = s.post(f"/secretariat/rounds/{rid}/criteria", CRITERIA[1])
    assert refused.status_code == 422 and "公表した募集の審査基準と配点は変更できません" in refused.text
    assert s.post(f"/secretariat/rounds/{rid}/criteria/{c.id}/remove").status_code == 422
    (theme,) = _detail(world, rid).themes
    refused = s.post(f"/secretariat/rounds/{rid}/themes/{theme.id}/remove")  # the only theme of a theme round
    assert refused.status_code == 422 and "テーマ提示型の募集ですが、テーマが登録されていません" in _text(refused.text)
    refused = s.post(f"/secretariat/rounds/{rid}", {**ROUND, "closes_on": "2026-09-30"})
    assert refused.status_code == 422 and "公表済みの募集のため、この変更はできません" in _text(refused.text)
    assert s.post(f"/secretariat/rounds/{rid}/publish").status_code == 422  # once is enough
    # A change that keeps it consistent is kept, and said in the trail.
    assert s.post(f"/secretariat/rounds/{rid}", {**ROUND, "closes_on": "2026-07-15"}).status_code == 303
    assert _trail(world, rid)[-1] == "edited"
