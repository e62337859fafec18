"""`kyodo states …`: check the lifecycle definitions and draw them."""

from __future__ import annotations

import typer

from cli.errors import fail
from cli.output import console
from states import LIFECYCLES
from states.validate import problems
from workflow.engine.machine import machine_for, mermaid
from workflow.rules import catalogue

app = typer.Typer(help="ライフサイクル定義 / the lifecycle definitions", no_args_is_help=True)


def engine_problems(name: str) -> list[str]:
    """What the definition names that the engine cannot carry out."""
    found = catalogue.problems(LIFECYCLES[name])
    if not found:
        machine_for(name)  # building the machine fails loudly on a graph it cannot hold
    return found


@app.command("check")
def check() -> None:
    """定義を検証します / validate every lifecycle (reachability, exits, roles, inputs, deadlines)."""
    failed = False
    for name, lc in LIFECYCLES.items():
        found = problems(lc) + engine_problems(name)
        if found:
            failed = True
            console.print(f"[red]✗[/] {lc.label_ja} ({name})")
            for p in found:
                console.print(f"   - {p}")
        else:
            console.print(f"[green]✓[/] {lc.label_ja} ({name}): "
                          f"{len(lc.states)} states, {len(lc.transitions)} transitions, "
                          f"{len(lc.deadlines)} deadline policies — OK")
    if failed:
        fail("ライフサイクル定義に問題があります。", "the lifecycle definition has problems")


@app.command("diagram")
def diagram(lifecycle: str = typer.Argument("citizen_proposal", help="lifecycle name")) -> None:
    """ライフサイクルを Mermaid 形式で出力します / print the lifecycle as a Mermaid diagram."""
    if lifecycle not in LIFECYCLES:
        fail(f"ライフサイクル「{lifecycle}」はありません。", f"unknown lifecycle {lifecycle!r}",
             f"次のいずれかを指定してください：{', '.join(LIFECYCLES)}", f"one of: {', '.join(LIFECYCLES)}")
    print(mermaid(lifecycle), end="")
