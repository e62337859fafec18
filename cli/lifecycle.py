"""`kyodo states …`: check the lifecycle definitions, compare and draw their versions, move running cases.

Every version still declared is checked, not only the newest: cases run under each of
them. ``migrate`` moves the cases running under an old version as a plan in
``states/plans/`` says; ``--dry-run`` shows every case and what would happen to it first.
"""

from __future__ import annotations

import typer
from rich.markup import escape
from rich.table import Column, Table

from cli.database import require_schema
from cli.errors import fail, friendly
from cli.output import console
from config import get_settings
from db.session import new_session
from states import LIFECYCLES, VERSIONS, Lifecycle
from states.diff import diff as diff_versions
from states.migration_plan import MigrationPlan, problems as plan_problems
from states.plans import PLANS
from states.registry import BY_VERSION
from states.validate import problems
from workflow import lifecycle_migration
from workflow.calendar.clock import SystemClock
from workflow.calendar.japan import era_date
from workflow.directory import system_actor
from workflow.engine.machine import machine_for, mermaid
from workflow.rules import catalogue

app = typer.Typer(help="ライフサイクル定義 / the lifecycle definitions", no_args_is_help=True)

REF_HELP = "ライフサイクル名、または 名前@版（例 citizen_proposal@2）/ a lifecycle, or name@version"


def engine_problems(lc: Lifecycle) -> list[str]:
    """What the definition names that the engine cannot carry out."""
    found = catalogue.problems(lc)
    if not found and (lc.name, lc.version) in BY_VERSION:
        machine_for(lc.name, lc.version)  # building the machine fails loudly on a graph it cannot hold
    return found


def version_text(lc: Lifecycle) -> str:
    """``版2 / version 2 (令和9年4月1日施行 / in force from 2027-04-01)``."""
    return (f"版{lc.version} / version {lc.version} "
            f"({era_date(lc.effective)}施行 / in force from {lc.effective.isoformat()})")


def _versions_to_check(name: str, newest: Lifecycle) -> list[Lifecycle]:
    # ``LIFECYCLES`` gives the newest version (tests swap it for a broken copy); the
    # earlier ones still run cases, so they are checked as well.
    older = [lc for lc in VERSIONS.get(name, ()) if lc.version != newest.version]
    return sorted(older + [newest], key=lambda lc: lc.version)


@app.command("check")
def check() -> None:
    """定義と移行計画を検証します / validate every version of every lifecycle, and every migration plan."""
    failed = False
    checked: dict[tuple[str, int], Lifecycle] = dict(BY_VERSION)
    for name, newest in LIFECYCLES.items():
        for lc in _versions_to_check(name, newest):
            checked[(lc.name, lc.version)] = lc
            found = problems(lc) + engine_problems(lc)
            if found:
                failed = True
                console.print(f"[red]✗[/] {escape(lc.label_ja)} ({name}) {version_text(lc)}")
                for p in found:
                    console.print(f"   - {escape(p)}")
            else:
                console.print(f"[green]✓[/] {escape(lc.label_ja)} ({name}) {version_text(lc)}: "
                              f"{len(lc.states)} states, {len(lc.transitions)} transitions, "
                              f"{len(lc.deadlines)} deadline policies — OK")
    for plan_name, plan in PLANS.items():
        found = plan_problems(plan, checked)
        route = f"版{plan.from_version} → 版{plan.to_version} / version {plan.from_version} → {plan.to_version}"
        if found:
            failed = True
            console.print(f"[red]✗[/] 移行計画 / plan {escape(plan.label_ja)} ({plan_name}) {route}")
            for p in found:
                console.print(f"   - {escape(p)}")
        else:
            console.print(f"[green]✓[/] 移行計画 / plan {escape(plan.label_ja)} ({plan_name}) {route}: "
                          f"{len(plan.moves)} states planned — OK")
    if failed:
        fail("ライフサイクル定義または移行計画に問題があります。",
             "the lifecycle definitions or migration plans have problems",
             "上に示した箇所を直してください。", "correct what is listed above")


# --- naming a version: ``name`` (the newest) or ``name@version``


