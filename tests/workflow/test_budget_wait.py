"""Into the next fiscal year: a round's adopted project waits for its budget (予算化), then its
contract is concluded for the fiscal year its theme says, within the theme's budget ceiling.

The round is FY2026's (令和8年度) and its theme's project runs in FY2027 (令和9年度); the
world's clock starts on 6 April 2026.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import select, update

from db.models import Deadline, Decision, Notice, Proposal, RoundTheme
from notifications.render import render
from states import get_lifecycle
from states.stages import ENTRY_STATE
from tests.support import TERMS
from tests.workflow.test_round_entry import at, make_round, make_theme, state_of
from workflow.calendar.clock import JST
from workflow.calendar.japan import add_business_days
from workflow.engine.outbox import decode
from workflow.errors import ConditionNotMet
from workflow.queries.cases import offers

LC = get_lifecycle("citizen_proposal", 1)
# Read from the definition: the two adoptions, the budget's record, the contract.
ADOPT_NOW = next(t for t in LC.transitions if t.outcome == "adopted" and t.dest == ENTRY_STATE)
ADOPT_LATER = next(t for t in LC.transitions if t.outcome == "adopted" and t.dest != ENTRY_STATE)
WAIT = LC.state(ADOPT_LATER.dest)
RECORD_BUDGET = next(t for t in LC.transitions if t.sources == (WAIT.name,) and t.dest == ENTRY_STATE)
CONCLUDE = next(t for t in LC.transitions if t.sources == (ENTRY_STATE,) and t.outcome == "concluded")


def _round_case(world, *, ceiling: int | None = 1_000_000) -> int:
    rid = make_round(world)
    tid = make_theme(world, rid)
    world.s.execute(update(RoundTheme).where(RoundTheme.id == tid).values(budget_ceiling_yen=ceiling))
    world.s.commit()
    pid = world.new_proposal(round_id=rid, theme_id=tid)
    world.to_awaiting_decision(pid)
    return pid


def _offered(world, pid: int, who: str) -> set[str]:
    world.s.rollback()
    row = world.s.get(Proposal, pid)
    return {o.transition.trigger for o in offers(world.s, LC, row, world[who], clock=world.clock,
                                                 settings=world.settings)}


def _open_deadlines(world, pid: int) -> dict[str, date]:
    world.s.rollback()
    return {d.key: d.due_on for d in world.s.execute(
        select(Deadline).where(Deadline.proposal_id == pid, Deadline.closed_at.is_(None))).scalars()}


def test_the_approver_is_offered_only_the_adoption_that_waits_for_the_budget(world):
    pid = _round_case(world)
    offered = _offered(world, pid, "approver")
    assert ADOPT_LATER.trigger in offered
    assert ADOPT_NOW.trigger not in offered  # hidden, not shown as "not yet possible"
    with pytest.raises(ConditionNotMet):
        world.do(pid, ADOPT_NOW.trigger, "approver", reasons="公益性が高いため")
    assert state_of(world, pid) == LC.state("awaiting_decision").name


def test_adopted_it_waits_for_the_budget_due_on_the_first_business_day_of_its_year(world):
    pid = _round_case(world)
    world.do(pid, ADOPT_LATER.trigger, "approver", reasons="審査委員会の評価が高いため")
    assert state_of(world, pid) == WAIT.name
    assert world.s.execute(select(Decision.outcome).where(Decision.proposal_id == pid)).scalar() == "adopted"
    due = _open_deadlines(world, pid)
    assert due == {WAIT.deadline: add_business_days(date(2027, 4, 1), 0)}
    # The department records the budget; it is asked for nothing else meanwhile.
    assert _offered(world, pid, "department") >= {RECORD_BUDGET.trigger}
    assert CONCLUDE.trigger not in _offered(world, pid, "department")


def test_the_decision_notice_tells_the_group_the_contract_follows_that_years_budget(world):
    pid = _round_case(world)
    world.do(pid, ADOPT_LATER.trigger, "approver", reasons="審査委員会の評価が高いため")
    world.s.rollback()
    letters = [n for n in world.s.execute(select(Notice).where(Notice.proposal_id == pid, Notice.kind == "decision",
                                                               Notice.recipient_id == world["proposer"].user_id))
               .scalars()]
    assert len(letters) == 1
    context = decode(letters[0].context)
    ja, en = render("decision", "ja", context), render("decision", "en", context)
    assert "本事業は令和9年度の事業として実施します。同年度の予算の成立後" in ja.text
    assert "The project runs in FY2027" in en.text and "FY2027" in en.html
    # A proposal outside any round is told of its contract as before.
    plain = world.new_proposal()
    world.to_contracting(plain)
    world.s.rollback()
    other = world.s.execute(select(Notice).where(Notice.proposal_id == plain, Notice.kind == "decision")).scalars().first()
    assert "予算の成立後" not in render("decision", "ja", decode(other.context)).text


def test_the_contract_follows_the_budget_and_is_for_the_themes_year_within_its_ceiling(world):
    pid = _round_case(world, ceiling=600_000)
    world.do(pid, ADOPT_LATER.trigger, "approver", reasons="審査委員会の評価が高いため")
    at(world, datetime(2027, 3, 26, 10, tzinfo=JST))  # the council has passed the FY2027 budget
    world.do(pid, RECORD_BUDGET.trigger, "department", budget_note="令和9年3月24日議決、予算額60万円")
    assert state_of(world, pid) == ENTRY_STATE
    # The contracting deadline counts from the day the budget was recorded.
    assert _open_deadlines(world, pid) == {
        LC.state(ENTRY_STATE).deadline: add_business_days(date(2027, 3, 26), LC.deadline(LC.state(ENTRY_STATE).deadline).days)}
    terms = {**TERMS, "partner_ids": [world.org]}
    # A contract that starts before the project's year is refused, and says which year.
    with pytest.raises(ConditionNotMet) as refused:
        world.do(pid, CONCLUDE.trigger, "department", **{**terms, "period_start": date(2027, 3, 29),
                                                         "period_end": date(2028, 3, 31)})
    assert "令和9年度" in refused.value.message("ja") and "令和9年4月1日" in refused.value.message("ja")
    assert "FY2027" in refused.value.message("en")
    # …and one above the theme's budget ceiling.
    with pytest.raises(ConditionNotMet) as refused:
        world.do(pid, CONCLUDE.trigger, "department", **{**terms, "period_start": date(2027, 4, 1),
                                                         "period_end": date(2028, 3, 31), "amount_yen": 600_001})
    assert "600,000円" in refused.value.message("ja")
    assert state_of(world, pid) == ENTRY_STATE
    world.do(pid, CONCLUDE.trigger, "department", **{**terms, "period_start": date(2027, 4, 1),
                                                     "period_end": date(2028, 3, 31), "amount_yen": 600_000})
    assert state_of(world, pid) == CONCLUDE.dest


def test_once_the_projects_year_has_begun_the_plain_adoption_is_the_one_offered(world):
    pid = _round_case(world)
    at(world, datetime(2027, 4, 5, 10, tzinfo=JST))
    offered = _offered(world, pid, "approver")
    assert ADOPT_NOW.trigger in offered and ADOPT_LATER.trigger not in offered
    world.do(pid, ADOPT_NOW.trigger, "approver", reasons="公益性が高いため")
    assert state_of(world, pid) == ENTRY_STATE


def test_a_free_proposal_in_a_round_runs_in_the_year_after_the_rounds(world):
    rid = make_round(world)
    pid = world.new_proposal(round_id=rid)
    world.to_awaiting_decision(pid)
    world.do(pid, ADOPT_LATER.trigger, "approver", reasons="公益性が高いため")
    assert _open_deadlines(world, pid) == {WAIT.deadline: add_business_days(date(2027, 4, 1), 0)}


def test_a_proposal_outside_any_round_is_adopted_straight_to_its_contract_as_before(world):
    pid = world.new_proposal()
    world.to_awaiting_decision(pid)
    offered = _offered(world, pid, "approver")
    assert ADOPT_NOW.trigger in offered and ADOPT_LATER.trigger not in offered
    world.do(pid, ADOPT_NOW.trigger, "approver", reasons="公益性が高いため")
    world.do(pid, CONCLUDE.trigger, "department", **{**TERMS, "partner_ids": [world.org]})
    assert state_of(world, pid) == CONCLUDE.dest


def test_every_version_of_the_citizen_proposal_has_the_budget_wait():
    for version in (1, 2):
        lc = get_lifecycle("citizen_proposal", version)
        assert lc.has_state(WAIT.name)
        assert lc.transition_from(ADOPT_LATER.trigger, "awaiting_decision").dest == WAIT.name
