"""The engine, read as the ordinance reads: every test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from config import Settings
from db.models import (
    AuditEvent,
    ConflictDeclaration,
    Contract,
    ContractPartner,
    Deadline,
    Decision,
    Evaluation,
    EvaluationPeriod,
    Notice,
    OwnProject,
    Proposal,
    ReviewAssignment,
)
from states import get_lifecycle
from tests.support import COMPLETE, EVAL, SCORES, TERMS
from workflow import engine, proposals
from workflow.queries import cases as queries
from workflow.calendar.japan import add_business_days, fiscal_year_end
from workflow.calendar.clock import japan_today
from workflow.errors import (
    ConditionNotMet,
    Conflict,
    InvalidInput,
    InvalidState,
    MissingInput,
    NotAllowed,
    NotFound,
)

LC = get_lifecycle("citizen_proposal", 1)  # the version of cases created in 2026
FULL_TERMS = {**TERMS}


# --- helpers reading what a person would see in the database


def proposal(world, pid: int) -> Proposal:
    world.s.expire_all()
    row = world.s.get(Proposal, pid)
    world.s.commit()
    return row


def audit_count(world, pid: int) -> int:
    n = world.s.execute(select(func.count()).select_from(AuditEvent).where(AuditEvent.proposal_id == pid)).scalar_one()
    world.s.commit()
    return n


def open_deadlines(world, pid: int) -> dict[tuple[str, str], date]:
    rows = world.s.execute(
        select(Deadline.key, Deadline.scope, Deadline.due_on).where(
            Deadline.proposal_id == pid, Deadline.closed_at.is_(None)
        )
    ).all()
    world.s.commit()
    return {(k, s): d for k, s, d in rows}


def snapshot(world, pid: int) -> tuple:
    """What must not change when a trigger is refused."""
    p = proposal(world, pid)
    return p.state, p.version, audit_count(world, pid), open_deadlines(world, pid)


def terms(world, **changes):
    return {**TERMS, "partner_ids": [world.org], **changes}


def refused(world, pid, exc_type, trigger, who, **inputs):
    """Apply a trigger that must be refused; returns the error after checking nothing changed."""
    before = snapshot(world, pid)
    with pytest.raises(exc_type) as info:
        world.do(pid, trigger, who, **inputs)
    assert snapshot(world, pid) == before
    return info.value


# --- Article 10(2): decisions with reasons, after the reviews


def test_decision_needs_reasons(world):
    pid = world.new_proposal()
    world.to_awaiting_decision(pid)
    for trigger in ("adopt", "reject"):
        err = refused(world, pid, MissingInput, trigger, "approver")
        assert err.missing == ["reasons"]
        assert "理由" in err.message_ja
        err = refused(world, pid, MissingInput, trigger, "approver", reasons="   ")
        assert err.missing == ["reasons"]
        err = refused(world, pid, MissingInput, trigger, "approver", reasons="\n\t ")
        assert err.missing == ["reasons"]
    assert world.s.execute(select(Decision).where(Decision.proposal_id == pid)).first() is None
    world.s.commit()
    out = world.do(pid, "adopt", "approver", reasons="  公益性が高いため  ")
    assert out.to_state == "contracting"
    decision = queries.decision(world.s, pid)
    assert decision.reasons == "公益性が高いため"
    assert decision.outcome == "adopted"


def test_decision_waits_for_required_reviews(world):
    world.settings = Settings(required_reviews=3)
    pid = world.new_proposal()
    world.do(pid, "submit", "proposer")
    reviewers = [world[r].user_id for r in ("reviewer1", "reviewer2", "reviewer3")]
    world.do(pid, "start_review", "secretariat", reviewer_ids=reviewers, department_id=world.dept)
    world.do(pid, "submit_review", "reviewer1", **SCORES)
    world.do(pid, "submit_review", "reviewer2", **SCORES)
    err = refused(world, pid, ConditionNotMet, "finish_review", "secretariat")
    assert err.failed == ["reviews_complete"]
    world.do(pid, "submit_review", "reviewer3", **SCORES)
    world.do(pid, "finish_review", "secretariat")
    world.do(pid, "refer_for_decision", "department", department_opinion="適当")
    assert world.do(pid, "adopt", "approver", reasons="妥当").to_state == "contracting"


def test_decision_refused_when_required_reviews_rise_after_referral(world):
    pid = world.new_proposal()
    world.to_awaiting_decision(pid)  # two reviews, two required
    world.settings = Settings(required_reviews=3)
    for trigger in ("adopt", "reject"):
        err = refused(world, pid, ConditionNotMet, trigger, "approver", reasons="理由")
        assert err.failed == ["reviews_complete"]
    assert queries.decision(world.s, pid) is None


def test_only_the_approver_decides(world):
    pid = world.new_proposal()
    world.to_awaiting_decision(pid)
    for who in ("secretariat", "department", "proposer", "reviewer1", "admin"):
        err = refused(world, pid, NotAllowed, "adopt", who, reasons="理由")
        assert err.allowed_roles == ("approver",)


# --- Article 12: the collaboration contract


@pytest.mark.parametrize("term", sorted({*TERMS, "partner_ids"}))
def test_contract_needs_every_article_12_term(world, term):
    pid = world.new_proposal()
    world.to_contracting(pid)
    given = terms(world)
    del given[term]
    err = refused(world, pid, MissingInput, "conclude_contract", "department", **given)
    assert err.missing == [term]
    label = LC.input(term).label_ja
    assert label in err.message_ja
    assert world.s.execute(select(Contract).where(Contract.proposal_id == pid)).first() is None
    world.s.commit()


@pytest.mark.parametrize("term", ["purpose", "process", "role_sharing", "cost_sharing", "responsibility_sharing"])
def test_contract_term_of_blanks_is_missing(world, term):
    pid = world.new_proposal()
    world.to_contracting(pid)
    err = refused(world, pid, MissingInput, "conclude_contract", "department", **terms(world, **{term: "　 "}))
    # A full-width space is still blank: the term must say something.
    assert err.missing == [term]


def test_contract_with_every_term_is_concluded(world):
    pid = world.new_proposal()
    world.to_contracting(pid)
    out = world.do(pid, "conclude_contract", "department", **terms(world, partner_ids=[world.org, world.other_org]))
    assert out.to_state == "in_progress"
    contract, amendments = queries.contract(world.s, pid)
    world.s.commit()
    assert amendments == []
    assert not contract.exempt
    assert contract.form == "entrustment"
    assert (contract.period_start, contract.period_end) == (date(2026, 6, 1), date(2027, 3, 31))
    assert contract.amount_yen == 500_000
    for k in ("purpose", "process", "role_sharing", "cost_sharing", "responsibility_sharing"):
        assert getattr(contract, k) == TERMS[k]
    partners = set(world.s.execute(
        select(ContractPartner.organisation_id).where(ContractPartner.contract_id == contract.id)).scalars())
    assert partners == {world.org, world.other_org}
    # The implementation deadline is the contract's end.
    assert open_deadlines(world, pid)[("implementation", "")] == date(2027, 3, 31)


def test_contract_with_an_unknown_contract_form_is_refused(world):
    pid = world.new_proposal()
    world.to_contracting(pid)
    err = refused(world, pid, InvalidInput, "conclude_contract", "department", **terms(world, contract_form="gift"))
    assert err.name == "contract_form"


def test_minor_case_exemption_needs_recorded_reason(world):
    pid = world.new_proposal()
    world.to_contracting(pid)
    period = dict(period_start=date(2026, 6, 1), period_end=date(2026, 9, 30))
    err = refused(world, pid, MissingInput, "exempt_contract", "department", **period)
    assert err.missing == ["exemption_reason"]
    err = refused(world, pid, MissingInput, "exempt_contract", "department", exemption_reason="  ", **period)
    assert err.missing == ["exemption_reason"]
    err = refused(world, pid, MissingInput, "exempt_contract", "department", exemption_reason="少額",
                  period_start=date(2026, 6, 1))
    assert err.missing == ["period_end"]
    out = world.do(pid, "exempt_contract", "department", exemption_reason="会場提供のみの軽易な協働", **period)
    assert out.to_state == "in_progress"
    contract, _ = queries.contract(world.s, pid)
    world.s.commit()
    assert contract.exempt is True
    assert contract.exemption_reason == "会場提供のみの軽易な協働"
    assert contract.form is None
    partners = list(world.s.execute(
        select(ContractPartner.organisation_id).where(ContractPartner.contract_id == contract.id)).scalars())
    world.s.commit()
    assert partners == [world.org]


def test_contract_end_before_start_is_refused(world):
    pid = world.new_proposal()
    world.to_contracting(pid)
    err = refused(world, pid, ConditionNotMet, "conclude_contract", "department",
                  **terms(world, period_start=date(2026, 6, 1), period_end=date(2026, 5, 31)))
    assert err.failed == ["contract_terms_valid"]
    err = refused(world, pid, ConditionNotMet, "exempt_contract", "department", exemption_reason="軽易",
                  period_start=date(2026, 6, 1), period_end=date(2026, 5, 31))
    assert err.failed == ["contract_terms_valid"]
    # A one-day contract is fine.
    world.do(pid, "conclude_contract", "department", **terms(world, period_start=date(2026, 6, 1),
                                                             period_end=date(2026, 6, 1)))
    assert proposal(world, pid).state == "in_progress"


def test_contract_with_negative_amount_or_unknown_partner_is_refused(world):
    pid = world.new_proposal()
    world.to_contracting(pid)
    err = refused(world, pid, InvalidInput, "conclude_contract", "department", **terms(world, amount_yen=-1))
    assert err.name == "amount_yen"
    err = refused(world, pid, ConditionNotMet, "conclude_contract", "department",
                  **terms(world, partner_ids=[world.org, 99_999]))
    assert err.failed == ["contract_terms_valid"]
    err = refused(world, pid, InvalidInput, "conclude_contract", "department",
                  **terms(world, period_end="31/03/2027"))
    assert err.name == "period_end"


# --- Who may act: role and reach


def test_withdraw_only_by_own_group(world):
    pid = world.new_proposal()
    world.do(pid, "submit", "proposer")
    err = refused(world, pid, NotAllowed, "withdraw", "outsider")
    assert "proposer" in err.allowed_roles
    for who in ("secretariat", "approver", "department", "admin"):
        refused(world, pid, NotAllowed, "withdraw", who)
    out = world.do(pid, "withdraw", "proposer", withdrawal_reason="別の助成を受けるため")
    assert out.to_state == "withdrawn"
    assert proposal(world, pid).closed_at is not None


def test_outsider_cannot_submit_or_edit_another_groups_proposal(world):
    pid = world.new_proposal()
    refused(world, pid, NotAllowed, "submit", "outsider")
    with pytest.raises(NotAllowed):
        proposals.save_revision(world.s, world["outsider"], pid, {"title": "乗っ取り"}, clock=world.clock)
    with pytest.raises(NotAllowed):
        proposals.create(world.s, world["outsider"], world.org, COMPLETE, clock=world.clock)
    assert proposal(world, pid).title == COMPLETE["title"]


def test_reviewer_must_be_assigned(world):
    pid = world.new_proposal()
    world.to_under_review(pid)  # reviewer1 and reviewer2 assigned
    err = refused(world, pid, NotAllowed, "submit_review", "reviewer3", **SCORES)
    assert err.allowed_roles == ("reviewer",)
    refused(world, pid, NotAllowed, "submit_review", "secretariat", **SCORES)
    world.do(pid, "submit_review", "reviewer1", **SCORES)
    err = refused(world, pid, ConditionNotMet, "submit_review", "reviewer1", **SCORES)
    assert err.failed == ["reviewer_has_not_reviewed"]


@pytest.mark.parametrize("score", [0, 6, "五"])
def test_review_scores_are_one_to_five(world, score):
    pid = world.new_proposal()
    world.to_under_review(pid)
    err = refused(world, pid, InvalidInput, "submit_review", "reviewer1", **{**SCORES, "score_quality": score})
    assert err.name == "score_quality"


def test_member_of_proposing_group_cannot_review(world):
    pid = world.new_proposal()
    world.do(pid, "submit", "proposer")
    member = world["member_reviewer"].user_id
    err = refused(world, pid, InvalidInput, "start_review", "secretariat",
                  reviewer_ids=[world["reviewer1"].user_id, member], department_id=world.dept)
    assert err.name == "reviewer_ids"
    assert str(member) in err.message_en
    # Someone who is not a reviewer at all cannot be assigned either.
    err = refused(world, pid, InvalidInput, "start_review", "secretariat",
                  reviewer_ids=[world["department"].user_id, world["reviewer2"].user_id], department_id=world.dept)
    assert err.name == "reviewer_ids"
    err = refused(world, pid, InvalidInput, "start_review", "secretariat",
                  reviewer_ids=[world["reviewer1"].user_id, world["reviewer2"].user_id], department_id=99_999)
    assert err.name == "department_id"


def test_member_reviewer_cannot_review_own_group_even_if_assigned_elsewhere(world):
    # member_reviewer belongs to the proposing group: out of reach whatever the assignment.
    pid = world.new_proposal()
    world.to_under_review(pid)
    refused(world, pid, NotAllowed, "submit_review", "member_reviewer", **SCORES)


def test_department_acts_only_on_its_cases(world):
    pid = world.new_proposal()
    world.to_in_coordination(pid)
    err = refused(world, pid, NotAllowed, "refer_for_decision", "other_department", department_opinion="適当")
    assert "department" in err.allowed_roles
    refused(world, pid, NotAllowed, "log_coordination", "other_department", note="記録")
    assert world.do(pid, "log_coordination", "department", note="打合せ").to_state == "in_coordination"
    assert world.do(pid, "refer_for_decision", "department", department_opinion="適当").to_state == "awaiting_decision"


def test_department_in_charge_is_the_one_assigned_at_review(world):
    pid = world.new_proposal()
    world.do(pid, "submit", "proposer")
    assert proposal(world, pid).department_id is None
    world.do(pid, "start_review", "secretariat",
             reviewer_ids=[world["reviewer1"].user_id, world["reviewer2"].user_id], department_id=world.other_dept)
    assert proposal(world, pid).department_id == world.other_dept
    world.do(pid, "submit_review", "reviewer1", **SCORES)
    world.do(pid, "submit_review", "reviewer2", **SCORES)
    world.do(pid, "finish_review", "secretariat")
    refused(world, pid, NotAllowed, "log_coordination", "department", note="担当外")
    assert world.do(pid, "log_coordination", "other_department", note="担当").role == "department"


# --- Errors that say what is wrong


def test_invalid_state_says_what_is_possible(world):
    pid = world.new_proposal()
    err = refused(world, pid, InvalidState, "adopt", "approver", reasons="理由")
    assert dict(err.possible) == {"submit": ("proposer",), "withdraw": ("proposer",), "save_revision": ("proposer",),
                                  "add_attachment": ("proposer",), "remove_attachment": ("proposer",)}
    assert "submit" in err.hint_en and "withdraw" in err.hint_en
    assert "下書き" in err.message_ja
    world.do(pid, "submit", "proposer")
    err = refused(world, pid, InvalidState, "submit", "proposer")
    assert ("start_review", ("secretariat",)) in err.possible
    assert ("withdraw", ("proposer",)) in err.possible
    err = refused(world, pid, InvalidState, "fly_to_the_moon", "secretariat")
    assert "fly_to_the_moon" in err.message_en


def test_unknown_proposal_is_not_found(world):
    with pytest.raises(NotFound) as info:
        world.do(999_999, "submit", "proposer")
    assert "999999" in info.value.message_en
    with pytest.raises(NotFound):
        proposals.save_revision(world.s, world["proposer"], 999_999, {"title": "x"}, clock=world.clock)


def test_unknown_input_is_refused(world):
    pid = world.new_proposal()
    world.to_awaiting_decision(pid)
    err = refused(world, pid, InvalidInput, "adopt", "approver", reasons="理由", amount_yen=5)
    assert err.name == "amount_yen"


def test_incomplete_proposal_cannot_be_submitted(world):
    pid = world.new_proposal(purpose="  ")
    err = refused(world, pid, ConditionNotMet, "submit", "proposer")
    assert err.failed == ["proposal_complete"]
    proposals.save_revision(world.s, world["proposer"], pid, {"purpose": "川辺を守る"}, clock=world.clock)
    assert world.do(pid, "submit", "proposer").to_state == "submitted"


# --- Concurrency and history


def test_stale_version_is_a_conflict(world):
    pid = world.new_proposal()
    seen = proposal(world, pid).version
    world.do(pid, "submit", "proposer")
    before = snapshot(world, pid)
    assert before[1] == seen + 1
    with pytest.raises(Conflict) as info:
        engine.apply(world.s, pid, "start_review", world["secretariat"],
                     dict(reviewer_ids=[world["reviewer1"].user_id, world["reviewer2"].user_id], department_id=world.dept),
                     expected_version=seen, clock=world.clock, settings=world.settings)
    assert info.value.current_version == seen + 1
    assert snapshot(world, pid) == before
    assert world.s.execute(text("select count(*) from reviewassignment")).scalar_one() == 0
    world.s.commit()
    # With the version just read, the same trigger goes through.
    out = engine.apply(world.s, pid, "start_review", world["secretariat"],
                       dict(reviewer_ids=[world["reviewer1"].user_id, world["reviewer2"].user_id], department_id=world.dept),
                       expected_version=seen + 1, clock=world.clock, settings=world.settings)
    assert out.version == seen + 2


def test_stale_version_is_a_conflict_for_edits_too(world):
    pid = world.new_proposal()
    seen = proposal(world, pid).version
    proposals.save_revision(world.s, world["proposer"], pid, {"title": "一度目"}, clock=world.clock)
    with pytest.raises(Conflict):
        proposals.save_revision(world.s, world["proposer"], pid, {"title": "二度目"},
                                expected_version=seen, clock=world.clock)
    p = proposal(world, pid)
    assert (p.title, p.revision, p.version) == ("一度目", 2, seen + 1)
    assert len(proposals.revisions(world.s, pid)) == 2


def test_revision_keeps_every_version(world):
    pid = world.new_proposal()
    world.to_in_coordination(pid)
    world.do(pid, "request_revision", "department", revision_request="安全管理を追記してください")
    err = refused(world, pid, ConditionNotMet, "resubmit", "proposer")
    assert err.failed == ["revised_since_request"]
    proposals.save_revision(world.s, world["proposer"], pid, {"content": "月1回の清掃（保険加入）"},
                            note="保険", clock=world.clock)
    world.clock.advance(days=1)
    proposals.save_revision(world.s, world["proposer"], pid,
                            {"content": "月1回の清掃（保険加入・救護担当）", "title": "川辺の清掃と安全"},
                            note="救護", clock=world.clock)
    revs = proposals.revisions(world.s, pid)
    world.s.commit()
    assert [r.number for r in revs] == [1, 2, 3]
    assert [r.content for r in revs] == ["月1回の清掃", "月1回の清掃（保険加入）", "月1回の清掃（保険加入・救護担当）"]
    assert [r.title for r in revs] == ["川辺の清掃", "川辺の清掃", "川辺の清掃と安全"]
    assert [r.note for r in revs][1:] == ["保険", "救護"]
    # Fields the group did not touch are carried into every revision.
    assert all(r.purpose == COMPLETE["purpose"] for r in revs)
    p = proposal(world, pid)
    assert (p.revision, p.content, p.title) == (3, "月1回の清掃（保険加入・救護担当）", "川辺の清掃と安全")
    assert world.do(pid, "resubmit", "proposer", revision_note="追記しました").to_state == "in_coordination"
    # Outside draft and revision_requested the proposal cannot be edited.
    with pytest.raises(InvalidState):
        proposals.save_revision(world.s, world["proposer"], pid, {"title": "こっそり"}, clock=world.clock)
    assert proposal(world, pid).title == "川辺の清掃と安全"
    assert len(proposals.revisions(world.s, pid)) == 3


def test_second_revision_request_needs_a_new_revision(world):
    pid = world.new_proposal()
    world.to_in_coordination(pid)
    world.do(pid, "request_revision", "department", revision_request="一度目")
    proposals.save_revision(world.s, world["proposer"], pid, {"content": "修正1"}, clock=world.clock)
    world.do(pid, "resubmit", "proposer")
    world.do(pid, "request_revision", "department", revision_request="二度目")
    err = refused(world, pid, ConditionNotMet, "resubmit", "proposer")
    assert err.failed == ["revised_since_request"]


def test_decision_document_numbers_are_serial_per_fiscal_year(world):
    first, second, third, fourth = (world.new_proposal(title=f"事業{i}") for i in range(4))
    for pid in (first, second, third, fourth):
        world.to_awaiting_decision(pid)
    a = world.do(first, "adopt", "approver", reasons="理由1")
    b = world.do(second, "reject", "approver", reasons="理由2")
    assert a.facts["document_number"] == "市市協第1号"
    assert b.facts["document_number"] == "市市協第2号"
    # 23:59 on 31 March in Japan: still fiscal year 2026.
    world.clock.advance_to_date(date(2027, 3, 31))
    world.clock.advance(hours=14, minutes=59)
    assert japan_today(world.clock) == date(2027, 3, 31)
    c = world.do(third, "adopt", "approver", reasons="理由3")
    assert c.facts["document_number"] == "市市協第3号"
    # From 1 April the numbers start again at 1.
    world.clock.advance_to_date(date(2027, 4, 1))
    d = world.do(fourth, "adopt", "approver", reasons="理由4")
    assert d.facts["document_number"] == "市市協第1号"
    rows = world.s.execute(select(Decision.proposal_id, Decision.fiscal_year, Decision.serial,
                                  Decision.document_number).order_by(Decision.id)).all()
    world.s.commit()
    assert [tuple(r) for r in rows] == [
        (first, 2026, 1, "市市協第1号"),
        (second, 2026, 2, "市市協第2号"),
        (third, 2026, 3, "市市協第3号"),
        (fourth, 2027, 1, "市市協第1号"),
    ]


def test_document_number_follows_the_japan_date_not_utc(world):
    pid = world.new_proposal()
    world.to_awaiting_decision(pid)
    # 00:30 on 1 April in Japan is still 31 March in UTC: the new fiscal year has begun.
    world.clock.advance_to_date(date(2027, 4, 1))
    world.clock.advance(hours=-8, minutes=-30)
    assert japan_today(world.clock) == date(2027, 4, 1)
    assert world.clock.now().date() == date(2027, 3, 31)
    out = world.do(pid, "adopt", "approver", reasons="理由")
    assert out.facts["document_number"] == "市市協第1号"
    decision = queries.decision(world.s, pid)
    world.s.commit()
    assert (decision.fiscal_year, decision.serial) == (2027, 1)


def test_document_prefix_comes_from_settings(world):
    world.settings = Settings(required_reviews=2, document_prefix="港北協")
    pid = world.new_proposal()
    world.to_awaiting_decision(pid)
    assert world.do(pid, "reject", "approver", reasons="理由").facts["document_number"] == "港北協第1号"


def test_audit_trail_is_append_only(world):
    pid = world.new_proposal()
    world.do(pid, "submit", "proposer")
    before = world.s.execute(select(AuditEvent.seq, AuditEvent.trigger).where(AuditEvent.proposal_id == pid)
                             .order_by(AuditEvent.seq)).all()
    world.s.commit()
    assert [tuple(r) for r in before] == [(1, "create"), (2, "submit")]
    for statement in (f"UPDATE auditevent SET trigger = 'forged' WHERE proposal_id = {pid}",
                      f"DELETE FROM auditevent WHERE proposal_id = {pid}"):
        with pytest.raises(DBAPIError) as info:
            world.s.execute(text(statement))
        assert "append-only" in str(info.value)
        world.s.rollback()
    after = world.s.execute(select(AuditEvent.seq, AuditEvent.trigger).where(AuditEvent.proposal_id == pid)
                            .order_by(AuditEvent.seq)).all()
    world.s.commit()
    assert after == before


def test_audit_trail_records_every_change_in_order(world):
    pid = world.new_proposal()
    world.to_contracting(pid)
    events = world.s.execute(select(AuditEvent).where(AuditEvent.proposal_id == pid).order_by(AuditEvent.seq)).scalars().all()
    world.s.commit()
    p = proposal(world, pid)
    assert [e.seq for e in events] == list(range(1, p.version + 1))
    assert [e.trigger for e in events] == [
        "create", "submit", "start_review", "submit_review", "submit_review", "finish_review",
        "refer_for_decision", "adopt",
    ]
    for prev, e in zip(events, events[1:]):
        assert e.from_state == prev.to_state
    assert events[-1].to_state == p.state == "contracting"
    assert events[-1].actor_id == world["approver"].user_id
    assert events[-1].actor_role == "approver"
    assert events[-1].inputs == {"reasons": "公益性が高いため"}


# --- Deadlines


def test_deadlines_open_and_close_with_states(world):
    pid = world.new_proposal()
    assert open_deadlines(world, pid) == {}
    submitted_on = japan_today(world.clock)
    assert submitted_on == date(2026, 4, 6)
    world.do(pid, "submit", "proposer")
    assert open_deadlines(world, pid) == {
        ("receipt", ""): date(2026, 4, 13),  # 5 business days
        ("decision", ""): add_business_days(submitted_on, 40),
    }
    world.clock.advance(days=2)
    world.do(pid, "start_review", "secretariat",
             reviewer_ids=[world["reviewer1"].user_id, world["reviewer2"].user_id], department_id=world.dept)
    rows = world.s.execute(select(Deadline).where(Deadline.proposal_id == pid, Deadline.key == "receipt")).scalars().all()
    world.s.commit()
    assert len(rows) == 1 and rows[0].closed_at is not None
    assert open_deadlines(world, pid) == {
        ("review", ""): add_business_days(date(2026, 4, 8), 10),
        ("decision", ""): add_business_days(submitted_on, 40),
    }
    world.do(pid, "submit_review", "reviewer1", **SCORES)
    world.do(pid, "submit_review", "reviewer2", **SCORES)
    # Reviews are actions inside the state: the review deadline stays as it was.
    assert ("review", "") in open_deadlines(world, pid)
    world.do(pid, "finish_review", "secretariat")
    assert set(open_deadlines(world, pid)) == {("coordination", ""), ("decision", "")}
    world.do(pid, "refer_for_decision", "department", department_opinion="適当")
    assert set(open_deadlines(world, pid)) == {("decision_pending", ""), ("decision", "")}
    world.do(pid, "adopt", "approver", reasons="理由")
    assert set(open_deadlines(world, pid)) == {("contracting", "")}
    world.do(pid, "conclude_contract", "department", **terms(world))
    assert open_deadlines(world, pid) == {("implementation", ""): TERMS["period_end"]}
    world.do(pid, "complete", "department", completion_report="完了")
    assert set(open_deadlines(world, pid)) == {("final_evaluation", "")}
    world.do(pid, "submit_final_evaluation", "proposer", **EVAL)
    world.do(pid, "submit_final_evaluation", "department", **EVAL)
    world.do(pid, "publish_final_evaluation", "secretariat")
    assert proposal(world, pid).state == "closed"
    assert open_deadlines(world, pid) == {}


def test_withdrawal_closes_every_deadline(world):
    pid = world.new_proposal()
    world.to_under_review(pid)
    assert open_deadlines(world, pid)
    world.do(pid, "withdraw", "proposer")
    assert open_deadlines(world, pid) == {}


def test_rejection_closes_every_deadline(world):
    pid = world.new_proposal()
    world.to_awaiting_decision(pid)
    world.do(pid, "reject", "approver", reasons="公益性が認められないため")
    assert open_deadlines(world, pid) == {}
    assert proposal(world, pid).closed_at is not None


def test_deadline_days_can_be_configured(world):
    world.settings = Settings(required_reviews=2, deadline_days={"receipt": 2})
    pid = world.new_proposal()
    world.do(pid, "submit", "proposer")
    assert open_deadlines(world, pid)[("receipt", "")] == date(2026, 4, 8)


# --- Article 15: evaluation after every fiscal year and after the end


def evaluate(world, pid, trigger, **extra):
    world.do(pid, trigger, "proposer", **EVAL, **extra)
    world.do(pid, trigger, "department", **EVAL, **extra)


def test_multi_year_project_is_evaluated_each_fiscal_year(world):
    pid = world.new_proposal()
    world.to_in_progress(pid, period_start=date(2026, 6, 1), period_end=date(2029, 3, 31))
    err = refused(world, pid, ConditionNotMet, "open_annual_evaluation", "secretariat", fiscal_year=2026)
    assert err.failed == ["fiscal_year_completed"]
    world.clock.advance_to_date(date(2027, 3, 31))
    refused(world, pid, ConditionNotMet, "open_annual_evaluation", "secretariat", fiscal_year=2026)
    # A year before the project began is not the project's to evaluate.
    refused(world, pid, ConditionNotMet, "open_annual_evaluation", "secretariat", fiscal_year=2025)
    world.clock.advance_to_date(date(2027, 4, 1))
    # Nothing to submit or publish before the year's evaluation is opened.
    refused(world, pid, ConditionNotMet, "submit_evaluation", "proposer", fiscal_year=2026, **EVAL)
    world.do(pid, "open_annual_evaluation", "secretariat", fiscal_year=2026)
    assert open_deadlines(world, pid)[("annual_evaluation", "2026")] == fiscal_year_end(2026) + timedelta(days=91)
    err = refused(world, pid, ConditionNotMet, "open_annual_evaluation", "department", fiscal_year=2026)
    assert err.failed == ["fiscal_year_completed"]
    err = refused(world, pid, ConditionNotMet, "publish_evaluation", "secretariat", fiscal_year=2026)
    assert err.failed == ["both_sides_evaluated"]
    world.do(pid, "submit_evaluation", "proposer", fiscal_year=2026, **EVAL)
    refused(world, pid, ConditionNotMet, "publish_evaluation", "secretariat", fiscal_year=2026)
    # A side may correct its evaluation before publication; still only one per side.
    world.do(pid, "submit_evaluation", "proposer", fiscal_year=2026, **{**EVAL, "evaluation_comments": "訂正"})
    refused(world, pid, ConditionNotMet, "publish_evaluation", "secretariat", fiscal_year=2026)
    world.do(pid, "submit_evaluation", "department", fiscal_year=2026, **EVAL)
    refused(world, pid, NotAllowed, "publish_evaluation", "department", fiscal_year=2026)
    world.do(pid, "publish_evaluation", "secretariat", fiscal_year=2026)
    assert ("annual_evaluation", "2026") not in open_deadlines(world, pid)
    period = world.s.execute(select(EvaluationPeriod).where(EvaluationPeriod.proposal_id == pid,
                                                           EvaluationPeriod.period == "FY2026")).scalar_one()
    sides = {e.side: e.comments for e in world.s.execute(
        select(Evaluation).where(Evaluation.period_id == period.id)).scalars()}
    world.s.commit()
    assert period.published_at is not None and period.fiscal_year == 2026
    assert sides == {"partner": "訂正", "city": EVAL["evaluation_comments"]}
    # Once published, the year is neither reopened nor changed.
    refused(world, pid, ConditionNotMet, "open_annual_evaluation", "secretariat", fiscal_year=2026)
    err = refused(world, pid, ConditionNotMet, "submit_evaluation", "proposer", fiscal_year=2026, **EVAL)
    assert err.failed == ["evaluation_open"]
    refused(world, pid, ConditionNotMet, "publish_evaluation", "secretariat", fiscal_year=2026)
    # FY2027 ends inside the project: evaluated on its own.
    refused(world, pid, ConditionNotMet, "open_annual_evaluation", "secretariat", fiscal_year=2027)
    world.clock.advance_to_date(date(2028, 4, 3))
    world.do(pid, "open_annual_evaluation", "department", fiscal_year=2027)
    evaluate(world, pid, "submit_evaluation", fiscal_year=2027)
    world.do(pid, "publish_evaluation", "secretariat", fiscal_year=2027)
    # FY2028 is the last year: covered by the final evaluation, never on its own.
    world.clock.advance_to_date(date(2029, 4, 2))
    err = refused(world, pid, ConditionNotMet, "open_annual_evaluation", "secretariat", fiscal_year=2028)
    assert err.failed == ["fiscal_year_completed"]
    world.do(pid, "complete", "department", completion_report="3年間の事業を完了")
    evaluate(world, pid, "submit_final_evaluation")
    world.do(pid, "publish_final_evaluation", "secretariat")
    periods = world.s.execute(select(EvaluationPeriod.period, EvaluationPeriod.published_at.is_not(None))
                              .where(EvaluationPeriod.proposal_id == pid).order_by(EvaluationPeriod.id)).all()
    world.s.commit()
    assert [tuple(r) for r in periods] == [("FY2026", True), ("FY2027", True), ("final", True)]
    assert proposal(world, pid).state == "closed"


def test_cancelled_project_still_gets_evaluated(world):
    pid = world.new_proposal()
    world.to_in_progress(pid)
    err = refused(world, pid, MissingInput, "cancel", "department")
    assert err.missing == ["cancel_reason"]
    refused(world, pid, NotAllowed, "cancel", "proposer", cancel_reason="理由")
    out = world.do(pid, "cancel", "department", cancel_reason="会場が使えなくなったため")
    assert out.to_state == "evaluating"
    assert proposal(world, pid).cancelled is True
    assert set(open_deadlines(world, pid)) == {("final_evaluation", "")}
    err = refused(world, pid, ConditionNotMet, "publish_final_evaluation", "secretariat")
    assert err.failed == ["both_sides_evaluated"]
    world.do(pid, "submit_final_evaluation", "department", **EVAL)
    refused(world, pid, ConditionNotMet, "publish_final_evaluation", "secretariat")
    refused(world, pid, NotAllowed, "submit_final_evaluation", "outsider", **EVAL)
    world.do(pid, "submit_final_evaluation", "proposer", **EVAL)
    assert world.do(pid, "publish_final_evaluation", "secretariat").to_state == "closed"
    p = proposal(world, pid)
    assert p.cancelled is True and p.closed_at is not None


def test_approver_may_cancel(world):
    pid = world.new_proposal()
    world.to_in_progress(pid)
    assert world.do(pid, "cancel", "approver", cancel_reason="事業の継続が困難").to_state == "evaluating"


@pytest.mark.parametrize("ending", ["closed", "not_adopted", "withdrawn"])
def test_closed_case_accepts_no_trigger(world, ending):
    pid = world.new_proposal()
    if ending == "closed":
        world.to_closed(pid)
    elif ending == "not_adopted":
        world.to_awaiting_decision(pid)
        world.do(pid, "reject", "approver", reasons="理由")
    else:
        world.to_in_coordination(pid)
        world.do(pid, "withdraw", "proposer")
    assert proposal(world, pid).state == ending
    before = snapshot(world, pid)
    acting = {"proposer": "proposer", "secretariat": "secretariat", "reviewer": "reviewer1",
              "department": "department", "approver": "approver"}
    for trigger in LC.triggers():
        # Someone who could fire it in a live case, so only the final state refuses it.
        who = acting[LC.transitions_for(trigger)[0].roles[0]]
        with pytest.raises(InvalidState) as info:
            world.do(pid, trigger, who)
        assert info.value.possible == []
        assert "none" in info.value.hint_en
    assert snapshot(world, pid) == before
    with pytest.raises(InvalidState):
        proposals.save_revision(world.s, world["proposer"], pid, {"title": "再開"}, clock=world.clock)
    assert proposal(world, pid).title == COMPLETE["title"]


def test_amendment_keeps_history(world):
    pid = world.new_proposal()
    world.to_in_progress(pid)
    err = refused(world, pid, ConditionNotMet, "amend_contract", "department", amendment_reason="何も変えない")
    assert err.failed == ["amendment_changes_something"]
    err = refused(world, pid, ConditionNotMet, "amend_contract", "department", amendment_reason="開始前に終了",
                  new_period_end=date(2026, 5, 1))
    assert err.failed == ["amendment_changes_something"]
    refused(world, pid, NotAllowed, "amend_contract", "other_department", amendment_reason="x", new_amount_yen=1)
    world.clock.advance_to_date(date(2026, 9, 1))
    world.do(pid, "amend_contract", "department", amendment_reason="観察会の追加", new_amount_yen=600_000)
    world.clock.advance_to_date(date(2027, 2, 1))
    world.do(pid, "amend_contract", "department", amendment_reason="期間の延長",
             new_period_end=date(2027, 6, 30), new_terms="第5条を変更")
    contract, amendments = queries.contract(world.s, pid)
    world.s.commit()
    assert [a.seq for a in amendments] == [1, 2]
    assert [a.reason for a in amendments] == ["観察会の追加", "期間の延長"]
    assert amendments[0].changes == {"amount_yen": [500_000, 600_000]}
    assert amendments[1].changes == {"period_end": ["2027-03-31", "2027-06-30"], "terms": [None, "第5条を変更"]}
    assert all(a.amended_by == world["department"].user_id for a in amendments)
    assert contract.amendments == 2
    assert (contract.amount_yen, contract.period_end) == (600_000, date(2027, 6, 30))
    assert contract.period_start == TERMS["period_start"]
    # The implementation deadline follows the contract's new end; only one stays open.
    impl = world.s.execute(select(Deadline.due_on, Deadline.closed_at.is_(None)).where(
        Deadline.proposal_id == pid, Deadline.key == "implementation").order_by(Deadline.id)).all()
    world.s.commit()
    assert [tuple(r) for r in impl][-1] == (date(2027, 6, 30), True)
    assert sum(1 for _, is_open in impl if is_open) == 1
    assert open_deadlines(world, pid)[("implementation", "")] == date(2027, 6, 30)


def test_own_project_notices(world):
    pid = world.new_proposal()
    world.to_in_progress(pid)
    refused(world, pid, NotAllowed, "notify_own_project_start", "outsider",
            own_project_title="他団体の事業", own_project_start=date(2026, 8, 1))
    err = refused(world, pid, MissingInput, "notify_own_project_start", "proposer", own_project_start=date(2026, 8, 1))
    assert err.missing == ["own_project_title"]
    out = world.do(pid, "notify_own_project_start", "proposer", own_project_title="写真展",
                   own_project_start=date(2026, 8, 1))
    own_id = out.facts["own_project_id"]
    own = world.s.get(OwnProject, own_id)
    world.s.commit()
    assert (own.proposal_id, own.title, own.started_on, own.ended_on) == (pid, "写真展", date(2026, 8, 1), None)
    # Article 11(2): the end must be notified, by the contract's end at the latest.
    assert open_deadlines(world, pid)[("own_project_end_notice", str(own_id))] == TERMS["period_end"]
    err = refused(world, pid, ConditionNotMet, "notify_own_project_end", "proposer",
                  own_project_id=99_999, own_project_end=date(2026, 9, 1))
    assert err.failed == ["own_project_open"]
    err = refused(world, pid, ConditionNotMet, "notify_own_project_end", "proposer",
                  own_project_id=own_id, own_project_end=date(2026, 7, 31))
    assert err.failed == ["own_project_open"]
    world.do(pid, "notify_own_project_end", "proposer", own_project_id=own_id, own_project_end=date(2026, 9, 1))
    world.s.expire_all()
    assert world.s.get(OwnProject, own_id).ended_on == date(2026, 9, 1)
    world.s.commit()
    assert ("own_project_end_notice", str(own_id)) not in open_deadlines(world, pid)
    err = refused(world, pid, ConditionNotMet, "notify_own_project_end", "proposer",
                  own_project_id=own_id, own_project_end=date(2026, 9, 2))
    assert err.failed == ["own_project_open"]


def test_own_project_of_another_case_cannot_be_ended_here(world):
    first, second = world.new_proposal(title="一"), world.new_proposal(title="二")
    world.to_in_progress(first)
    world.to_in_progress(second)
    out = world.do(first, "notify_own_project_start", "proposer", own_project_title="写真展",
                   own_project_start=date(2026, 8, 1))
    err = refused(world, second, ConditionNotMet, "notify_own_project_end", "proposer",
                  own_project_id=out.facts["own_project_id"], own_project_end=date(2026, 9, 1))
    assert err.failed == ["own_project_open"]


def test_own_project_may_end_while_evaluating(world):
    pid = world.new_proposal()
    world.to_in_progress(pid)
    own_id = world.do(pid, "notify_own_project_start", "proposer", own_project_title="写真展",
                      own_project_start=date(2026, 8, 1)).facts["own_project_id"]
    world.do(pid, "complete", "department", completion_report="完了")
    assert ("own_project_end_notice", str(own_id)) in open_deadlines(world, pid)
    world.do(pid, "notify_own_project_end", "proposer", own_project_id=own_id, own_project_end=date(2027, 3, 1))
    assert ("own_project_end_notice", str(own_id)) not in open_deadlines(world, pid)


# --- Cases that cannot get stuck: enough reviewers, reviewers added and replaced, conflicts


def uid(world, who: str) -> int:
    return world[who].user_id


def add_person(world, key: str, roles: tuple[str, ...], **kwargs) -> None:
    """One more person in the test city, known to ``world.do`` by ``key``."""
    from workflow import directory
    from workflow.actors import load_actor

    user_id = directory.add_user(world.s, f"x-{key}", key, f"{key}@city.jp", roles, clock=world.clock, **kwargs)
    world.s.commit()
    world.actors[key] = load_actor(world.s, user_id)
    world.s.commit()


def assignments(world, pid: int) -> dict[int, tuple]:
    rows = world.s.execute(select(ReviewAssignment).where(ReviewAssignment.proposal_id == pid)).scalars().all()
    world.s.commit()
    return {r.reviewer_id: (r.ended_at is not None, r.ended_by, r.end_reason, r.replaced_by) for r in rows}


def notified(world, pid: int, kind: str) -> list[str]:
    emails = world.s.execute(select(Notice.email).where(Notice.proposal_id == pid, Notice.kind == kind)
                             .order_by(Notice.id)).scalars().all()
    world.s.commit()
    return list(emails)


def test_a_review_cannot_start_with_fewer_reviewers_than_it_needs_reviews(world):
    pid = world.new_proposal()
    world.do(pid, "submit", "proposer")
    err = refused(world, pid, InvalidInput, "start_review", "secretariat",
                  reviewer_ids=[uid(world, "reviewer1")], department_id=world.dept)
    assert err.name == "reviewer_ids" and "2人以上" in err.message_ja and "at least 2" in err.message_en


def test_reviewers_can_be_added_during_the_review_and_are_asked_like_the_others(world):
    pid = world.new_proposal()
    world.to_under_review(pid)
    refused(world, pid, NotAllowed, "add_reviewer", "department", reviewer_ids=[uid(world, "reviewer3")])
    # Nobody is asked twice, and nobody who may not review is added.
    for who in ("reviewer1", "member_reviewer", "department"):
        err = refused(world, pid, InvalidInput, "add_reviewer", "secretariat", reviewer_ids=[uid(world, who)])
        assert err.name == "reviewer_ids"
    world.do(pid, "add_reviewer", "secretariat", reviewer_ids=[uid(world, "reviewer3")])
    assert set(assignments(world, pid)) == {uid(world, r) for r in ("reviewer1", "reviewer2", "reviewer3")}
    assert "r3@city.jp" in notified(world, pid, "review_assigned")
    world.do(pid, "submit_review", "reviewer3", **SCORES)
    world.do(pid, "submit_review", "reviewer1", **SCORES)
    assert world.do(pid, "finish_review", "secretariat").to_state == "in_coordination"


def test_a_reviewer_who_falls_ill_is_replaced_and_the_change_is_kept(world):
    pid = world.new_proposal()
    world.to_under_review(pid)
    r1, r2, r3 = uid(world, "reviewer1"), uid(world, "reviewer2"), uid(world, "reviewer3")
    change = dict(leaving_reviewer_id=r1, incoming_reviewer_id=r3, replacement_reason="病気療養のため")
    refused(world, pid, NotAllowed, "replace_reviewer", "department", **change)
    refused(world, pid, MissingInput, "replace_reviewer", "secretariat", **{**change, "replacement_reason": " "})
    err = refused(world, pid, InvalidInput, "replace_reviewer", "secretariat",
                  **{**change, "leaving_reviewer_id": r3, "incoming_reviewer_id": r1})
    assert err.name == "leaving_reviewer_id"  # not a reviewer of this case
    err = refused(world, pid, InvalidInput, "replace_reviewer", "secretariat", **{**change, "incoming_reviewer_id": r2})
    assert err.name == "incoming_reviewer_id"  # already reviewing it
    err = refused(world, pid, InvalidInput, "replace_reviewer", "secretariat",
                  **{**change, "incoming_reviewer_id": uid(world, "member_reviewer")})
    assert err.name == "incoming_reviewer_id"  # a member of the proposing group
    before = len(notified(world, pid, "review_assigned"))
    world.do(pid, "replace_reviewer", "secretariat", **change)
    kept = assignments(world, pid)
    assert kept[r1] == (True, uid(world, "secretariat"), "病気療養のため", r3)  # ended, never deleted
    assert kept[r3] == (False, None, "", None) and kept[r2][0] is False
    asked = notified(world, pid, "review_assigned")[before:]
    assert "r3@city.jp" in asked and "r1@city.jp" not in asked
    event = world.s.execute(select(AuditEvent.actor_role, AuditEvent.inputs).where(
        AuditEvent.proposal_id == pid, AuditEvent.trigger == "replace_reviewer")).one()
    world.s.commit()
    assert event.actor_role == "secretariat" and event.inputs == change
    # The one who left reviews no more and is not asked back; the newcomer finishes the review.
    refused(world, pid, NotAllowed, "submit_review", "reviewer1", **SCORES)
    err = refused(world, pid, InvalidInput, "add_reviewer", "secretariat", reviewer_ids=[r1])
    assert str(r1) in err.message_en
    world.do(pid, "submit_review", "reviewer2", **SCORES)
    world.do(pid, "submit_review", "reviewer3", **SCORES)
    assert world.do(pid, "finish_review", "secretariat").to_state == "in_coordination"


def test_a_reviewer_who_has_reviewed_cannot_be_replaced(world):
    pid = world.new_proposal()
    world.to_under_review(pid)
    world.do(pid, "submit_review", "reviewer1", **SCORES)
    err = refused(world, pid, InvalidInput, "replace_reviewer", "secretariat",
                  leaving_reviewer_id=uid(world, "reviewer1"), incoming_reviewer_id=uid(world, "reviewer3"),
                  replacement_reason="交代")
    assert err.name == "leaving_reviewer_id" and "審査結果を登録済み" in err.message_ja


def test_an_approver_of_the_proposing_group_cannot_decide_its_proposal(world):
    """Today's defect: an approver who is a member of the group adopts its proposal."""
    add_person(world, "member_approver", ("approver",), organisation_ids=(world.org,))
    pid = world.new_proposal()
    world.to_awaiting_decision(pid)
    for trigger in ("adopt", "reject", "return_to_coordination"):
        inputs = {"note": "差戻し"} if trigger == "return_to_coordination" else {"reasons": "公益性が高いため"}
        err = refused(world, pid, NotAllowed, trigger, "member_approver", **inputs)
        assert "提案団体・応募団体に所属している" in err.message_ja and "belong to" in err.message_en
    assert world.do(pid, "adopt", "approver", reasons="公益性が高いため").to_state == "contracting"


