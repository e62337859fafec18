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
    """A trigger as people read it (creation included); a name the lifecycle does not know, as is."""
    label = lc.trigger_label(trigger)
    return f"{label[0]} / {label[1]}" if label else trigger