def resolve(ref: str) -> Lifecycle:
    """The version ``ref`` names; a mistake ends the command with a bilingual message."""
    name, at, version_text_ = ref.partition("@")
    known_names = ", ".join(LIFECYCLES)
    if not name:
        fail(f"「{ref}」にはライフサイクル名がありません。", f"{ref!r} names no lifecycle",
             "名前@版 の形で指定してください（例 citizen_proposal@2）。",
             "write name@version, for example citizen_proposal@2")
    if name not in LIFECYCLES:
        fail(f"ライフサイクル「{name}」はありません。", f"unknown lifecycle {name!r}",
             f"次のいずれかを指定してください：{known_names}", f"one of: {known_names}")
    versions = [lc.version for lc in VERSIONS.get(name, ())] or [LIFECYCLES[name].version]
    known_versions = ", ".join(f"{name}@{v}" for v in versions)
    if not at:
        return LIFECYCLES[name]
    if not version_text_.isdigit():
        fail(f"「{ref}」の版が読めません。版は数字で指定してください。",
             f"cannot read the version in {ref!r}: give it as a number",
             f"指定できる版：{known_versions}", f"known versions: {known_versions}")
    version = int(version_text_)
    if LIFECYCLES[name].version == version:
        return LIFECYCLES[name]
    lc = next((lc for lc in VERSIONS.get(name, ()) if lc.version == version), None)
    if lc is None:
        fail(f"ライフサイクル「{name}」に版{version}はありません。", f"{name} has no version {version}",
             f"指定できる版：{known_versions}", f"known versions: {known_versions}")
    return lc


def _header(lc: Lifecycle) -> None:
    console.print(f"  版{lc.version}（{era_date(lc.effective)}施行）：{escape(lc.amendment_ja)}")
    console.print(f"  [dim]version {lc.version} (in force from {lc.effective.isoformat()}): "
                  f"{escape(lc.amendment_en)}[/]")


@app.command("diff")
def diff(old_ref: str = typer.Argument(..., metavar="OLD", help=REF_HELP),
         new_ref: str = typer.Argument(..., metavar="NEW", help=REF_HELP)) -> None:
    """二つの版の違いを表示します / show what one version of a lifecycle changes against another."""
    old, new = resolve(old_ref), resolve(new_ref)
    if old.name != new.name:
        fail(f"別々のライフサイクル（{old.name} と {new.name}）は比べられません。",
             f"{old.name} and {new.name} are different lifecycles; compare two versions of one",
             f"例：kyodo states diff {old.name}@1 {old.name}@2",
             f"for example: kyodo states diff {old.name}@1 {old.name}@2")
    console.print(f"{escape(new.label_ja)} ({new.name}): {old.ref} → {new.ref}")
    _header(old)
    _header(new)
    changes = diff_versions(old, new)
    if not changes:
        console.print("違いはありません。")
        console.print("[dim]no differences[/]")
        return
    console.print(f"{len(changes)}件の違いがあります。")
    console.print(f"[dim]{len(changes)} difference(s)[/]")
    for change in changes:
        console.print(f"- {escape(change.ja)}")
        console.print(f"  [dim]{escape(change.en)}[/]")


@app.command("diagram")
def diagram(lifecycle: str = typer.Argument("citizen_proposal", help=REF_HELP)) -> None:
    """ライフサイクルを Mermaid 形式で出力します / print a lifecycle (any version) as a Mermaid diagram."""
    lc = resolve(lifecycle)
    print(mermaid(lc.name, lc.version), end="")


# --- moving running cases to a new version


def _state(lc: Lifecycle, name: str | None) -> str:
    if name is None:
        return "—"
    if not lc.has_state(name):
        return name
    return f"{lc.state(name).label_ja} ({name})"


def _deadline_lines(new: Lifecycle, planned: lifecycle_migration.PlannedMove) -> str:
    lines = []
    for d in planned.deadlines:
        policy = new._index["deadlines"].get(d.key)
        label = policy.label_ja if policy else d.key
        key = f"{label} ({d.key}{':' + d.scope if d.scope else ''})"
        if d.kept == "passed":
            lines.append(f"{key}: {d.due_before.isoformat()} 据え置き（期限経過）/ kept: passed")
        elif d.kept == "same":
            lines.append(f"{key}: {d.due_before.isoformat()} 変更なし / unchanged")
        else:
            lines.append(f"{key}: {d.due_before.isoformat()} → {d.due_after.isoformat()}")
    return "\n".join(lines) or "—"


def _plan_header(plan: MigrationPlan, old: Lifecycle, new: Lifecycle) -> None:
    console.print(f"移行計画「{escape(plan.label_ja)}」({plan.name}): {old.ref} → {new.ref}")
    console.print(f"[dim]plan: {escape(plan.label_en)}[/]")
    _header(old)
    _header(new)