def test_department_staff_of_the_proposing_group_cannot_coordinate_its_proposal(world):
    add_person(world, "member_staff", ("department",), department_id=world.dept, organisation_ids=(world.org,))
    pid = world.new_proposal()
    world.to_in_coordination(pid)
    err = refused(world, pid, NotAllowed, "refer_for_decision", "member_staff", department_opinion="適当")
    assert "利害関係" in err.message_ja
    assert world.do(pid, "refer_for_decision", "department", department_opinion="適当").to_state == "awaiting_decision"


def test_a_declared_conflict_keeps_the_person_out_of_the_case(world):
    add_person(world, "approver2", ("approver",))
    pid = world.new_proposal()
    world.to_awaiting_decision(pid)
    refused(world, pid, MissingInput, "declare_conflict", "approver", conflict_reason="  ")
    refused(world, pid, NotAllowed, "declare_conflict", "proposer", conflict_reason="x")
    world.do(pid, "declare_conflict", "approver", conflict_reason="提案団体の代表者が親族のため")
    declared = world.s.execute(select(ConflictDeclaration).where(ConflictDeclaration.proposal_id == pid)).scalar_one()
    world.s.commit()
    assert (declared.user_id, declared.role, declared.reason) == (
        uid(world, "approver"), "approver", "提案団体の代表者が親族のため")
    err = refused(world, pid, NotAllowed, "adopt", "approver", reasons="理由")
    assert "利害関係を申し出ている" in err.message_ja and "declared a conflict" in err.message_en
    refused(world, pid, NotAllowed, "declare_conflict", "approver", conflict_reason="二度目")
    # Another approver decides; the one who declared stays out for the rest of the case.
    assert world.do(pid, "adopt", "approver2", reasons="公益性が高いため").to_state == "contracting"


