"""The budget an adopted round proposal waits for (予算化), and the fiscal year its contract is for.

A proposal made in a round runs in the fiscal year its theme says (``RoundTheme.
project_fiscal_year``); a free proposal in a round (no theme) runs in the year after the
round's, as cities budget the projects they adopt in one year for the next. A proposal
outside any round has no such year: it is contracted when adopted, as before.

While that year has not begun, adopting the proposal leads to the wait for its budget
(the lifecycle's transition guarded by ``budget_awaited``); the plain adoption
(``budget_in_hand``) is offered only when the year has begun or there is none. Both rules
hide the transition they guard when they do not hold (``Condition.hides``): for a given
case only one of the two adoptions exists. The contract is then concluded for that year
(``contract_in_project_year``): its period starts inside it, and its amount stays within
the theme's budget ceiling.

"Today" is the Japan date of the engine's clock.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlmodel import Session

from db.models import ProposalRound, RoundTheme
from workflow.calendar.clock import japan_today
from workflow.calendar.japan import (
    english_date,
    english_fiscal_year,
    era_date,
    era_year,
    fiscal_year,
    fiscal_year_end,
    fiscal_year_start,
)

if TYPE_CHECKING:
    from workflow.engine.context import Case

CONTRACT_YEAR = "contract_in_project_year"


def project_year(session: Session, proposal: Any) -> tuple[int, int | None] | None:
    """(fiscal year the project runs in, budget ceiling in yen or None), or None outside a round."""
    if proposal.round_id is None:
        return None
    if proposal.theme_id is not None:
        found = session.execute(select(RoundTheme.project_fiscal_year, RoundTheme.budget_ceiling_yen)
                                .where(RoundTheme.id == proposal.theme_id)).first()
        if found is not None:
            return int(found[0]), found[1]
    round_year = session.execute(select(ProposalRound.fiscal_year)
                                 .where(ProposalRound.id == proposal.round_id)).scalar()
    return None if round_year is None else (int(round_year) + 1, None)


def _year(case: Case) -> tuple[int, int | None] | None:
    key = ("project_year", case.proposal_id)
    if key not in case.memo:
        case.memo[key] = project_year(case.session, case.proposal)
    return case.memo[key]


def _later_year(case: Case) -> int | None:
    """The project's fiscal year when it has not begun yet (Japan date), else None."""
    found = _year(case)
    if found is None or found[0] <= fiscal_year(japan_today(case.clock)):
        return None
    return found[0]


def awaited_year(case: Case) -> int | None:
    """The fiscal year whose budget an adoption now waits for (the decision notice names it), else None."""
    return _later_year(case)


def budget_in_hand(case: Case) -> bool:
    return _later_year(case) is None


def budget_awaited(case: Case) -> bool:
    return _later_year(case) is not None


def contract_in_project_year(case: Case) -> bool:
    found = _year(case)
    if found is None:
        return True
    fy, ceiling = found
    v = case.values
    start, first, last = v["period_start"], fiscal_year_start(fy), fiscal_year_end(fy)
    if not first <= start <= last:
        case.memo[("unmet", CONTRACT_YEAR)] = (
            f"この事業は{era_year(fy)}の事業として採用されています。契約期間の開始日は"
            f"{era_date(first)}から{era_date(last)}までの日にしてください。",
            f"This project was adopted for {english_fiscal_year(fy)}: the contract period must start between "
            f"{english_date(first)} and {english_date(last)}.")
        return False
    amount = v.get("amount_yen")
    if ceiling is not None and amount is not None and amount > ceiling:
        case.memo[("unmet", CONTRACT_YEAR)] = (
            f"契約金額（{amount:,}円）がテーマの予算上限（{ceiling:,}円）を超えています。",
            f"The contract amount (¥{amount:,}) is above the theme's budget ceiling (¥{ceiling:,}).")
        return False
    return True


def project_year_start(case: Case) -> date:
    """The first day of the fiscal year the project runs in: the day its budget must be in place."""
    found = _year(case)
    fy = found[0] if found is not None else fiscal_year(japan_today(case.clock))
    return fiscal_year_start(fy)


CONDITIONS = {f.__name__: f for f in (budget_in_hand, budget_awaited, contract_in_project_year)}
