"""`kyodo rounds …`: proposal rounds (募集) from the command line.

Declare a round, give it its themes and its screening criteria, publish it, list and
show rounds. Every change goes through ``workflow.rounds`` and is kept in the
directory's trail, by "the command line"; a round declared here is created by the
scheduled tasks' own account (``kyodo-system``), which the trail names honestly.
Fiscal years are written as clerks write them (2027, 令和9, R9); numbers are read by the
workflow, so a wrong one is said in words (exit 1), never as a usage error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from cli.database import require_schema
from cli.errors import fail, friendly
from cli.output import console, jdate, jtime
from db.session import new_session, write
from workflow import directory, rounds
from workflow.calendar.clock import SystemClock, japan_today
from workflow.calendar.japan import era_year

app = typer.Typer(help="協働事業提案の募集 / proposal rounds", no_args_is_help=True)

FY_HELP = "年度：2027・令和9・R9 のいずれか / fiscal year: 2027, 令和9 or R9"
KIND_HELP = "theme（テーマ提示型）| free（自由提案型）| both（両方）"
CODE_HELP = "募集コード（例：2027-spring）/ the round's code"


def _round_id(s, code: str) -> int:
    row = rounds.round_by_code(s, code)
    if row is None:
        known = ", ".join(r.code for r in rounds.all_rounds(s)) or "なし / none"
        fail(f"募集コード「{code}」の募集はありません。", f"no round with code {code!r}",
             f"登録済みの募集：{known}（登録は kyodo rounds add）", f"known rounds: {known} (declare one with kyodo rounds add)")
    return row.id


def _department_id(s, code: str) -> int:
    dept = directory.department_by_code(s, code)
    if dept is None:
        known = ", ".join(d.code for d in directory.departments(s)) or "なし / none"
        fail(f"コード「{code}」の所管課はありません。", f"no department with code {code!r}",
             f"登録済みのコード：{known}（追加は kyodo departments add）",
             f"known codes: {known} (add one with kyodo departments add)")
    return dept.id


def _guidelines(text: Optional[str], file: Optional[Path]) -> str:
    if text is not None and file is not None:
        fail("--guidelines と --guidelines-file は同時に指定できません。", "give --guidelines or --guidelines-file, not both")
    if file is None:
        return text or ""
    try:
        return file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        fail(f"「{file}」は UTF-8 のテキストとして読めません。", f"{file} is not UTF-8 text",
             "UTF-8 で保存し直してください。", "save it as UTF-8")
    except OSError as exc:
        fail(f"「{file}」を読めません：{exc.strerror}", f"cannot read {file}: {exc.strerror}")


def _problems(exc: rounds.RoundProblems) -> None:
    fail("／".join(ja for ja, _ in exc.problems.values()), "; ".join(en for _, en in exc.problems.values()),
         "内容を直して、もう一度実行してください。", "correct the values and run the command again")


@app.command("add")
@friendly
def add(code: str = typer.Argument(..., help=CODE_HELP),
        fiscal_year: str = typer.Option(..., "--fiscal-year", help=FY_HELP),
        kind: str = typer.Option(..., "--kind", help=KIND_HELP),
        title_ja: str = typer.Option(..., "--title-ja", help="募集の名称 / title in Japanese"),
        title_en: str = typer.Option("", "--title-en", help="英語の名称 / title in English"),
        opens: str = typer.Option(..., "--opens", help="受付開始日 YYYY-MM-DD / first day of applications"),
        closes: str = typer.Option(..., "--closes", help="受付終了日 YYYY-MM-DD / last day of applications"),
        publication: Optional[str] = typer.Option(None, "--publication",
                                                  help="結果の公表日 YYYY-MM-DD / results published on"),
        requires_consultation: bool = typer.Option(False, "--requires-consultation",
                                                   help="事前相談を必要とする / a prior consultation is required"),
        pass_mark: Optional[str] = typer.Option(None, "--pass-mark",
                                                help="合格点（100点満点、既定60）/ pass mark of 100 (default 60)"),
        guidelines: Optional[str] = typer.Option(None, "--guidelines", help="募集要項の本文 / the guidelines' text"),
        guidelines_file: Optional[Path] = typer.Option(None, "--guidelines-file",
                                                       help="募集要項のファイル（UTF-8）/ the guidelines from a UTF-8 file"),
        ) -> None:
    """募集を登録します（未公表）/ declare a round (not yet published)."""
    text = _guidelines(guidelines, guidelines_file)
    require_schema()
    values = dict(code=code, fiscal_year=fiscal_year, kind=kind, title_ja=title_ja, title_en=title_en,
                  guidelines=text, opens_on=opens, closes_on=closes, publication_on=publication,
                  requires_consultation=requires_consultation, pass_mark=pass_mark)
    with new_session() as s:
        creator = directory.system_actor(s).user_id
        try:
            with write(s):
                rounds.declare(s, values, created_by=creator, clock=SystemClock())
        except rounds.RoundProblems as exc:
            _problems(exc)
    console.print(f"募集「{title_ja}」（{code}）を登録しました。テーマ（kyodo rounds theme）と審査基準（kyodo rounds criterion）"
                  f"を登録してから、kyodo rounds publish {code} で公表します。")
    console.print(f"[dim]round {code} declared; add themes and criteria, then publish with: kyodo rounds publish {code}[/]")


@app.command("theme")
@friendly
def theme(code: str = typer.Argument(..., help=CODE_HELP),
          department: str = typer.Option(..., "--department", "-d", help="所管課のコード / department code"),
          title: str = typer.Option(..., "--title", help="テーマ / the theme"),
          description: str = typer.Option("", "--description", help="テーマの説明 / description"),
          budget: Optional[str] = typer.Option(None, "--budget", help="事業費の上限額（円）/ budget ceiling in yen"),
          project_fiscal_year: Optional[str] = typer.Option(None, "--project-fiscal-year",
                                                            help="事業の実施年度（既定は翌年度）/ the project's fiscal "
                                                                 "year (default: the next)"),
          ) -> None:
    """募集にテーマを追加します / add a theme offered by a department."""
    require_schema()
    with new_session() as s:
        rid = _round_id(s, code)
        values = dict(department_id=_department_id(s, department), title=title, description=description,
                      budget_ceiling_yen=budget, project_fiscal_year=project_fiscal_year)
        try:
            with write(s):
                rounds.add_theme(s, rid, values, clock=SystemClock())
        except rounds.RoundProblems as exc:
            _problems(exc)
    console.print(f"募集「{code}」にテーマ「{title}」を追加しました。")
    console.print(f"[dim]theme added to {code}[/]")


@app.command("criterion")
@friendly
def criterion(code: str = typer.Argument(..., help=CODE_HELP),
              key: str = typer.Argument(..., help="審査基準のキー（例：feasibility）/ the criterion's key"),
              label_ja: Optional[str] = typer.Option(None, "--label-ja", help="審査基準の名称 / name in Japanese"),
              label_en: Optional[str] = typer.Option(None, "--label-en", help="英語の名称 / name in English"),
              weight: Optional[str] = typer.Option(None, "--weight", help="配点（合計100）/ weight (they add up to 100)"),
              max_points: Optional[str] = typer.Option(None, "--max-points",
                                                       help="評点の上限（既定5）/ highest score (default 5)"),
              ) -> None:
    """審査基準を追加します。同じキーがあれば、指定した項目を変更します / add a criterion, or change the one with this key."""
    require_schema()
    with new_session() as s:
        rid = _round_id(s, code)
        existing = rounds.criterion_by_key(s, rid, key)
        if existing is None:
            values = dict(key=key, label_ja=label_ja, label_en=label_en or "", weight=weight, max_points=max_points)
        else:
            given = dict(label_ja=label_ja, label_en=label_en, weight=weight, max_points=max_points)
            values = {"key": key, **{k: getattr(existing, k) if v is None else v for k, v in given.items()}}
        try:
            with write(s):
                if existing is None:
                    rounds.add_criterion(s, rid, values, clock=SystemClock())
                    said = (f"募集「{code}」に審査基準「{key}」を追加しました。", f"criterion {key} added to {code}")
                elif rounds.edit_criterion(s, rid, existing.id, values, clock=SystemClock()):
                    said = (f"募集「{code}」の審査基準「{key}」を変更しました。", f"criterion {key} of {code} changed")
                else:
                    said = ("変更はありませんでした。", "nothing changed")
        except rounds.RoundProblems as exc:
            _problems(exc)
        total = sum(c.weight for c in rounds.round_detail(s, round_id=rid).criteria)
    console.print(said[0] + f"（配点の合計：{total}点）")
    console.print(f"[dim]{said[1]} (weights total {total})[/]")


@app.command("publish")
@friendly
def publish(code: str = typer.Argument(..., help=CODE_HELP)) -> None:
    """募集を公表します。公表できない理由があればすべて示します / publish a round, or say every reason it cannot be."""
    require_schema()
    with new_session() as s:
        rid = _round_id(s, code)
        detail = rounds.round_detail(s, round_id=rid)
        # Every problem on a line of its own; an already published round is said by publish itself.
        problems = [] if detail.round.published else detail.problems
        if problems:
            fail("公表できません。\n" + "\n".join(f"  ・{ja}" for ja, _ in problems),
                 "cannot publish:\n" + "\n".join(f"  - {en}" for _, en in problems),
                 f"直してから、もう一度実行してください（確認は kyodo rounds show {code}）。",
                 f"fix them and run the command again (see kyodo rounds show {code})")
        with write(s):
            rounds.publish(s, rid, clock=SystemClock())
    console.print(f"募集「{code}」を公表しました。公開ページ：/public/rounds/{code}")
    console.print(f"[dim]round {code} is published: /public/rounds/{code}[/]")


def _phase(r: rounds.RoundView, today) -> str:
    return {rounds.UPCOMING: "受付開始前 / opens soon", rounds.ACCEPTING: "受付中 / accepting",
            rounds.ENDED: "受付終了 / closed"}[r.phase(today)]


@app.command("list")
@friendly
def list_rounds() -> None:
    """募集の一覧（未公表を含む）/ list rounds, drafts included."""
    require_schema()
    with new_session() as s:
        found = rounds.all_rounds(s)
    if not found:
        console.print("募集はまだ登録されていません。kyodo rounds add で登録します。/ no round yet.")
        return
    today = japan_today(SystemClock())
    table = Table("コード / code", "名称 / title", "年度 / FY", "種類 / kind", "受付期間 / window", "公表 / published")
    for r in found:
        table.add_row(r.code, r.title_ja, era_year(r.fiscal_year), f"{r.kind_label[0]} / {r.kind}",
                      f"{jdate(r.opens_on)} 〜 {jdate(r.closes_on)}",
                      f"公表済み / published（{_phase(r, today)}）" if r.published else "未公表 / draft")
    console.print(table)


@app.command("show")
@friendly
def show(code: str = typer.Argument(..., help=CODE_HELP)) -> None:
    """募集の内容（テーマ・審査基準・公表できるか）/ show a round with its themes and criteria."""
    require_schema()
    with new_session() as s:
        d = rounds.round_detail(s, round_id=_round_id(s, code))
    r = d.round
    console.print(f"[bold]{r.title_ja}[/]" + (f" / {r.title_en}" if r.title_en else "") + f"（{r.code}）")
    console.print(f"  年度 / FY: {era_year(r.fiscal_year)}（{r.fiscal_year}年度）")
    console.print(f"  種類 / kind: {r.kind_label[0]} / {r.kind_label[1]}")
    console.print(f"  受付期間 / window: {jdate(r.opens_on)} 〜 {jdate(r.closes_on)}")
    console.print(f"  事前相談 / prior consultation: {'必要 / required' if r.requires_consultation else '任意 / optional'}")
    console.print(f"  合格点 / pass mark: {r.pass_mark} / 100")
    console.print(f"  結果の公表日 / results published on: {jdate(r.publication_on)}")
    console.print(f"  公表 / published: {jtime(r.published_at) if r.published else '未公表 / not yet'}")
    if d.themes:
        table = Table("テーマ / theme", "所管課 / department", "上限額 / ceiling", "実施年度 / project FY")
        for t in d.themes:
            ceiling = f"{t.budget_ceiling_yen:,}円" if t.budget_ceiling_yen is not None else "上限なし / none"
            table.add_row(t.title, f"{t.department_ja}（{t.department_code}）", ceiling, era_year(t.project_fiscal_year))
        console.print(table)
    if d.criteria:
        table = Table("キー / key", "審査基準 / criterion", "配点 / weight", "評点の上限 / max")
        for c in d.criteria:
            table.add_row(c.key, c.label_ja + (f" / {c.label_en}" if c.label_en else ""), str(c.weight), str(c.max_points))
        table.add_row("", "合計 / total", str(d.weight_total), "")
        console.print(table)
    if not r.published:
        if d.problems:
            console.print("公表する前に / before publishing:")
            for ja, en in d.problems:
                console.print(f"  ・{ja}\n    [dim]{en}[/]")
        else:
            console.print(f"公表できます：kyodo rounds publish {r.code} / ready to publish")
