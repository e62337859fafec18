"""Applying in a round (募集): a proposal names its round and theme, is submitted only inside the
round's window (Japan date of the engine's clock), after a prior consultation where the round
asks for one; a late attempt is refused with the closing date in 和暦 and kept in the round's
trail; groups with drafts are reminded three days and one day before the close."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import select

from db.models import Consultation, DirectoryEvent, Notice, Proposal, ProposalRound, RoundTheme
from notifications import reminders
from notifications.render import render
from config import Settings
from states import get_lifecycle
from workflow import consultations, proposals, round_entry
from workflow.calendar.clock import JST, MovableClock
from workflow.engine.outbox import decode
from workflow.errors import ConditionNotMet, InvalidInput, NotAllowed

OPENS, CLOSES = date(2026, 4, 1), date(2026, 5, 29)  # closes 令和8年5月29日 (a Friday)
SUBMIT = get_lifecycle("citizen_proposal", 1).transitions_for("submit")[0].trigger


def make_round(world, *, code="2026-spring", opens=OPENS, closes=CLOSES, requires_consultation=False,
               kind="both", published=True) -> int:
    r = ProposalRound(code=code, fiscal_year=2026, kind=kind, title_ja=f"令和8年度 協働事業提案（{code}）",
                      title_en=f"Collaboration proposals FY2026 ({code})", opens_on=opens, closes_on=closes,
                      requires_consultation=requires_consultation, created_by=world["secretariat"].user_id,
                      created_at=world.clock.now(), published_at=world.clock.now() if published else None)
    world.s.add(r)
    world.s.commit()
    return r.id


def make_theme(world, round_id: int, title: str = "川辺の生きもの調査") -> int:
    t = RoundTheme(round_id=round_id, department_id=world.dept, title=title, project_fiscal_year=2027)
    world.s.add(t)
    world.s.commit()
    return t.id


def at(world, when: datetime) -> MovableClock:
    world.clock.set(when)
    return world.clock


def state_of(world, pid: int) -> str:
    world.s.rollback()
    return world.s.get(Proposal, pid).state


def late_trail(world, round_id: int) -> list[DirectoryEvent]:
    world.s.rollback()
    return list(world.s.execute(select(DirectoryEvent).where(
        DirectoryEvent.subject == "round", DirectoryEvent.subject_id == round_id,
        DirectoryEvent.action == "late_submission_refused")).scalars())


# --- a proposal in a round


def test_a_proposal_names_its_round_and_theme_and_is_submitted_inside_the_window(world):
    rid = make_round(world)
    tid = make_theme(world, rid)
    pid = world.new_proposal(round_id=rid, theme_id=tid)
    row = world.s.get(Proposal, pid)
    assert (row.round_id, row.theme_id) == (rid, tid)
    out = world.do(pid, SUBMIT, "proposer")
    assert out.to_state != get_lifecycle("citizen_proposal", 1).initial
    assert late_trail(world, rid) == []


def test_the_last_day_counts_whole_in_japan_time(world):
    rid = make_round(world)
    pid = world.new_proposal(round_id=rid)
    at(world, datetime(2026, 5, 29, 23, 59, tzinfo=JST))  # 14:59 UTC: still the 29th in the city
    world.do(pid, SUBMIT, "proposer")
    assert state_of(world, pid) != get_lifecycle("citizen_proposal", 1).initial


def test_after_the_close_submission_is_refused_with_the_closing_date_and_kept_in_the_trail(world):
    rid = make_round(world)
    pid = world.new_proposal(round_id=rid)
    initial = state_of(world, pid)
    at(world, datetime(2026, 5, 30, 0, 0, tzinfo=JST))  # 15:00 UTC on the 29th: already the 30th in the city
    with pytest.raises(ConditionNotMet) as refused:
        world.do(pid, SUBMIT, "proposer")
    assert refused.value.failed == ["round_window_open"]
    assert state_of(world, pid) == initial
    assert late_trail(world, rid) == []  # the engine rolled the attempt back with everything else

    # What the page and the API call with the refusal: the trail, and the date in words.
    said = round_entry.refused(world.s, refused.value, pid, world["proposer"], world.clock)
    assert said.message_ja == "募集期間（令和8年5月29日まで）を過ぎているため提出できません。"
    assert said.message_en == ("The application period ended on 29 May 2026; "
                               "the proposal can no longer be submitted.")
    assert said.failed == ["round_window_open"]
    [event] = late_trail(world, rid)
    assert event.details == {"proposal_id": pid, "organisation_id": world.org}
    assert event.actor_id == world["proposer"].user_id
    assert state_of(world, pid) == initial


def test_before_the_window_opens_a_proposal_in_it_waits(world):
    rid = make_round(world, opens=date(2026, 4, 1))
    pid = world.new_proposal(round_id=rid)
    world.s.get(ProposalRound, rid).opens_on = date(2026, 4, 10)  # moved later by the secretariat
    world.s.commit()
    with pytest.raises(ConditionNotMet) as refused:
        world.do(pid, SUBMIT, "proposer")
    said = round_entry.refused(world.s, refused.value, pid, world["proposer"], world.clock)
    assert "令和8年4月10日から令和8年5月29日まで" in said.message_ja and "まだ始まっていません" in said.message_ja
    assert late_trail(world, rid) == []  # early is not late


def test_other_refusals_pass_through_the_edge_unchanged(world):
    rid = make_round(world)
    pid = world.new_proposal(round_id=rid, purpose="")
    with pytest.raises(ConditionNotMet) as refused:
        world.do(pid, SUBMIT, "proposer")
    assert refused.value.failed == ["proposal_complete"]
    assert round_entry.refused(world.s, refused.value, pid, world["proposer"], world.clock) is refused.value
    assert late_trail(world, rid) == []


def test_a_proposal_outside_any_round_is_received_whenever_it_comes(world):
    make_round(world)
    pid = world.new_proposal()
    at(world, datetime(2026, 7, 1, 9, tzinfo=JST))
    world.do(pid, SUBMIT, "proposer")
    assert world.s.get(Proposal, pid).round_id is None


# --- prior consultation


def test_a_round_requiring_a_consultation_accepts_a_submission_once_one_was_held(world):
    rid = make_round(world, requires_consultation=True)
    pid = world.new_proposal(round_id=rid)
    with pytest.raises(ConditionNotMet) as refused:
        world.do(pid, SUBMIT, "proposer")
    assert refused.value.failed == ["round_consultation_held"]

    cid = consultations.request(world.s, world["proposer"], world.org, topic="事業の進め方", preferred_dates="4月中の平日",
                                round_id=rid, clock=world.clock)
    world.s.commit()
    with pytest.raises(ConditionNotMet):  # requested is not held
        world.do(pid, SUBMIT, "proposer")

    with pytest.raises(InvalidInput) as future:  # recorded once it has taken place
        consultations.record_held(world.s, world["secretariat"], cid, held_on="2026-04-07", notes="", clock=world.clock)
    assert future.value.name == "held_on"
    world.s.rollback()
    consultations.record_held(world.s, world["secretariat"], cid, held_on="2026-04-06", notes="代表者と面談",
                              clock=world.clock)
    world.s.commit()
    world.do(pid, SUBMIT, "proposer")
    assert state_of(world, pid) != get_lifecycle("citizen_proposal", 1).initial
    actions = world.s.execute(select(DirectoryEvent.action, DirectoryEvent.details).where(
        DirectoryEvent.subject == "consultation", DirectoryEvent.subject_id == cid)
        .order_by(DirectoryEvent.id)).all()
    assert [a for a, _ in actions] == ["requested", "held"]
    assert all("代表者と面談" not in str(d) for _, d in actions)  # the notes stay out of the trail


def test_a_consultation_for_another_round_does_not_count_one_for_no_round_does(world):
    rid = make_round(world, requires_consultation=True)
    other = make_round(world, code="2026-autumn")
    pid = world.new_proposal(round_id=rid)
    held = Consultation(organisation_id=world.org, round_id=other, held_on=date(2026, 4, 3), topic="別の募集")
    world.s.add(held)
    world.s.commit()
    with pytest.raises(ConditionNotMet):
        world.do(pid, SUBMIT, "proposer")
    world.s.add(Consultation(organisation_id=world.other_org, round_id=rid, held_on=date(2026, 4, 3), topic="他団体"))
    world.s.commit()
    with pytest.raises(ConditionNotMet):  # another group's consultation is not ours
        world.do(pid, SUBMIT, "proposer")
    world.s.add(Consultation(organisation_id=world.org, round_id=None, held_on=date(2026, 4, 2), topic="一般的な相談"))
    world.s.commit()
    world.do(pid, SUBMIT, "proposer")


def test_only_a_member_requests_and_only_the_secretariat_records(world):
    with pytest.raises(NotAllowed):
        consultations.request(world.s, world["outsider"], world.org, topic="x", preferred_dates="y", clock=world.clock)
    cid = consultations.request(world.s, world["proposer"], world.org, topic="x", preferred_dates="y",
                                clock=world.clock)
    with pytest.raises(NotAllowed):
        consultations.record_held(world.s, world["department"], cid, held_on="2026-04-06", notes="", clock=world.clock)
    with pytest.raises(InvalidInput) as no_topic:
        consultations.request(world.s, world["proposer"], world.org, topic="  ", preferred_dates="y", clock=world.clock)
    assert no_topic.value.name == "topic"


# --- which round and theme a proposal may name


def test_a_theme_of_another_round_is_refused(world):
    rid = make_round(world)
    other = make_round(world, code="2026-autumn")
    foreign = make_theme(world, other, "公園の花壇づくり")
    with pytest.raises(InvalidInput) as refused:
        world.new_proposal(round_id=rid, theme_id=foreign)
    assert refused.value.name == "theme_id" and "テーマではありません" in refused.value.message_ja
    world.s.rollback()
    pid = world.new_proposal(round_id=rid)
    with pytest.raises(InvalidInput):
        proposals.save_revision(world.s, world["proposer"], pid, {"theme_id": foreign}, clock=world.clock)
    assert world.s.get(Proposal, pid).theme_id is None


def test_a_theme_round_asks_for_a_theme_and_a_closed_or_unpublished_round_cannot_be_named(world):
    themed = make_round(world, kind="theme")
    make_theme(world, themed)
    with pytest.raises(InvalidInput) as no_theme:
        world.new_proposal(round_id=themed)
    assert no_theme.value.name == "theme_id"
    world.s.rollback()
    closed = make_round(world, code="2025-autumn", opens=date(2025, 10, 1), closes=date(2025, 11, 28))
    with pytest.raises(InvalidInput) as late:
        world.new_proposal(round_id=closed)
    assert late.value.name == "round_id" and "令和7年11月28日" in late.value.message_ja
    world.s.rollback()
    draft_round = make_round(world, code="2026-draft", published=False)
    with pytest.raises(InvalidInput):
        world.new_proposal(round_id=draft_round)


def test_a_draft_keeps_its_round_after_the_close_and_the_round_is_settled_once_submitted(world):
    rid = make_round(world)
    other = make_round(world, code="2026-autumn")
    sent = world.new_proposal(round_id=rid)
    world.to_in_coordination(sent)
    world.do(sent, "request_revision", "department", revision_request="費用の内訳を記載してください")
    with pytest.raises(InvalidInput) as settled:
        proposals.save_revision(world.s, world["proposer"], sent, {"round_id": other}, clock=world.clock)
    assert "変更できません" in settled.value.message_ja
    world.s.rollback()
    proposals.save_revision(world.s, world["proposer"], sent, {"content": "月2回の清掃"}, clock=world.clock)
    assert world.s.get(Proposal, sent).round_id == rid

    draft = world.new_proposal(round_id=rid)
    at(world, datetime(2026, 6, 1, 9, tzinfo=JST))
    proposals.save_revision(world.s, world["proposer"], draft, {"title": "川辺の清掃（改）"}, clock=world.clock)
    assert world.s.get(Proposal, draft).round_id == rid  # named while open: kept after the close
    proposals.save_revision(world.s, world["proposer"], draft, {"round_id": None}, clock=world.clock)
    assert world.s.get(Proposal, draft).round_id is None


# --- reminders before the close


def test_drafts_are_reminded_three_days_and_one_day_before_the_close_once_each(world):
    rid = make_round(world)
    draft = world.new_proposal(round_id=rid, title="まだ下書きの提案")
    sent = world.new_proposal(round_id=rid, title="提出済みの提案")
    world.do(sent, SUBMIT, "proposer")
    world.new_proposal(title="募集外の下書き")
    settings = Settings()

    def scan_on(day: date) -> list[Notice]:
        reminders.scan(world.s, at(world, datetime(day.year, day.month, day.day, 9, tzinfo=JST)), settings)
        world.s.rollback()
        return list(world.s.execute(select(Notice).where(Notice.kind == "round_closing")
                                    .order_by(Notice.id)).scalars())

    assert scan_on(date(2026, 5, 25)) == []  # four days before: nothing yet
    three = scan_on(date(2026, 5, 26))
    contacts = {world["proposer"].user_id, world["member_reviewer"].user_id}  # the group's contacts
    assert {n.recipient_id for n in three} == contacts and {n.proposal_id for n in three} == {draft}
    assert scan_on(date(2026, 5, 26)) == three  # the same step is never written twice
    assert scan_on(date(2026, 5, 27)) == three
    both = scan_on(date(2026, 5, 28))
    one = [n for n in both if n not in three]
    assert {n.recipient_id for n in one} == contacts and {n.proposal_id for n in one} == {draft}
    assert scan_on(date(2026, 5, 29)) == both and scan_on(date(2026, 5, 30)) == both
    assert [decode(n.context)["days"] for n in both] == [3, 3, 1, 1]

    letter = render("round_closing", "ja", decode(one[0].context))
    assert "令和8年5月29日に受付を終了します（あと1日）" in letter.text
    assert "まだ下書きの提案" in letter.subject and "締切まであと1日" in letter.subject
    english = render("round_closing", "en", decode(three[0].context))
    assert "29 May 2026" in english.text and "closes in 3 days" in english.subject