def test_a_reviewer_who_declares_a_conflict_is_replaced_and_the_review_finishes(world):
    from workflow.rules.catalogue import rules_for

    pid = world.new_proposal()
    world.to_under_review(pid)
    r1 = uid(world, "reviewer1")
    world.do(pid, "declare_conflict", "reviewer1", conflict_reason="審査対象の団体で講師をしています")
    refused(world, pid, NotAllowed, "submit_review", "reviewer1", **SCORES)
    # Nothing is owed by them any more: no reminders, no queue, no notices.
    owed = world.s.execute(select(rules_for("citizen_proposal").review_pending(pid, r1))).scalar()
    world.s.commit()
    assert owed is False or owed == 0
    # They cannot be chosen again, but they can be replaced.
    err = refused(world, pid, InvalidInput, "add_reviewer", "secretariat", reviewer_ids=[r1])
    assert err.name == "reviewer_ids"
    world.do(pid, "replace_reviewer", "secretariat", leaving_reviewer_id=r1,
             incoming_reviewer_id=uid(world, "reviewer3"), replacement_reason="利害関係の申出")
    world.do(pid, "submit_review", "reviewer2", **SCORES)
    world.do(pid, "submit_review", "reviewer3", **SCORES)
    assert world.do(pid, "finish_review", "secretariat").to_state == "in_coordination"