def _plan_table(plan: MigrationPlan, old: Lifecycle, new: Lifecycle,
                planned: list[lifecycle_migration.PlannedMove]) -> Table:
    table = Table("ID", Column("件名 / title", overflow="fold"), "現在の状態 / from", "移行先 / to",
                  Column("理由 / reason", overflow="fold"), "期限 / deadlines", "未送信の通知 / notices owed")
    for p in planned:
        if p.problems:
            to = "[red]移行できません / cannot move[/]"
            reason = "[red]" + escape("; ".join(p.problems)) + "[/]"
        elif p.to_state is None:
            to = f"旧版のまま / stays on version {plan.from_version}"
            reason = f"{escape(p.reason_ja)}\n[dim]{escape(p.reason_en)}[/]"
        else:
            to = escape(_state(new, p.to_state))
            reason = f"{escape(p.reason_ja)}\n[dim]{escape(p.reason_en)}[/]"
        table.add_row(str(p.proposal_id), escape(p.title or ""), escape(_state(old, p.from_state)), to, reason,
                      escape(_deadline_lines(new, p)), str(p.notices_owed))
    return table


@app.command("migrate")
@friendly
def migrate(plan_name: str = typer.Argument(..., metavar="PLAN", help="移行計画の名前 / the plan's name"),
            dry_run: bool = typer.Option(False, "--dry-run",
                                         help="何も変えずに、各案件がどうなるかを表示します / "
                                              "show what would happen to each case, changing nothing")) -> None:
    """実行中の案件を新しい版に移行します / move running cases to a new version of their lifecycle."""
    plan = lifecycle_migration.plan_named(plan_name)
    found = plan_problems(plan, BY_VERSION)
    if found:
        fail("移行計画に誤りがあるため、実行しません：" + "／".join(found),
             "the plan has mistakes, so nothing is done: " + "; ".join(found),
             "kyodo states check で確かめてください。", "see kyodo states check")
    old, new = BY_VERSION[(plan.lifecycle, plan.from_version)], BY_VERSION[(plan.lifecycle, plan.to_version)]
    require_schema()
    settings, clock = get_settings(), SystemClock()
    _plan_header(plan, old, new)
    with new_session() as s:
        planned = lifecycle_migration.dry_run(s, plan, clock, settings)
        if dry_run:
            _print_dry_run(plan, old, new, planned)
            return
        if not planned:
            _nothing_to_move(plan)
            return
        actor = system_actor(s)
        seen: dict[int, lifecycle_migration.PlannedMove] = {}
        report = lifecycle_migration.run(s, plan, actor, clock=clock, settings=settings,
                                         progress=lambda p: seen.__setitem__(p.proposal_id, p))
    for pid in report.moved:
        p = seen[pid]
        console.print(f"#{pid} {escape(p.title or '')}: {escape(_state(old, p.from_state))} → "
                      f"{escape(_state(new, p.to_state))} ({new.ref})")
    console.print(f"移行しました：{len(report.moved)}件、旧版のまま：{len(report.stayed)}件、"
                  f"ほかの処理で移行済み：{len(report.already)}件")
    console.print(f"[dim]moved: {len(report.moved)}, stayed on version {plan.from_version}: "
                  f"{len(report.stayed)}, already moved: {len(report.already)}[/]")


def _nothing_to_move(plan: MigrationPlan) -> None:
    console.print(f"版{plan.from_version}で進行中の案件はありません。移行するものはありません。")
    console.print(f"[dim]no case runs on version {plan.from_version}: nothing to move[/]")


def _print_dry_run(plan: MigrationPlan, old: Lifecycle, new: Lifecycle,
                   planned: list[lifecycle_migration.PlannedMove]) -> None:
    if not planned:
        _nothing_to_move(plan)
        return
    console.print(_plan_table(plan, old, new, planned))
    moving = sum(1 for p in planned if p.to_state is not None and not p.problems)
    staying = sum(1 for p in planned if p.to_state is None and not p.problems)
    refused = [p for p in planned if p.problems]
    console.print(f"移行予定：{moving}件、旧版のまま：{staying}件（試行のため、何も変更していません）")
    console.print(f"[dim]would move: {moving}, would stay on version {plan.from_version}: {staying} "
                  f"(dry run: nothing was changed)[/]")
    if refused:
        ids = ", ".join(f"#{p.proposal_id}" for p in refused)
        fail(f"{len(refused)}件の案件（{ids}）が移行できないため、この計画は実行できません。",
             f"{len(refused)} case(s) ({ids}) cannot move, so the plan would be refused",
             "表の理由を確かめ、移行計画または新しい版を直してください。",
             "see the reasons in the table, and correct the plan or the new version")
