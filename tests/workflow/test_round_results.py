"""A round's results decided together (one transaction: all or none) and public only from its publication date."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select, update

from db.models import AuditEvent, Decision, Notice, Proposal, ProposalRound
from states import get_lifecycle
from states.stages import ENTRY_STATE
from tests.workflow.test_round_entry import make_round
from workflow import round_results
from workflow.queries import public
from workflow.round_results import Pick

PUBLICATION = date(2026, 6, 15)
LC = get_lifecycle("citizen_proposal", 1)


# The decisions are read from the definition, never written here by name. The round is
# FY2026's and its projects run in FY2027: adopting one leads to the wait for its budget,
# not straight to the contract.
ADOPT = next(t.trigger for t in LC.transitions
             if t.outcome == "adopted" and "approver" in t.roles and t.dest != ENTRY_STATE)
ADOPT_NOW = next(t.trigger for t in LC.transitions
                 if t.outcome == "adopted" and "approver" in t.roles and t.dest == ENTRY_STATE)
REJECT = next(t.trigger for t in LC.transitions if t.outcome and t.outcome != "adopted" and t.effect == "record_decision")


@pytest.fixture
def three(world):
    rid = make_round(world)
    world.s.execute(update(ProposalRound).where(ProposalRound.id == rid).values(publication_on=PUBLICATION))
    world.s.commit()
    pids = [world.new_proposal(round_id=rid, title=f"提案{n}") for n in (1, 2, 3)]
    for pid in pids:
        world.to_awaiting_decision(pid)
    return rid, pids


def _counts(world, pids):
    world.s.rollback()
    decisions = world.s.execute(select(func.count()).select_from(Decision).where(Decision.proposal_id.in_(pids))).scalar()
    audits = world.s.execute(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.proposal_id.in_(pids), AuditEvent.trigger.in_([ADOPT, REJECT]))).scalar()
    return decisions, audits


def _picks(world, pids, choices=(ADOPT, ADOPT, REJECT)):
    world.s.rollback()
    return [Pick(pid, trigger, f"理由{pid}", world.s.get(Proposal, pid).version) for pid, trigger in zip(pids, choices)]


def test_the_round_lists_its_waiting_proposals_with_their_reviews_and_decisions_offered(world, three):
    rid, pids = three
    r, cases = round_results.waiting(world.s, rid, clock=world.clock)
    assert [c.id for c in cases] == pids
    assert all(len(c.reviews) == 2 for c in cases)
    assert {t.trigger for t in cases[0].choices} == {ADOPT, REJECT}
    assert all(c.panel is None for c in cases)  # no panel scores yet
    assert round_results.rounds_waiting(world.s)[0][1] == 3


def test_deciding_together_decides_all_with_audit_events_document_numbers_and_notices(world, three):
    rid, pids = three
    notices_before = world.s.execute(select(func.count()).select_from(Notice)).scalar()
    done = round_results.decide(world.s, rid, _picks(world, pids), world["approver"], clock=world.clock,
                                settings=world.settings)
    assert [o.proposal_id for o in done] == pids
    assert _counts(world, pids) == (3, 3)
    numbers = {d.document_number for d in world.s.execute(select(Decision)).scalars()}
    assert len(numbers) == 3
    assert world.s.execute(select(func.count()).select_from(Notice)).scalar() > notices_before
    assert round_results.waiting(world.s, rid, clock=world.clock)[1] == []


def test_one_case_changed_meanwhile_decides_none_and_names_it(world, three):
    rid, pids = three
    picks = _picks(world, pids)
    # Someone returns the third case to coordination after the approver opened the page.
    world.do(pids[2], "return_to_coordination", "approver", note="確認が必要")
    with pytest.raises(round_results.DecisionRefused) as caught:
        round_results.decide(world.s, rid, picks, world["approver"], clock=world.clock, settings=world.settings)
    assert caught.value.proposal_id == pids[2]
    assert "提案3" in caught.value.message("ja") and "none was decided" in caught.value.message("en")
    assert _counts(world, pids) == (0, 0)
    world.s.rollback()
    assert [world.s.get(Proposal, p).state for p in pids[:2]] == ["awaiting_decision"] * 2


def test_a_stale_version_decides_none(world, three):
    rid, pids = three
    picks = _picks(world, pids)
    picks[1] = Pick(pids[1], ADOPT, "理由", picks[1].version - 1)
    with pytest.raises(round_results.DecisionRefused) as caught:
        round_results.decide(world.s, rid, picks, world["approver"], clock=world.clock, settings=world.settings)
    assert caught.value.proposal_id == pids[1]
    assert _counts(world, pids) == (0, 0)


def test_reasons_and_a_choice_are_required_for_each(world, three):
    rid, pids = three
    picks = _picks(world, pids)
    picks[0] = Pick(pids[0], ADOPT, "  ", picks[0].version)
    picks[2] = Pick(pids[2], "", "理由", picks[2].version)
    with pytest.raises(round_results.DecisionProblems) as caught:
        round_results.decide(world.s, rid, picks, world["approver"], clock=world.clock, settings=world.settings)
    assert set(caught.value.problems) == {pids[0], pids[2]}
    assert "理由" in caught.value.problems[pids[0]][0]
    assert _counts(world, pids) == (0, 0)


def test_only_an_approver_decides(world, three):
    from workflow.errors import KyodoError

    rid, pids = three
    with pytest.raises(KyodoError):
        round_results.decide(world.s, rid, _picks(world, pids), world["department"], clock=world.clock,
                             settings=world.settings)
    assert _counts(world, pids) == (0, 0)


def test_adopted_cases_of_the_round_are_public_only_from_its_publication_date(world, three):
    rid, pids = three
    round_results.decide(world.s, rid, _picks(world, pids), world["approver"], clock=world.clock,
                         settings=world.settings)
    other = world.new_proposal(title="募集外の提案")
    world.to_contracting(other)
    before = [c.id for c in public.public_cases(world.s, today=date(2026, 6, 14))]
    assert other in before and not set(pids) & set(before)
    assert public.page(world.s, pids[0], today=date(2026, 6, 14)) is None
    on_the_day = [c.id for c in public.public_cases(world.s, today=PUBLICATION)]
    assert {pids[0], pids[1], other} <= set(on_the_day)

    world.clock.advance_to_date(date(2026, 6, 14))
    code = "2026-spring"
    assert round_results.public_results(world.s, code, clock=world.clock) is None
    world.clock.advance_to_date(PUBLICATION)
    res = round_results.public_results(world.s, code, clock=world.clock)
    assert [a.id for a in res.adopted] == pids[:2] and [a.id for a in res.not_adopted] == [pids[2]]
    assert res.adopted[0].reasons == f"理由{pids[0]}" and res.not_adopted[0].reasons is None