def test_a_declaration_is_offered_only_to_those_who_act_on_the_case(world):
    pid = world.new_proposal()
    refused(world, pid, InvalidState, "declare_conflict", "approver", conflict_reason="x")  # a draft is the group's
    world.to_under_review(pid)
    refused(world, pid, NotAllowed, "declare_conflict", "reviewer3", conflict_reason="x")  # not assigned
    refused(world, pid, NotAllowed, "declare_conflict", "other_department", conflict_reason="x")
    world.do(pid, "declare_conflict", "department", conflict_reason="提案団体の理事を務めています")
    world.do(pid, "submit_review", "reviewer1", **SCORES)
    world.do(pid, "submit_review", "reviewer2", **SCORES)
    world.do(pid, "finish_review", "secretariat")
    err = refused(world, pid, NotAllowed, "log_coordination", "department", note="x")
    assert "利害関係を申し出ている" in err.message_ja
    world.do(pid, "log_coordination", "secretariat", note="所管課の担当者が利害関係を申し出たため、事務局が調整")


def test_queues_and_digests_follow_the_reviewers_still_asked(world):
    """A replaced reviewer, or one who declared a conflict, is no longer asked: not in their
    queue, not in the daily digest; the newcomer is."""
    from notifications.reminders import _pending_reviews
    from workflow.queries.worklists import queue

    pid = world.new_proposal()
    world.to_under_review(pid)
    world.do(pid, "declare_conflict", "reviewer2", conflict_reason="団体の顧問です")
    world.do(pid, "replace_reviewer", "secretariat", leaving_reviewer_id=uid(world, "reviewer1"),
             incoming_reviewer_id=uid(world, "reviewer3"), replacement_reason="病気療養のため")
    listed = {who: [i.id for i in queue(world.s, world[who], "reviewer").items]
              for who in ("reviewer1", "reviewer2", "reviewer3")}
    world.s.commit()
    assert listed == {"reviewer1": [], "reviewer2": [], "reviewer3": [pid]}
    assert {(r.reviewer_id, r.id) for r in _pending_reviews(world.s)} == {(uid(world, "reviewer3"), pid)}
