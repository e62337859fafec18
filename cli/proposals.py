"""`kyodo proposals …`: list cases, show one (state, history, deadlines), fire a trigger."""

from __future__ import annotations

import typer
from rich.table import Column, Table

from cli.database import require_schema
from cli.errors import fail, friendly
from cli.output import console, jdate, jtime, state_label, trigger_label
from db.models import Department, Organisation
from db.session import new_session
from states import LIFECYCLES, Lifecycle, lifecycle_of
from states.common import REVIEW_CRITERIA
from states.vocabulary import FIELDS
from workflow import engine
from workflow.actors import load_actor_by_login
from workflow.calls import MAX_REVIEW_TOTAL, score_table
from workflow.proposals import revisions
from workflow.queries import cases as queries

app = typer.Typer(help="提案 / proposals", no_args_is_help=True)


@app.command("list")
@friendly
def list_command(state: str = typer.Option(None, help="この状態のものだけ / only this state")) -> None:
    """提案・公募の一覧 / list proposals and calls."""
    if state:
        _require_known_state(state)
    require_schema()
    with new_session() as s:
        lines = queries.list_proposals(s, state=state)
    if not lines:
        console.print("提案はまだありません。/ no proposals yet.")
        return
    table = Table("ID", "事業名 / title", "団体 / group", "状態 / state", "所管課 / department", "次の期限 / next due")

    for p in lines:
        # A call for partners (Art. 9) has no partner until its selection.
        table.add_row(str(p.id), p.title, p.organisation or "—", state_label(lifecycle_of(p), p.state),
                      p.department or "—",
                      jdate(p.next_due) if p.next_due else "—")
    console.print(table)


def _require_known_state(state: str) -> None:
    """Refuse a state no lifecycle has, naming every lifecycle's states (a typo would list nothing)."""
    if any(lc.has_state(state) for lc in LIFECYCLES.values()):
        return
    per = "; ".join(f"{name}: {', '.join(st.name for st in lc.states)}" for name, lc in LIFECYCLES.items())
    fail(f"状態「{state}」はどのライフサイクルにもありません。", f"unknown state {state!r}",
         f"次のいずれかを指定してください（{per}）", f"use one of ({per})")


@app.command("show")
@friendly
def show(proposal_id: int = typer.Argument(..., help="提案番号 / proposal id")) -> None:
    """提案・公募の詳細：状態・応募と審査結果・履歴・期限 / one case: state, applications, history, deadlines."""
    require_schema()
    with new_session() as s:
        row = engine.load_case_row(s, proposal_id)
        lc = queries.lifecycle_of(row)
        console.print(f"[bold]案件 {row.id}: {row.title}[/]  (version {row.version}, revision {row.revision})")
        console.print(f"種別 / kind: {lc.label_ja} / {lc.label_en}")
        console.print(f"状態 / state: [bold]{state_label(lc, row.state)}[/]")
        field = FIELDS.get(row.field or 0, ("—", "—"))
        console.print(f"分野 / field: {field[0]} / {field[1]}")
        org = s.get(Organisation, row.organisation_id) if row.organisation_id else None
        dept = s.get(Department, row.department_id) if row.department_id else None
        # A call for partners (Art. 9) has no partner until its selection.
        console.print(f"団体 / group: {org.name if org else '—'}")
        console.print(f"所管課 / department: {dept.name_ja if dept else '—'}")
        if row.closing_on or row.selection_criteria:
            console.print(f"選定基準 / selection criteria: {row.selection_criteria or '—'}")
            console.print(f"応募締切日 / closing date: {jdate(row.closing_on)}")
            if not print_scores(s, lc, proposal_id):
                console.print("応募 / applications: まだありません / none yet")
        d = queries.decision(s, proposal_id)
        if d:
            decided = next((t for t in lc.transitions if t.outcome == d.outcome and "reasons" in t.inputs), None)
            outcome = f"{decided.label_ja} / {decided.label_en}" if decided else d.outcome
            console.print(f"決定 / decision: {outcome}  {d.document_number}  {jtime(d.decided_at)}")
            console.print(f"  理由 / reasons: {d.reasons}")
        contract, amendments = queries.contract(s, proposal_id)
        if contract:
            kind = "軽易なものとして省略 / waived (minor case)" if contract.exempt else contract.form
            console.print(f"協働契約 / contract: {kind}; {jdate(contract.period_start)} – {jdate(contract.period_end)}; "
                          f"{contract.amount_yen if contract.amount_yen is not None else '—'} 円; "
                          f"{len(amendments)} amendment(s)")
        now = queries.possible_triggers(s, lc, row)
        console.print("今できる操作 / possible now: " + (
            ", ".join(f"{t.trigger} ({'/'.join(t.roles)})" for t in now) or "なし / none"))

        print_history(s, lc, proposal_id)
        dl = Table("期限 / deadline", "対応者 / waits on", "期日 / due", "状況 / status", title="期限 / deadlines")
        for d in queries.deadlines(s, proposal_id):
            policy = lc.deadline(d.key)
            label = policy.label_ja + (f"（{d.scope}）" if d.scope else "")
            dl.add_row(label, d.waits_on, jdate(d.due_on), "完了 / closed" if d.closed_at else "[bold]未了 / open[/]")
        console.print(dl)
        revs = revisions(s, proposal_id)
        console.print(f"版 / revisions: " + ", ".join(f"{r.number} ({jtime(r.created_at)})" for r in revs))


