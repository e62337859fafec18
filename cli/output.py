"""How the command line shows things: Japanese first, English beside it, Japan time."""

from __future__ import annotations

from datetime import date, datetime

from rich.console import Console

from states import Lifecycle
from workflow.calendar.japan import era_date
from workflow.calendar.clock import to_japan

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


def jdate(d: date | None) -> str:
    return f"{era_date(d)} ({d.isoformat()})" if d else "—"


def jtime(dt: datetime | None) -> str:
    if dt is None:
        return "—"
    local = to_japan(dt)
    return f"{era_date(local.date())} {local:%H:%M}"


def state_label(lc: Lifecycle, state: str) -> str:
    if not lc.has_state(state):
        return state
    s = lc.state(state)
    return f"{s.label_ja} / {s.label_en}"


def trigger_label(lc: Lifecycle, trigger: str) -> str:
    ts = lc.transitions_for(trigger)
    if not ts:
        return {"create": "作成 / created", "save_revision": "提案書を修正 / revised"}.get(trigger, trigger)
    return f"{ts[0].label_ja} / {ts[0].label_en}"
