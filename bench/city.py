"""A small city for the benchmarks, and the one lifecycle they drive through the engine.

A copy of what ``tests.support.World`` seeds (one proposing group, one department, the
people who act on a case) so that the benchmarks do not import the test package. The
people are registered once; every lifecycle then creates a new proposal and takes it
along the same path as ``World.to_closed``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlmodel import Session

from config import Settings
from workflow import directory, engine, proposals
from workflow.actors import Actor, load_actor
from workflow.calendar.clock import JST, MovableClock

# The same content and inputs as tests/support.py.
COMPLETE = dict(title="川辺の清掃", purpose="川辺を守る", content="月1回の清掃", field=2, proposed_roles="団体：清掃／市：広報")
SCORES = dict(score_technique=4, score_expertise=4, score_quality=3, score_capability=5, review_comment="妥当")
TERMS = dict(contract_form="entrustment", purpose="保全", process="月例清掃", role_sharing="団体：実施／市：調整",
             cost_sharing="委託料", responsibility_sharing="事故は団体", period_start=date(2026, 6, 1),
             period_end=date(2027, 3, 31), amount_yen=500_000)
EVAL = dict(evaluation_results="目標を達成", role_sharing_assessment="適切", evaluation_comments="継続")
OPINION = "採用が適当"
REASONS = "公益性が高いため"
COMPLETION_REPORT = "完了"

# Monday 6 April 2026, 09:00 in the city; the clock stands still during a run.
START = datetime(2026, 4, 6, 9, tzinfo=JST)


def new_clock() -> MovableClock:
    return MovableClock(START)


def bench_settings() -> Settings:
    return Settings(required_reviews=2)


@dataclass
class City:
    org: int
    dept: int
    actors: dict[str, Actor]

    def __getitem__(self, who: str) -> Actor:
        return self.actors[who]

    def steps(self) -> list[tuple[str, str, dict[str, Any]]]:
        """(trigger, who, inputs) after ``create``: the path of ``World.to_closed``."""
        return [
            ("submit", "proposer", {}),
            ("start_review", "secretariat",
             dict(reviewer_ids=[self["reviewer1"].user_id, self["reviewer2"].user_id], department_id=self.dept)),
            ("submit_review", "reviewer1", SCORES),
            ("submit_review", "reviewer2", SCORES),
            ("finish_review", "secretariat", {}),
            ("refer_for_decision", "department", dict(department_opinion=OPINION)),
            ("adopt", "approver", dict(reasons=REASONS)),
            ("conclude_contract", "department", {**TERMS, "partner_ids": [self.org]}),
            ("complete", "department", dict(completion_report=COMPLETION_REPORT)),
            ("submit_final_evaluation", "proposer", EVAL),
            ("submit_final_evaluation", "department", EVAL),
            ("publish_final_evaluation", "secretariat", {}),
        ]


def seed(session: Session, clock: MovableClock) -> City:
    """Register the group, the department and the people; commits."""
    c = clock
    org = directory.add_organisation(session, "みどりの会", "npo", "山田 花子", clock=c)
    dept = directory.add_department(session, "env", "環境活動支援課", "bureau", "環境創造局")
    ids = {
        "proposer": directory.add_user(session, "p", "山田", "p@example.jp", ("proposer",), organisation_ids=(org,), clock=c),
        "secretariat": directory.add_user(session, "s", "田中", "s@city.jp", ("secretariat",), clock=c),
        "reviewer1": directory.add_user(session, "r1", "伊藤", "r1@city.jp", ("reviewer",), clock=c),
        "reviewer2": directory.add_user(session, "r2", "渡辺", "r2@city.jp", ("reviewer",), clock=c),
        "department": directory.add_user(session, "d", "松本", "d@city.jp", ("department",), department_id=dept, clock=c),
        "approver": directory.add_user(session, "a", "小林", "a@city.jp", ("approver",), clock=c),
    }
    session.commit()
    actors = {k: load_actor(session, v) for k, v in ids.items()}
    session.commit()
    return City(org, dept, actors)


class EngineLifecycle:
    """One full lifecycle through ``proposals.create`` and ``engine.apply``."""

    def __init__(self, city: City, clock: MovableClock, settings: Settings):
        self.city, self.clock, self.settings = city, clock, settings
        self.steps = city.steps()

    def run(self, db_engine) -> int:
        # One session per lifecycle, as one request per step would have: the identity map
        # never outlives a case.
        city, clock, settings = self.city, self.clock, self.settings
        with Session(db_engine, expire_on_commit=False) as session:
            pid = proposals.create(session, city["proposer"], city.org, COMPLETE, clock=clock)
            for trigger, who, given in self.steps:
                engine.apply(session, pid, trigger, city[who], given, clock=clock, settings=settings)
        return pid