def print_scores(s, lc: Lifecycle, proposal_id: int) -> bool:
    """Every application to a call with every reviewer's scores (staff only); False when there is none."""
    table = score_table(s, proposal_id)
    if not table:
        return False
    # Japanese has no spaces to wrap at: fold the long cells rather than cut them short.
    out = Table("応募 / application", Column("団体 / group", overflow="fold"), "提案金額 / amount",
                Column("審査 / reviews", overflow="fold"), "平均 / mean", "順位 / rank", "状況 / status",
                title=f"応募と審査結果 / applications and scores（1人{MAX_REVIEW_TOTAL}点満点 / out of {MAX_REVIEW_TOTAL}）")
    for a in table:
        reviews = "\n".join(
            f"{r.reviewer_name}: " + "・".join(f"{lc.input(c).label_ja}{r.scores[c]}" for c in REVIEW_CRITERIA)
            + f"＝{r.total}" + (f" {r.comment}" if r.comment else "")
            for r in a.reviews) or "—"
        status = "選定 / selected" if a.selected else ("取下げ / withdrawn" if a.withdrawn else "")
        amount = f"{a.proposed_amount_yen:,} 円" if a.proposed_amount_yen is not None else "—"
        out.add_row(str(a.application_id), f"{a.organisation_name}\n{a.summary}", amount, reviews,
                    str(a.average_total) if a.average_total is not None else "—",
                    str(a.rank) if a.rank is not None else "—", status)
    console.print(out)
    return True


def print_history(s, lc, proposal_id: int, title: str = "履歴 / history") -> None:
    hist = Table("#", "日時 / when (JST)", "操作 / trigger", "状態 / state", "実施者 / by", title=title)
    for ev, name in queries.history(s, proposal_id):
        move = lc.state(ev.to_state).label_ja if ev.from_state == ev.to_state else \
            f"{lc.state(ev.from_state).label_ja} → {lc.state(ev.to_state).label_ja}"
        label = trigger_label(lc, ev.trigger).split(" / ")[0]
        hist.add_row(str(ev.seq), jtime(ev.at), f"{label} ({ev.trigger})", move, f"{name} ({ev.actor_role})")
    console.print(hist)


def _parse_inputs(pairs: list[str]) -> dict[str, object]:
    values: dict[str, object] = {}
    for pair in pairs:
        if "=" not in pair:
            fail(f"入力「{pair}」は 項目=値 の形で指定してください。", f"input {pair!r} must be name=value",
                 "例：--input reasons=公益性が高いため", "e.g. --input reasons='clear public benefit'")
        name, value = pair.split("=", 1)
        values[name.strip()] = value
    return values


@app.command("trigger")
@friendly
def trigger(
    proposal_id: int = typer.Argument(..., help="提案番号 / proposal id"),
    name: str = typer.Argument(..., help="操作 / trigger, e.g. adopt"),
    as_login: str = typer.Option(..., "--as", help="操作する利用者のログイン名 / acting user's login"),
    inputs: list[str] = typer.Option([], "--input", "-i", help="項目=値 / name=value"),
    expected_version: int = typer.Option(None, "--version", help="確認した版 / the version you saw"),
) -> None:
    """操作を実行します / apply a trigger to a proposal as a user."""
    require_schema()
    values = _parse_inputs(inputs)
    with new_session() as s:
        actor = load_actor_by_login(s, as_login)
        out = engine.apply(s, proposal_id, name, actor, values, expected_version=expected_version)
        lc = queries.lifecycle_of(engine.load_case_row(s, proposal_id))
    console.print(f"{trigger_label(lc, out.trigger)}: {state_label(lc, out.from_state)} → "
                  f"{state_label(lc, out.to_state)} (version {out.version})")
