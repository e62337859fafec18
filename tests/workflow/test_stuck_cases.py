"""No case gets stuck: from every state a case reaches, every duty still open can be discharged.

Seeded random walks drive a case of each lifecycle through the engine: anyone fires
anything the case offers, with sensible inputs, people declare conflicts of interest,
reviewers are added and replaced, groups apply and withdraw, and time passes (past a
call's closing date, past fiscal year ends, so annual evaluations open while projects
run). Whenever the case reaches a situation not seen before, a search starts from that
very database and looks for a sequence of triggers, each fired by someone whose role and
reach allow it, that discharges every open duty of that moment:

- an open deadline row is closed;
- an evaluation period (a fiscal year's, or the final one) is published;
- a reviewer whose assignment has not ended and who has not given their review (or, on a
  call, not reviewed every active application) is no longer owed one: they review, they
  are replaced, or the case leaves the review.

The search follows the ordinary course of a case: nobody declares a conflict along it and
no group withdraws; the city ends a call only when no application is left. Every step of
the search runs in a savepoint that is rolled back, so the walk goes on from where it was.

The test city has two of each kind of city staff and five reviewers, and at most one
person per role declares a conflict on a case: the city always has someone left to act.
"""

from __future__ import annotations

import random
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import Session

from config import Settings
from db.models import (
    ApplicationReview,
    CallApplication,
    ConflictDeclaration,
    Contract,
    Deadline,
    Evaluation,
    EvaluationPeriod,
    OwnProject,
    Proposal,
    Review,
    ReviewAssignment,
)
from db.session import make_engine
from states import Transition, all_versions, get_lifecycle, in_effect
from states.common import CONTRACT_TERMS
from tests.support import APPLICATION, COMPLETE, EVAL, SCORES, TERMS, CallWorld
from workflow import directory, engine
from workflow.actors import load_actor
from workflow.calendar.clock import JST, MovableClock, japan_today
from workflow.calendar.japan import fiscal_year, fiscal_year_end
from workflow.engine.authorization import in_reach
from workflow.errors import KyodoError

# A duty is ("deadline", row id) | ("evaluation", period id) | ("review", reviewer id).
Duty = tuple[str, int]

# What the search does not use: a declaration, loops that only add a duty or a record (an
# own project, a fiscal year's evaluation, a note, an amendment, files), a group giving up.
DECLARATION = "record_conflict"
LOOPS_THAT_ONLY_ADD = ("record_own_project_start", "open_evaluation", "record_note", "record_amendment",
                         "record_attachment", "mark_attachment_removed")
OPENS_A_YEAR = "open_evaluation"
REVIEWER_CHANGES = ("assign_more_reviewers", "hand_over_review")
# Loops that do a duty's work, tried first by the search.
DUTY_WORK = ("record_review", "hand_over_review", "record_evaluation", "record_publication",
             "record_own_project_end")

# Where walks start (in turn): just created, under review, running a multi-year project.
STARTS = ("created", "in_review", "running")
MAX_DEPTH = 24
MAX_TRIES = 600
WALK_STEPS = 50
SEEDS = range(9)


def steps_to_the_end(lc) -> dict[str, int]:
    """How many moves each state is from a final one along the ordinary course (no endings
    that need confirming): the search tries the move that gets closest first."""
    distance = {s: 0 for s in lc.final_states()}
    changed = True
    while changed:
        changed = False
        for t in lc.transitions:
            if t.is_loop or t.confirm or t.dest not in distance:
                continue
            for src in t.sources:
                if distance.get(src, 99) > distance[t.dest] + 1:
                    distance[src] = distance[t.dest] + 1
                    changed = True
    return distance


class City(CallWorld):
    """The shared test city, with a second person in every city role and five reviewers."""

    def __init__(self, session, clock, settings=None):
        super().__init__(session, clock, settings)
        extra = {
            "secretariat2": (("secretariat",), {}),
            "approver2": (("approver",), {}),
            "department2": (("department",), {"department_id": self.dept}),
            "reviewer4": (("reviewer",), {}),
            "reviewer5": (("reviewer",), {}),
        }
        for key, (roles, kwargs) in extra.items():
            uid = directory.add_user(session, f"x-{key}", key, f"{key}@city.jp", roles, clock=clock, **kwargs)
            session.commit()
            self.actors[key] = load_actor(session, uid)
        session.commit()


