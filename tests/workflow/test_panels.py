"""The public presentation of a round (令和9年4月1日施行, citizen_proposal version 2), scored by the
round's review panel: the secretariat names the panel and schedules each presentation (the group
is told), every member without a conflict scores every criterion, Kyodo computes each member's
weighted total, the mean, the rank and the pass exactly; a member with a conflict is recused;
the presentation is recorded only once the scores are all in; bad points are refused clearly."""

from __future__ import annotations

from datetime import date, datetime, timezone
from fractions import Fraction

import threading

import pytest
from sqlalchemy import select, update

from db.models import DirectoryEvent, Notice, PanelScore, Proposal, ProposalRound, RoundCriterion
from db.session import new_session
from notifications.render import render
from states import get_lifecycle
from tests.support import COMPLETE, SCORES
from workflow import panels, proposals
from workflow.calendar.clock import JST
from workflow.engine.outbox import decode
from workflow.errors import ConditionNotMet, InvalidInput, NotAllowed
from workflow.rounds import RoundProblems

V2 = get_lifecycle("citizen_proposal", 2)
RECORD, FINISH, DECLARE = "record_presentation", "finish_review", "declare_conflict"
# (key, weight, max_points): the weights make 100.
CRITERIA = (("benefit", 40, 5), ("feasibility", 30, 5), ("collaboration", 30, 10))


def at(world, when: datetime) -> None:
    world.clock.set(when)


def make_round(world, *, pass_mark: int = 60, opens=date(2027, 4, 1), closes=date(2027, 6, 30),
               code: str = "2027-free") -> int:
    r = ProposalRound(code=code, fiscal_year=2027, kind="free", title_ja="令和9年度 協働事業提案（自由提案型）",
                      title_en="FY2027 collaboration proposals", opens_on=opens, closes_on=closes,
                      pass_mark=pass_mark, created_by=world["secretariat"].user_id, created_at=world.clock.now(),
                      published_at=world.clock.now())
    world.s.add(r)
    world.s.flush()
    for n, (key, weight, top) in enumerate(CRITERIA, start=1):
        world.s.add(RoundCriterion(round_id=r.id, key=key, label_ja={"benefit": "公益性", "feasibility": "実現可能性",
                                                                     "collaboration": "協働の効果"}[key],
                                   label_en=key.capitalize(), weight=weight, max_points=top, position=n))
    world.s.commit()
    return r.id


def to_presentation(world, pid: int, proposer: str = "proposer") -> None:
    world.do(pid, "submit", proposer)
    world.do(pid, "start_review", "secretariat",
             reviewer_ids=[world["reviewer1"].user_id, world["reviewer2"].user_id], department_id=world.dept)
    world.do(pid, "submit_review", "reviewer1", **SCORES)
    world.do(pid, "submit_review", "reviewer2", **SCORES)
    assert world.do(pid, FINISH, "secretariat").to_state in panels_states()


def panels_states():
    """The states in which the panel scores (read from the definition)."""
    from workflow.rules.rounds import panel_states
    return panel_states(V2)


def score(world, pid: int, who: str, benefit, feasibility, collaboration) -> bool:
    out = panels.record_scores(world.s, pid, world[who].user_id,
                               {"benefit": benefit, "feasibility": feasibility, "collaboration": collaboration},
                               clock=world.clock)
    world.s.commit()
    return out


def state_of(world, pid: int) -> str:
    world.s.rollback()
    return world.s.get(Proposal, pid).state


@pytest.fixture
def fy2027(world):
    """A round of FY2027 with two proposals at their presentation and a panel of three."""
    at(world, datetime(2027, 5, 10, 10, tzinfo=JST))
    rid = make_round(world)
    mine = world.new_proposal(round_id=rid)
    theirs = proposals.create(world.s, world["outsider"], world.other_org,
                              {**COMPLETE, "title": "商店街の子育てひろば", "round_id": rid}, clock=world.clock)
    to_presentation(world, mine)
    to_presentation(world, theirs, "outsider")
    for who in ("reviewer1", "reviewer2", "department"):
        assert panels.add_member(world.s, rid, world[who].user_id, actor_id=world["secretariat"].user_id,
                                 clock=world.clock)
    world.s.commit()
    return rid, mine, theirs


