"""`kyodo rounds` as the secretariat runs it: a round declared with two themes and four
criteria, publishing refused until the weights make 100, then listed and shown; every
mistake said in both languages with exit 1, never a traceback or a usage error."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from db.models import DirectoryEvent, ProposalRound, User
from db.session import new_session
from tests.cli.test_cli import fresh, run  # noqa: F401  (fresh is a fixture)
from workflow import directory, rounds

# Each command is a process of its own (about two seconds to start).
pytestmark = pytest.mark.slow

CODE = "2027-theme"
CRITERIA = (("public_benefit", "公益性", "30"), ("feasibility", "実現可能性", "30"),
            ("collaboration", "協働の効果", "20"), ("continuity", "継続性", "19"))


def _setup(env) -> None:
    assert run(env, "db", "upgrade").returncode == 0
    for code, name, kind, owner in (("env", "環境活動支援課", "bureau", "環境創造局"), ("kohoku", "地域振興課", "ward", "港北区")):
        assert run(env, "departments", "add", code, "--name-ja", name, "--owner-kind", kind,
                   "--owner-name", owner).returncode == 0


def _add(env, *extra: str, code: str = CODE):
    return run(env, "rounds", "add", code, "--fiscal-year", "R9", "--kind", "theme",
               "--title-ja", "令和9年度 協働事業提案（テーマ提示型）", "--opens", "2027-05-01", "--closes", "2027-06-30",
               *extra)


def _refused(result, *words: str) -> None:
    assert result.returncode == 1, result.out
    assert "エラー:" in result.out and "error:" in result.out, result.out
    for w in words:
        assert w in result.out, (w, result.out)


def test_a_round_declared_given_themes_and_criteria_and_published(fresh, tmp_path):
    env = fresh
    _setup(env)
    guidelines = tmp_path / "guidelines.txt"
    guidelines.write_text("応募できる団体：市内で活動する市民活動団体\n提出書類：提案書\n", encoding="utf-8")
    r = _add(env, "--publication", "2027-09-01", "--requires-consultation", "--pass-mark", "50",
             "--guidelines-file", str(guidelines))
    assert r.returncode == 0 and "登録しました" in r.out and f"kyodo rounds publish {CODE}" in r.out, r.out

    _refused(run(env, "rounds", "publish", CODE), "審査基準が登録されていません", "テーマが登録されていません",
             "no screening criteria", "a theme round needs at least one theme")

    r = run(env, "rounds", "theme", CODE, "--department", "env", "--title", "川辺の生き物調査と環境学習",
            "--budget", "1,000,000")
    assert r.returncode == 0, r.out
    r = run(env, "rounds", "theme", CODE, "-d", "kohoku", "--title", "商店街と連携した子育て支援",
            "--budget", "500000", "--project-fiscal-year", "令和10")
    assert r.returncode == 0, r.out
    for key, label, weight in CRITERIA:
        r = run(env, "rounds", "criterion", CODE, key, "--label-ja", label, "--weight", weight)
        assert r.returncode == 0, r.out
    assert "配点の合計：99点" in r.out

    _refused(run(env, "rounds", "publish", CODE), "配点の合計が99点です", "add up to 99, not 100")
    r = run(env, "rounds", "criterion", CODE, "continuity", "--weight", "20")  # the same key: changed, not added
    assert r.returncode == 0 and "変更しました" in r.out and "配点の合計：100点" in r.out, r.out
    r = run(env, "rounds", "publish", CODE)
    assert r.returncode == 0 and "公表しました" in r.out and f"/public/rounds/{CODE}" in r.out, r.out
    _refused(run(env, "rounds", "publish", CODE), "すでに公表しています")
    _refused(run(env, "rounds", "criterion", CODE, "extra", "--label-ja", "追加", "--weight", "1"),
             "公表した募集の審査基準と配点は変更できません")

    listing = run(env, "rounds", "list").out
    assert CODE in listing and "令和9年度" in listing and "公表済み" in listing
    shown = run(env, "rounds", "show", CODE).out
    for expected in ("令和9年度（2027年度）", "テーマ提示型", "令和9年5月1日", "令和9年6月30日", "必要 / required",
                     "50 / 100", "川辺の生き物調査と環境学習", "環境活動支援課（env）", "1,000,000円", "令和10年度",
                     "商店街と連携した子育て支援", "500,000円", "公益性", "continuity", "合計 / total"):
        assert expected in shown, (expected, shown)

    with new_session() as s:
        row = s.execute(select(ProposalRound).where(ProposalRound.code == CODE)).scalar_one()
        creator = s.get(User, row.created_by).login
        trail = list(s.execute(select(DirectoryEvent.action).where(
            DirectoryEvent.subject == "round", DirectoryEvent.subject_id == row.id).order_by(DirectoryEvent.id))
            .scalars())
        detail = rounds.round_detail(s, code=CODE, published_only=True)
    assert creator == directory.SYSTEM_LOGIN  # the command line acts as the scheduled tasks' own account
    assert row.guidelines.startswith("応募できる団体") and row.pass_mark == 50 and row.requires_consultation
    assert [t.project_fiscal_year for t in detail.themes] == [2028, 2028]  # default: the year after the round
    assert detail.weight_total == 100
    assert trail == ["declared", "theme_added", "theme_added", *["criterion_added"] * 4, "criterion_edited",
                     "published"]


def test_mistakes_are_said_in_both_languages_with_exit_1(fresh, tmp_path):
    env = fresh
    _setup(env)
    _refused(_add(env, "--pass-mark", str(2**31)), "合格点は1から100までの整数", "the pass mark must be a whole number")
    _refused(run(env, "rounds", "add", CODE, "--fiscal-year", "9", "--kind", "theme", "--title-ja", "x",
                 "--opens", "2027-05-01", "--closes", "2027-06-30"),
             "令和9年度なら「令和9」または「2027」", "for 令和9 give R9 or 2027")
    _refused(run(env, "rounds", "add", CODE, "--fiscal-year", str(2**31), "--kind", "theme", "--title-ja", "x",
                 "--opens", "2027-05-01", "--closes", "2027-06-30"), "実施年度は", "give a year from 2000 to 2100")
    _refused(_add(env, "--publication", "31/12/2027"), "結果の公表日は2000年1月1日から2100年12月31日までの日付")
    _refused(run(env, "rounds", "add", CODE, "--fiscal-year", "2027", "--kind", "lottery", "--title-ja", "a" * 100_000,
                 "--opens", "2027-05-01", "--closes", "2027-06-30"),
             "募集の種類は theme", "募集の名称は200文字以内で入力してください（100,000文字あります）",
             "the kind is theme, free or both")
    nul = tmp_path / "nul.txt"
    nul.write_text("要項\x00", encoding="utf-8")
    _refused(_add(env, "--guidelines-file", str(nul)), "募集要項に使えない文字（NUL）", "contains a NUL character")
    _refused(_add(env, "--guidelines-file", str(tmp_path / "missing.txt")), "読めません")
    with new_session() as s:
        assert s.execute(select(ProposalRound.id)).all() == []

    assert _add(env).returncode == 0
    _refused(_add(env), f"募集コード「{CODE}」はすでに使われています")
    _refused(run(env, "rounds", "theme", "no-such", "--department", "env", "--title", "t"),
             "募集コード「no-such」の募集はありません", CODE)
    _refused(run(env, "rounds", "theme", CODE, "--department", "nope", "--title", "t"),
             "コード「nope」の所管課はありません", "env, kohoku")
    _refused(run(env, "rounds", "theme", CODE, "--department", "env", "--title", "t", "--budget", str(2**63)),
             "事業費の上限額（円）は0から")
    _refused(run(env, "rounds", "theme", CODE, "--department", "env", "--title", "t", "--project-fiscal-year", "2026"),
             "事業の実施年度は募集の年度（2027年度）以降にしてください")
    _refused(run(env, "rounds", "criterion", CODE, "all", "--label-ja", "総合", "--weight", str(2**31)),
             "配点は1から100までの整数", "the weight must be a whole number from 1 to 100")
    _refused(run(env, "rounds", "criterion", CODE, "all", "--weight", "100"), "審査基準の名称を入力してください")
    _refused(run(env, "rounds", "show", "no-such"), "募集コード「no-such」の募集はありません")
    assert "未公表 / draft" in run(env, "rounds", "list").out