class Walk:
    """One case, walked at random; ``discharge`` searches from where the walk stands."""

    def __init__(self, conn, lifecycle: str, rng: random.Random, start: str = "created", version: int = 1):
        self.conn, self.rng = conn, rng
        self.s = Session(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False)
        # The case starts on ``version``: the walk begins on the first Monday it is in effect.
        first = max(date(2026, 4, 6), get_lifecycle(lifecycle, version).effective)
        first += timedelta(days=(7 - first.weekday()) % 7)
        self.clock = MovableClock(datetime.combine(first, time(9), tzinfo=JST))
        self.w = City(self.s, self.clock, Settings(required_reviews=2))
        self.lc = in_effect(lifecycle, japan_today(self.clock))
        assert self.lc.version == version
        # A call has each application reviewed; a citizen proposal is reviewed as a whole.
        self.per_application = any("application_id" in t.inputs for t in self.lc.transitions
                                   if t.effect == "record_review")
        self.pid = self.w.new_call() if self.per_application else self.w.new_proposal()
        self.distance = steps_to_the_end(self.lc)
        self.log: list[str] = []
        self.declared_roles: set[str] = set()
        self.reviewer_changes: set[str] = set()
        self._start(start)

    def _start(self, start: str) -> None:
        """Drive the case along the usual path to where the walk starts: just created, under
        review, or running a project that spans a fiscal year end (so annual evaluations fall due)."""
        w, pid, today = self.w, self.pid, japan_today(self.clock)
        reviewers = [w["reviewer1"].user_id, w["reviewer2"].user_id]
        if start == "created":
            return
        if not self.per_application:
            w.to_under_review(pid)
            if start == "running":
                for r in ("reviewer1", "reviewer2"):
                    w.do(pid, "submit_review", r, **SCORES)
                w.finish_review(pid)
                w.do(pid, "refer_for_decision", "department", department_opinion="適当")
                w.do(pid, "adopt", "approver", reasons="公益性が高いため")
        else:
            w.do(pid, "open_call", "department")
            apps = [w.apply_as(pid, who) for who in ("outsider", "third")]
            self.wait_past_closing()
            w.do(pid, "close_applications", "department", reviewer_ids=reviewers)
            if start == "running":
                for app in apps:
                    for r in ("reviewer1", "reviewer2"):
                        w.do(pid, "review_application", r, application_id=app, **SCORES)
                w.do(pid, "refer_for_selection", "department", department_opinion="適当")
                w.do(pid, "select", "approver", selected_application_id=apps[0], reasons="最も高い評価")
        if start == "running":
            w.do(pid, "conclude_contract", "department", **{
                **TERMS, "partner_ids": [self.row().organisation_id], "period_start": today,
                "period_end": today + timedelta(days=700)})
            self.clock.advance_to_date(date(fiscal_year(today) + 1, 4, 6))  # the first year has ended
        self.log.append(f"started {start}")

    # --- reading the case

    def row(self):
        return self.s.execute(select(Proposal.__table__).where(Proposal.id == self.pid)).one()

    def ids(self, stmt) -> list:
        return list(self.s.execute(stmt).scalars())

    def active_applications(self) -> list:
        return self.s.execute(select(CallApplication).where(
            CallApplication.proposal_id == self.pid, CallApplication.withdrawn.is_(False))
            .order_by(CallApplication.id)).scalars().all()

    def reviewed(self, reviewer_id: int) -> set[int | None]:
        """What the reviewer reviewed: None for the proposal itself, else application ids."""
        done: set[int | None] = {a for a in self.ids(select(ApplicationReview.application_id).where(
            ApplicationReview.reviewer_id == reviewer_id))}
        if self.ids(select(Review.id).where(Review.proposal_id == self.pid, Review.reviewer_id == reviewer_id)):
            done.add(None)
        return done

    def still_to_review(self, reviewer_id: int) -> bool:
        done = self.reviewed(reviewer_id)
        if not self.per_application:
            return None not in done
        return any(a.id not in done for a in self.active_applications())

    def active_reviewers(self) -> list[int]:
        return self.ids(select(ReviewAssignment.reviewer_id).where(
            ReviewAssignment.proposal_id == self.pid, ReviewAssignment.ended_at.is_(None))
            .order_by(ReviewAssignment.reviewer_id))

    def declared(self) -> set[int]:
        return set(self.ids(select(ConflictDeclaration.user_id).where(ConflictDeclaration.proposal_id == self.pid)))

    def duties(self) -> frozenset[Duty]:
        out = {("deadline", i) for i in self.ids(select(Deadline.id).where(
            Deadline.proposal_id == self.pid, Deadline.closed_at.is_(None)))}
        out |= {("evaluation", i) for i in self.ids(select(EvaluationPeriod.id).where(
            EvaluationPeriod.proposal_id == self.pid, EvaluationPeriod.published_at.is_(None)))}
        if "reviewer" in self.lc.state(self.row().state).waits_on:
            out |= {("review", r) for r in self.active_reviewers() if self.still_to_review(r)}
        return frozenset(out)

    def describe(self, duties) -> list[str]:
        out = []
        for kind, i in sorted(duties):
            if kind == "deadline":
                d = self.s.get(Deadline, i)
                out.append(f"deadline {d.key}{'/' + d.scope if d.scope else ''} (waits on {d.waits_on})")
            elif kind == "evaluation":
                out.append(f"evaluation {self.s.get(EvaluationPeriod, i).period} unpublished")
            else:
                out.append(f"review owed by user {i}" + (" (declared a conflict)" if i in self.declared() else ""))
        return out

    def situation(self) -> tuple:
        """What kind of situation the case is in: its state and the kinds of duty open (for
        deciding whether a search from here would tell anything new)."""
        kinds = set()
        for kind, i in self.duties():
            if kind == "deadline":
                d = self.s.get(Deadline, i)
                kinds.add((kind, d.key, bool(d.scope)))
            elif kind == "evaluation":
                kinds.add((kind, self.s.get(EvaluationPeriod, i).period == "final"))
            else:
                kinds.add((kind, i in self.declared()))
        return self.lc.name, self.row().state, frozenset(kinds)

    def fingerprint(self, duties: frozenset[Duty]) -> tuple:
        """The case as the search tells situations apart (what the triggers change)."""
        row = self.row()
        return (row.state, row.revision, duties, tuple(self.active_reviewers()),
                frozenset(self.s.execute(select(Review.reviewer_id).where(Review.proposal_id == self.pid)).scalars()),
                frozenset(self.s.execute(select(ApplicationReview.application_id, ApplicationReview.reviewer_id)
                                         .join(CallApplication, CallApplication.id == ApplicationReview.application_id)
                                         .where(CallApplication.proposal_id == self.pid)).all()),
                frozenset(self.s.execute(select(EvaluationPeriod.period, Evaluation.side)
                                         .join(Evaluation, Evaluation.period_id == EvaluationPeriod.id)
                                         .where(EvaluationPeriod.proposal_id == self.pid)).all()),
                tuple(a.id for a in self.active_applications()), japan_today(self.clock))

    # --- who acts, with what

    def people(self, t: Transition, *, all_of_them: bool) -> list[tuple[str, str]]:
        """(person, role) who may fire ``t`` now; one per role unless ``all_of_them`` (reviewers always all)."""
        row, out = self.row(), []
        for role in t.roles:
            found = [k for k, a in self.w.actors.items() if role in a.roles and in_reach(self.s, a, role, row)]
            out += [(k, role) for k in (found if all_of_them or role in ("reviewer", "proposer") else found[:1])]
        return out

    def eligible_reviewers(self) -> list[int]:
        """Reviewers who may be asked: not asked before, no stake in the case, no conflict declared."""
        row = self.row()
        involved = {a.organisation_id for a in self.active_applications()} | {row.organisation_id}
        asked = set(self.ids(select(ReviewAssignment.reviewer_id).where(ReviewAssignment.proposal_id == self.pid)))
        return [a.user_id for a in self.w.actors.values() if "reviewer" in a.roles
                and not (a.organisation_ids & involved) and a.user_id not in asked | self.declared()]

    def inputs(self, t: Transition, who: str, pick) -> dict[str, Any] | None:
        """Acceptable inputs for ``t`` by ``who``, or None when there is nothing sensible to give.
        ``pick`` chooses among candidates (the first for the search, at random for the walk)."""
        w, today, row = self.w, japan_today(self.clock), self.row()
        actor = w[who]
        given: dict[str, Any] = {}
        for name in t.inputs:
            if name == "reviewer_ids":
                free = self.eligible_reviewers()
                n = w.settings.required_reviews if t.effect == "assign_reviewers" else 1
                if len(free) < n:
                    return None
                given[name] = free[:n] if pick is min else self.rng.sample(free, n)
            elif name == "leaving_reviewer_id":
                leaving = [r for r in self.active_reviewers() if not self.reviewed(r)]
                free = self.eligible_reviewers()
                if not leaving or not free:
                    return None
                declared = [r for r in leaving if r in self.declared()]
                given[name] = pick(declared or leaving)
                given["incoming_reviewer_id"] = pick(free)
            elif name == "incoming_reviewer_id":
                continue
            elif name == "department_id":
                given[name] = w.dept
            elif name.startswith("score_"):
                given[name] = SCORES[name]
            elif name == "application_id":
                apps = self.active_applications()
                if "proposer" in t.roles and actor.roles == {"proposer"}:
                    pool = [a.id for a in apps if a.organisation_id in actor.organisation_ids]
                else:
                    done = self.reviewed(actor.user_id)
                    pool = [a.id for a in apps if a.id not in done]
                if not pool:
                    return None
                given[name] = pick(pool)
            elif name == "selected_application_id":
                apps = [a.id for a in self.active_applications()]
                if not apps:
                    return None
                given[name] = pick(apps)
            elif name == "organisation_id":
                own = sorted(actor.organisation_ids)
                if not own:
                    return None
                given[name] = own[0]
            elif name == "application_summary":
                given[name] = APPLICATION["application_summary"]
            elif name in CONTRACT_TERMS or name in ("exemption_reason",):
                terms = {**TERMS, "partner_ids": [row.organisation_id], "period_start": today,
                         "period_end": today + timedelta(days=700)}
                given[name] = terms.get(name, "軽易な事業のため")
            elif name == "fiscal_year":
                years = self.ids(select(EvaluationPeriod.fiscal_year).where(
                    EvaluationPeriod.proposal_id == self.pid, EvaluationPeriod.period != "final",
                    EvaluationPeriod.published_at.is_(None)))
                if t.effect == OPENS_A_YEAR:  # a year the contract runs past that has ended, not opened yet
                    period = self.s.execute(select(Contract.period_start, Contract.period_end)
                                            .where(Contract.proposal_id == self.pid)).first()
                    opened = set(self.ids(select(EvaluationPeriod.fiscal_year).where(
                        EvaluationPeriod.proposal_id == self.pid, EvaluationPeriod.period != "final")))
                    years = [y for y in range(fiscal_year(period.period_start), fiscal_year(today))
                             if y not in opened and fiscal_year_end(y) < period.period_end] if period else []
                if not years:
                    return None
                given[name] = pick(years)
            elif name in EVAL:
                given[name] = EVAL[name]
            elif name == "own_project_id":
                own = self.s.execute(select(OwnProject.id, OwnProject.started_on).where(
                    OwnProject.proposal_id == self.pid, OwnProject.ended_on.is_(None))).all()
                if not own:
                    return None
                chosen = pick([o.id for o in own])
                given[name] = chosen
                given["own_project_end"] = max(today, next(o.started_on for o in own if o.id == chosen))
            elif name == "own_project_end":
                continue
            elif name == "own_project_start":
                given[name] = today + timedelta(days=3)
            elif name == "content":
                given[name] = {"purpose": f"{COMPLETE['purpose']}（第{row.revision + 1}版）"}
            else:
                given[name] = "記録のとおりです"
        if "closing_on" in t.optional_inputs and (row.closing_on is None or row.closing_on <= today):
            given["closing_on"] = today + timedelta(days=20)
        return given

    # --- acting

    def fire(self, t: Transition, who: str, given: dict[str, Any]) -> bool:
        try:
            engine.apply(self.s, self.pid, t.trigger, self.w[who], given, clock=self.clock, settings=self.w.settings)
            return True
        except KyodoError:
            return False

    def wait_past_closing(self) -> bool:
        """Time passes to the day after the call's closing date (nothing else closes a call)."""
        row = self.row()
        if row.closing_on is None or japan_today(self.clock) > row.closing_on or row.state == self.lc.initial:
            return False
        self.clock.advance_to_date(row.closing_on + timedelta(days=1))
        return True

    @contextmanager
    def trial(self):
        """A step of the search: whatever it does is rolled back afterwards, clock included."""
        self.s.rollback()
        savepoint, at = self.conn.begin_nested(), self.clock.now()
        try:
            yield
        finally:
            self.s.rollback()
            savepoint.rollback()
            self.s.expire_all()
            self.clock.set(at)

    # --- the walk

    def step(self) -> bool:
        """One random step (time passing, or a trigger); True when the case changed."""
        rng = self.rng
        # Time passes more often while a case waits for a date (a project runs to its end).
        deadline = self.lc.state(self.row().state).deadline
        dated = deadline is not None and self.lc.deadline(deadline).rule == "date_input"
        if rng.random() < (0.3 if dated else 0.1):
            today = japan_today(self.clock)
            # Past a fiscal year end (an annual evaluation falls due), or a few days on.
            day = rng.choice([date(fiscal_year(today) + 1, 4, 6), today + timedelta(days=rng.choice([1, 3, 10, 30]))])
            self.clock.advance_to_date(day)
            self.log.append(f"time passes to {day}")
            return False
        if self.wait_possible() and self.active_applications() and rng.random() < 0.3:
            self.wait_past_closing()
            self.log.append("time passes past the closing date")
            return False
        state = self.row().state
        options = [t for t in self.lc.available_from(state) if t.page != "attachments"]
        if not options:
            return False
        # Mostly on along the lifecycle; now and then a declaration, an edit or a note; seldom
        # an ending (otherwise few walks get past the review).
        weights = []
        for t in options:
            if t.effect == DECLARATION:
                weights.append(0.15)
            elif t.confirm:
                weights.append(0.02 if t.roles == ("proposer",) else 0.05)
            elif t.effect == OPENS_A_YEAR:
                weights.append(3.0)  # the daily job opens every year that falls due
            elif t.is_loop:
                weights.append(0.3 if t.effect in LOOPS_THAT_ONLY_ADD + ("record_revision",) else 1.0)
            else:
                weights.append(1.0 if dated else 3.0)  # a project mostly runs on a while
        t = rng.choices(options, weights=weights)[0]
        people = self.people(t, all_of_them=True)
        if t.effect == DECLARATION:
            people = [(k, r) for k, r in people if r not in self.declared_roles]
        # The city has five reviewers: each kind of change once a case, so that they do not run out.
        if t.effect in REVIEWER_CHANGES and t.effect in self.reviewer_changes:
            return False
        if not people:
            return False
        who, role = rng.choice(people)
        given = self.inputs(t, who, rng.choice)
        if given is None or not self.fire(t, who, given):
            return False
        if t.effect == DECLARATION:
            self.declared_roles.add(role)
        if t.effect in REVIEWER_CHANGES:
            self.reviewer_changes.add(t.effect)
        self.log.append(f"{t.trigger} by {who} {given}")
        return True

    # --- the search

    def moves(self, been: set[str]) -> list[tuple[tuple[int, int], tuple]]:
        """The search's candidate steps from here, best first: ((rank, distance), step). A duty's
        own work comes first, then moves on (the one closest to the end first), loops, endings;
        a move back to a state the search has been through comes last (a revision requested
        again and again)."""
        out = []
        here = self.row().state
        if self.wait_possible():
            out.append(((1, 0), ("wait",)))
        ending_allowed = self.per_application and not self.active_applications()
        for t in self.lc.available_from(here):
            if t.effect == DECLARATION or (t.is_loop and t.effect in LOOPS_THAT_ONLY_ADD) or t.page == "attachments":
                continue
            if t.confirm and (t.roles == ("proposer",) or not ending_allowed):
                continue
            rank = (0 if t.effect in DUTY_WORK else 3 if t.confirm else 2 if t.is_loop
                    else 4 if t.dest in been else 1)
            for who, _role in self.people(t, all_of_them=False):
                given = self.inputs(t, who, min)
                if given is not None:
                    out.append(((rank, self.distance.get(t.dest, 99)), ("fire", t, who, given)))
        return sorted(out, key=lambda m: m[0])

    def wait_possible(self) -> bool:
        row = self.row()
        return row.closing_on is not None and row.state != self.lc.initial and japan_today(self.clock) <= row.closing_on

    def discharge(self, targets: frozenset[Duty]) -> list[str] | None:
        """A sequence of steps after which none of ``targets`` is open, or None."""
        seen: set[tuple] = set()
        path: list[str] = []
        been: list[str] = []
        tries = 0

        def search(depth: int) -> bool:
            nonlocal tries
            duties = self.duties()
            if not targets & duties:
                return True
            if depth == MAX_DEPTH or tries >= MAX_TRIES:
                return False
            key = self.fingerprint(duties)
            if key in seen:
                return False
            seen.add(key)
            been.append(key[0])
            for _rank, move in self.moves(set(been)):
                with self.trial():
                    tries += 1
                    if move[0] == "wait":
                        self.wait_past_closing()
                        label = "time passes past the closing date"
                    else:
                        _, t, who, given = move
                        if not self.fire(t, who, given):
                            continue
                        label = f"{t.trigger} by {who}"
                    path.append(label)
                    if search(depth + 1):
                        return True
                    path.pop()
            been.pop()
            return False

        with self.trial():
            found = search(0)
        return path if found else None