def test_a_round_under_version_2_scores_totals_means_ranks_and_passes_exactly(world, fy2027):
    rid, mine, theirs = fy2027
    assert world.s.get(Proposal, mine).lifecycle_version == 2
    # The department's member scores, then declares a conflict of interest: recused from then on.
    score(world, mine, "department", 0, 0, 0)
    world.do(mine, DECLARE, "department", conflict_reason="提案団体の理事と親族関係にある")
    with pytest.raises(NotAllowed) as refused:
        score(world, mine, "department", 5, 5, 10)
    assert "利害関係" in refused.value.message_ja and "conflict of interest" in refused.value.message_en

    score(world, mine, "reviewer1", 4, 3, 8)      # 32 + 18 + 24 = 74
    score(world, mine, "reviewer2", 3, 3, 7)      # 24 + 18 + 21 = 63
    score(world, theirs, "reviewer1", 3, 2, 7)    # 24 + 12 + 21 = 57
    score(world, theirs, "reviewer2", 4, 2, 5)    # 32 + 12 + 15 = 59
    score(world, theirs, "department", 5, 5, 10)  # 100: no conflict on the other group's proposal

    results = {r.proposal_id: r for r in panels.round_results(world.s, rid)}
    a, b = results[mine], results[theirs]
    totals = {m.name: (m.total, m.recused) for m in a.members}
    assert totals == {"伊藤": (Fraction(74), False), "渡辺": (Fraction(63), False), "松本": (Fraction(0), True)}
    assert a.mean == Fraction(137, 2) and a.rank == 2 and a.passed is True  # the recused 0 is left out
    assert b.mean == Fraction(216, 3) == 72 and b.rank == 1 and b.passed is True
    assert panels.fmt(a.mean) == "68.50"

    # Anonymous, for publication: no names, no user ids, totals of the counted members only.
    public = panels.panel_results(world.s, rid)
    assert [p["proposal_id"] for p in public] == [theirs, mine]
    assert public[1]["member_totals"] == [Fraction(74), Fraction(63)]
    assert all(set(p) == {"proposal_id", "title", "member_totals", "mean", "rank", "passed"} for p in public)


def test_a_mean_of_exactly_the_pass_mark_passes_and_one_below_fails(world, fy2027):
    rid, mine, theirs = fy2027
    for pid in (mine, theirs):
        world.do(pid, DECLARE, "department", conflict_reason="審査の公正のため")
    score(world, mine, "reviewer1", 3, 3, 6)    # 24 + 18 + 18 = 60
    score(world, mine, "reviewer2", 3, 3, 6)    # 60
    score(world, theirs, "reviewer1", 3, 3, 6)  # 60
    score(world, theirs, "reviewer2", 3, 3, 5)  # 57: mean 58.5
    results = {r.proposal_id: r for r in panels.round_results(world.s, rid)}
    assert (results[mine].mean, results[mine].passed, results[mine].rank) == (60, True, 1)
    assert (results[theirs].mean, results[theirs].passed, results[theirs].rank) == (Fraction(117, 2), False, 2)
    # Equal means share their rank.
    score(world, theirs, "reviewer2", 3, 3, 6)
    assert {r.rank for r in panels.round_results(world.s, rid)} == {1}


def test_the_presentation_is_recorded_only_once_every_member_without_a_conflict_has_scored(world, fy2027):
    rid, mine, _ = fy2027
    world.do(mine, DECLARE, "department", conflict_reason="提案団体の会員である")
    with pytest.raises(ConditionNotMet) as refused:
        world.do(mine, RECORD, "secretariat", note="実施した")
    assert "panel_scores_complete" in refused.value.failed
    score(world, mine, "reviewer1", 4, 3, 8)
    with pytest.raises(ConditionNotMet):
        world.do(mine, RECORD, "secretariat", note="実施した")
    score(world, mine, "reviewer2", 3, 3, 7)
    # The recused member's missing scores do not hold it up.
    world.do(mine, RECORD, "secretariat", note="実施した")
    assert state_of(world, mine) not in panels_states()
    # Once recorded, the scores no longer change.
    with pytest.raises(InvalidInput) as late:
        score(world, mine, "reviewer1", 5, 5, 10)
    assert "公開プレゼンテーションの段階にない" in late.value.message_ja
    # A member who scored a recorded proposal stays on the panel.
    with pytest.raises(InvalidInput):
        panels.remove_member(world.s, rid, world["reviewer1"].user_id, clock=world.clock)


