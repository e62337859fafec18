"""A proposal made in a round (募集): received inside the round's window, after the prior
consultation the round asks for. A proposal outside any round meets both rules.

"Today" is the Japan date of the engine's clock; the window includes its last day whole.
When a rule does not hold, what a page can say of it with the round's own dates is kept
in ``case.memo`` under ``("unmet", name)`` as (Japanese, English).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from workflow import round_entry
from workflow.calendar.clock import japan_today

if TYPE_CHECKING:
    from workflow.engine.context import Case


def _round(case: Case):
    key = ("round", case.proposal.round_id)
    if key not in case.memo:
        case.memo[key] = round_entry.get_round(case.session, case.proposal.round_id)
    return case.memo[key]


def round_window_open(case: Case) -> bool:
    r = _round(case)
    if r is None:
        return True
    today = japan_today(case.clock)
    if round_entry.accepting(r, today):
        return True
    case.memo[("unmet", round_entry.WINDOW)] = round_entry.outside_window(r, today)
    return False


def round_consultation_held(case: Case) -> bool:
    r = _round(case)
    if r is None or not r.requires_consultation:
        return True
    if round_entry.consultation_held(case.session, case.proposal.organisation_id, r.id, japan_today(case.clock)):
        return True
    case.memo[("unmet", round_entry.CONSULTATION)] = round_entry.consultation_needed(r)
    return False


CONDITIONS = {f.__name__: f for f in (round_window_open, round_consultation_held)}