@pytest.fixture
def connection(sqlite_template, tmp_path):
    """One connection in one transaction: the walk's changes and the search's savepoints live in it."""
    import shutil

    path = tmp_path / "kyodo.sqlite3"
    shutil.copy(sqlite_template, path)
    eng = make_engine(f"sqlite:///{path}")
    conn = eng.connect()
    outer = conn.begin()
    yield conn
    outer.rollback()
    conn.close()
    eng.dispose()


def walk_and_check(conn, lifecycle: str, seed: int, version: int = 1) -> tuple[int, set[str]]:
    """Walk one case in a city of its own (rolled back after); search from every new situation.
    Returns (searches, states seen)."""
    city = conn.begin_nested()
    walk = Walk(conn, lifecycle, random.Random(seed), start=STARTS[seed % len(STARTS)], version=version)
    try:
        return _walk(walk, lifecycle, seed)
    finally:
        walk.s.close()
        city.rollback()


def _walk(walk: Walk, lifecycle: str, seed: int) -> tuple[int, set[str]]:
    checked: set[tuple] = set()
    states: set[str] = set()
    for step in range(WALK_STEPS + 1):
        if step:
            walk.step()
        walk.s.rollback()
        state = walk.row().state
        states.add(state)
        situation, targets = walk.situation(), walk.duties()
        if targets and situation not in checked:
            checked.add(situation)
            if walk.discharge(targets) is None:
                raise AssertionError(
                    f"{lifecycle}, seed {seed}: stuck in {state} with\n  "
                    + "\n  ".join(walk.describe(targets)) + "\nafter:\n  " + "\n  ".join(walk.log))
        if walk.lc.state(state).final:
            break
    return len(checked), states