# PostgreSQL only: SQLite runs one writer at a time, so the race needs PostgreSQL's row locks.
@pytest.mark.parametrize("db_engine", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
def test_a_score_being_written_waits_for_a_presentation_being_recorded_and_is_refused_after_it(world, fy2027):
    # The engine holds the case's row while it records the presentation; a member's
    # correction sent at that moment must not land after the record.
    _, mine, _ = fy2027
    world.do(mine, DECLARE, "department", conflict_reason="提案団体の会員である")
    score(world, mine, "reviewer1", 4, 3, 8)
    score(world, mine, "reviewer2", 3, 3, 7)
    after = V2.transition_from(RECORD, next(iter(panels_states()))).dest
    engine = world.s.get_bind()
    recording = engine.connect()
    tx = recording.begin()
    recording.execute(update(Proposal).where(Proposal.id == mine).values(state=after, version=Proposal.version + 1))
    outcome: list = []

    def correct():
        with new_session(engine) as s:
            try:
                outcome.append(panels.record_scores(s, mine, world["reviewer1"].user_id,
                                                    {"benefit": 5, "feasibility": 5, "collaboration": 10},
                                                    clock=world.clock))
                s.commit()
            except InvalidInput as exc:
                outcome.append(exc)

    worker = threading.Thread(target=correct)
    worker.start()
    worker.join(1.0)
    assert worker.is_alive()  # waiting for the row, not writing beside the record
    tx.commit()
    recording.close()
    worker.join(30)
    assert len(outcome) == 1 and isinstance(outcome[0], InvalidInput)
    points = {(m, c) for m, c in world.s.execute(select(PanelScore.member_id, PanelScore.points)
                                                  .where(PanelScore.proposal_id == mine))}
    assert (world["reviewer1"].user_id, 10) not in points


def test_a_member_of_the_proposing_group_is_recused_without_declaring(world, fy2027):
    rid, mine, theirs = fy2027
    panels.add_member(world.s, rid, world["member_reviewer"].user_id, clock=world.clock)
    world.s.commit()
    with pytest.raises(NotAllowed):
        score(world, mine, "member_reviewer", 5, 5, 10)
    assert score(world, theirs, "member_reviewer", 1, 1, 1)
    listed = {x.proposal_id: x.recused for x in panels.to_score(world.s, world["member_reviewer"].user_id)}
    assert listed == {mine: True, theirs: False}


def test_a_member_corrects_scores_until_the_presentation_is_recorded_and_the_trail_keeps_it(world, fy2027):
    rid, mine, _ = fy2027
    assert score(world, mine, "reviewer1", 4, 3, 8)
    assert not score(world, mine, "reviewer1", 4, 3, 8)  # nothing changed
    assert score(world, mine, "reviewer1", 5, 3, 8)
    results = {r.proposal_id: r for r in panels.round_results(world.s, rid)}
    assert next(m.total for m in results[mine].members if m.name == "伊藤") == 82
    actions = list(world.s.execute(select(DirectoryEvent.action).where(
        DirectoryEvent.subject == "round", DirectoryEvent.subject_id == rid).order_by(DirectoryEvent.id)).scalars())
    assert actions.count("panel_member_added") == 3
    assert actions[-2:] == ["panel_scored", "panel_scores_corrected"]


@pytest.mark.parametrize("bad", [-1, 6, 2**31, "abc", "", "3.5", None, True, "9" * 10_000])
def test_bad_points_are_refused_naming_the_criterion_and_its_range(world, fy2027, bad):
    _, mine, _ = fy2027
    with pytest.raises(RoundProblems) as refused:
        score(world, mine, "reviewer1", bad, 3, 8)
    assert set(refused.value.problems) == {"benefit"}
    ja, en = refused.value.problems["benefit"]
    assert "公益性" in ja and ("0から5" in ja or "0〜5" in ja)
    assert "Benefit" in en and "0 to 5" in en
    assert len(ja) < 200 and len(en) < 200  # bounded, whatever was typed
    world.s.rollback()
    assert panels.round_results(world.s, fy2027[0])[0].members[0].total is None  # nothing was kept


def test_full_width_points_are_read_and_the_highest_of_a_criterion_is_its_own(world, fy2027):
    _, mine, _ = fy2027
    assert score(world, mine, "reviewer1", "５", " 3 ", "10")
    with pytest.raises(RoundProblems) as refused:
        score(world, mine, "reviewer1", 5, 3, 11)
    assert "0から10" in refused.value.problems["collaboration"][0]


def test_someone_not_on_the_panel_cannot_score(world, fy2027):
    _, mine, _ = fy2027
    with pytest.raises(NotAllowed) as refused:
        score(world, mine, "reviewer3", 3, 3, 3)
    assert "審査委員ではない" in refused.value.message_ja


def test_scheduling_a_presentation_tells_the_group_when_and_where_in_japan_time(world, fy2027):
    rid, mine, _ = fy2027
    done = panels.schedule(world.s, mine, {"starts_at": "2027-06-12T14:30", "place": "市庁舎 1階 市民協働ホール",
                                           "online_url": "https://meet.example.jp/p1", "position": "2"},
                           actor_id=world["secretariat"].user_id, clock=world.clock, settings=world.settings)
    world.s.commit()
    assert done
    slot = panels.slot_of(world.s, mine)
    assert slot.starts_at == datetime(2027, 6, 12, 5, 30, tzinfo=timezone.utc) and slot.position == 2
    notices = list(world.s.execute(select(Notice).where(Notice.proposal_id == mine,
                                                        Notice.kind == "presentation_scheduled")).scalars())
    # The group's contacts (the world's member_reviewer is one too), and nobody else.
    assert sorted(n.email for n in notices) == ["p@example.jp", "r4@city.jp"]
    ctx = decode(notices[0].context)
    ja = render("presentation_scheduled", "ja", ctx)
    en = render("presentation_scheduled", "en", ctx)
    assert "令和9年6月12日" in ja.text and "14:30" in ja.text and "市民協働ホール" in ja.text
    assert "June" in en.text and "14:30" in en.text and "https://meet.example.jp/p1" in en.text
    # Scores are not in the group's letter.
    assert "伊藤" not in ja.text
    # The same schedule again changes nothing and tells no one twice.
    assert not panels.schedule(world.s, mine, {"starts_at": "2027-06-12T14:30", "place": "市庁舎 1階 市民協働ホール",
                                               "online_url": "https://meet.example.jp/p1", "position": "2"},
                               clock=world.clock, settings=world.settings)
    assert "presentation_scheduled" in world.s.execute(select(DirectoryEvent.action).where(
        DirectoryEvent.subject == "round", DirectoryEvent.subject_id == rid)).scalars().all()


@pytest.mark.parametrize("data, field", [
    ({"starts_at": "2027-13-40T25:00", "place": "ホール"}, "starts_at"),
    ({"starts_at": "", "place": "ホール"}, "starts_at"),
    ({"starts_at": "2027-06-12T14:30"}, "place"),
    ({"starts_at": "2027-06-12T14:30", "online_url": "javascript:alert(1)"}, "online_url"),
    ({"starts_at": "2027-06-12T14:30", "place": "x" * 301}, "place"),
    ({"starts_at": "2027-06-12T14:30", "place": "ホール", "position": "0"}, "position"),
    ({"starts_at": "2027-06-12T14:30", "place": "ホール", "position": str(2**31)}, "position"),
])
def test_a_bad_schedule_is_refused_by_field(world, fy2027, data, field):
    _, mine, _ = fy2027
    with pytest.raises(RoundProblems) as refused:
        panels.schedule(world.s, mine, data, clock=world.clock, settings=world.settings)
    assert field in refused.value.problems
    world.s.rollback()
    assert world.s.execute(select(Notice).where(Notice.kind == "presentation_scheduled")).first() is None


def test_a_round_proposal_under_version_1_has_a_single_document_stage(world):
    rid = make_round(world, code="2026-free", opens=date(2026, 4, 1), closes=date(2026, 6, 30))
    pid = world.new_proposal(round_id=rid)
    panels.add_member(world.s, rid, world["reviewer3"].user_id, clock=world.clock)
    world.s.commit()
    world.to_in_coordination(pid)  # straight from the review to coordination: no presentation
    assert world.s.get(Proposal, pid).lifecycle_version == 1
    with pytest.raises(InvalidInput):
        panels.schedule(world.s, pid, {"starts_at": "2026-06-12T14:30", "place": "ホール"}, clock=world.clock,
                        settings=world.settings)
    assert panels.round_results(world.s, rid) == []