# Every version still declared: a case may run under any of them.
@pytest.mark.parametrize("ref", [lc.ref for lc in all_versions()])
def test_every_open_duty_can_be_discharged_from_every_state_a_walk_reaches(connection, ref):
    lifecycle, version = ref.split("@")[0], int(ref.split("@")[1])
    searched, states = 0, set()
    for seed in SEEDS:
        n, seen = walk_and_check(connection, lifecycle, seed, int(version))
        searched += n
        states |= seen
    # Otherwise the test could pass by walking nowhere.
    lc = get_lifecycle(lifecycle, version)
    waiting = {s.name for s in lc.states if s.waits_on}
    assert searched >= 10 and len(states & waiting) >= len(waiting) - 2, (searched, sorted(states))


# --- the search itself: it finds the way when there is one, and says so when there is none


def test_the_search_finds_a_way_through_a_replacement(connection):
    """A reviewer who declared a conflict holds up the review until the secretariat replaces them."""
    walk = Walk(connection, "citizen_proposal", random.Random(0))
    w, pid = walk.w, walk.pid
    w.to_under_review(pid)
    w.do(pid, "submit_review", "reviewer2", **SCORES)
    w.do(pid, "declare_conflict", "reviewer1", conflict_reason="団体の役員と親族です")
    targets = walk.duties()
    assert ("review", w["reviewer1"].user_id) in targets
    path = walk.discharge(targets)
    assert path is not None and any(p.startswith("replace_reviewer") or p.startswith("add_reviewer") for p in path)
    assert walk.duties() == targets, "the search changed the case"


def test_the_search_reports_a_duty_nobody_can_discharge(connection):
    """When nobody is left who may publish an annual evaluation, the search says so: the
    check is not vacuous."""
    walk = Walk(connection, "citizen_proposal", random.Random(0))
    w, pid = walk.w, walk.pid
    w.to_in_progress(pid, period_start=date(2026, 6, 1), period_end=date(2028, 3, 31))
    w.clock.advance_to_date(date(2027, 4, 5))
    w.do(pid, "open_annual_evaluation", "department", fiscal_year=2026)
    # Nobody is left to publish it: both people of the secretariat declare a conflict.
    for who in ("secretariat", "secretariat2"):
        w.do(pid, "declare_conflict", who, conflict_reason="関係者のため")
    targets = walk.duties()
    assert any(kind == "evaluation" for kind, _ in targets)
    assert walk.discharge(targets) is None


# --- an annual evaluation opened before the project ends is finished afterwards (Art. 15)


@pytest.mark.parametrize("ending", ["complete", "cancel"])
def test_an_annual_evaluation_opened_before_the_end_is_published_before_the_case_closes(world, ending):
    from workflow.errors import ConditionNotMet

    pid = world.new_proposal()
    world.to_in_progress(pid, period_start=date(2026, 6, 1), period_end=date(2028, 3, 31))
    world.clock.advance_to_date(date(2027, 4, 5))
    world.do(pid, "open_annual_evaluation", "department", fiscal_year=2026)
    inputs = {"completion_report": "前倒しで完了"} if ending == "complete" else {"cancel_reason": "継続が困難"}
    assert world.do(pid, ending, "department", **inputs).to_state == "evaluating"
    world.do(pid, "submit_final_evaluation", "proposer", **EVAL)
    world.do(pid, "submit_final_evaluation", "department", **EVAL)
    # Closing now would leave FY2026's evaluation unpublished for good.
    with pytest.raises(ConditionNotMet) as refused:
        world.do(pid, "publish_final_evaluation", "secretariat")
    assert refused.value.failed == ["annual_evaluations_published"]
    world.do(pid, "submit_evaluation", "proposer", fiscal_year=2026, **EVAL)
    world.do(pid, "submit_evaluation", "department", fiscal_year=2026, **EVAL)
    world.do(pid, "publish_evaluation", "secretariat", fiscal_year=2026)
    assert world.do(pid, "publish_final_evaluation", "secretariat").to_state == "closed"
    published = world.s.execute(select(EvaluationPeriod.period).where(
        EvaluationPeriod.proposal_id == pid, EvaluationPeriod.published_at.is_not(None))).scalars().all()
    open_rows = world.s.execute(select(Deadline.key).where(Deadline.proposal_id == pid,
                                                           Deadline.closed_at.is_(None))).scalars().all()
    world.s.commit()
    assert sorted(published) == ["FY2026", "final"] and open_rows == []
