"""Several people acting on the same case at the same moment: exactly one of them wins.

Eight threads, each with its own session and its own approver, start together behind a
barrier. On PostgreSQL they really overlap; on file-backed SQLite the writers queue on
BEGIN IMMEDIATE. Both must give the same result to the people involved.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from config import Settings
from db.models import AuditEvent, Decision, DocumentSerial, Proposal
from db.session import new_session
from tests.support import World
from workflow import directory, engine
from workflow.actors import load_actor
from workflow.errors import Conflict, InvalidState

THREADS = 8
SETTINGS = Settings(required_reviews=2)


@pytest.fixture
def city(db_engine, clock):
    """The test city plus eight approvers, each of whom will act in a thread of their own."""
    with new_session(db_engine) as s:
        world = World(s, clock, SETTINGS)
        world.approver_ids = [
            directory.add_user(s, f"approver{i}", f"決裁者{i}", f"a{i}@city.jp", ("approver",), clock=clock)
            for i in range(THREADS)
        ]
        s.commit()
        yield world


def race(db_engine, clock, approver_ids, jobs):
    """Run ``jobs`` (pid, trigger, inputs, expected_version) at once, one approver each.

    Returns one outcome or exception per job, in the order given.
    """
    barrier = threading.Barrier(len(jobs), timeout=30)

    def act(i: int):
        pid, trigger, given, expected = jobs[i]
        with new_session(db_engine) as s:
            actor = load_actor(s, approver_ids[i])
            s.commit()
            barrier.wait()
            try:
                return engine.apply(s, pid, trigger, actor, given, expected_version=expected,
                                    clock=clock, settings=SETTINGS)
            except Exception as exc:  # noqa: BLE001 - the caller sorts outcomes from errors
                return exc

    with ThreadPoolExecutor(len(jobs)) as pool:
        futures = [pool.submit(act, i) for i in range(len(jobs))]
        return [f.result(timeout=120) for f in futures]


def count(s, model, *where) -> int:
    n = s.execute(select(func.count()).select_from(model).where(*where)).scalar_one()
    s.commit()
    return n


@pytest.mark.parametrize("with_version", [True, False], ids=["expected_version", "no_expected_version"])
def test_concurrent_adopt_and_reject_only_one_decides(city, db_engine, clock, with_version):
    s = city.s
    pid = city.new_proposal()
    city.to_awaiting_decision(pid)
    seen = s.execute(select(Proposal.version).where(Proposal.id == pid)).scalar_one()
    s.commit()
    events_before = count(s, AuditEvent, AuditEvent.proposal_id == pid)

    # With the version they all read, or (a careless client) none: the case's own
    # compare-and-set must still let only one decision through.
    jobs = [(pid, "adopt" if i % 2 == 0 else "reject", {"reasons": f"決裁者{i}の理由"},
             seen if with_version else None)
            for i in range(THREADS)]
    results = race(db_engine, clock, city.approver_ids, jobs)

    winners = [r for r in results if not isinstance(r, Exception)]
    losers = [r for r in results if isinstance(r, Exception)]
    assert len(winners) == 1, results
    # With the version they read, the losers are told the case changed under them. Without
    # one, a loser that arrives after the winner is told the decision is no longer possible.
    allowed = Conflict if with_version else (Conflict, InvalidState)
    assert all(isinstance(e, allowed) for e in losers), [repr(e) for e in losers]
    assert len(losers) == THREADS - 1
    winner = winners[0]
    assert winner.version == seen + 1
    assert winner.to_state == ("contracting" if winner.trigger == "adopt" else "not_adopted")

    row = s.execute(select(Proposal.state, Proposal.version).where(Proposal.id == pid)).one()
    decisions = s.execute(select(Decision).where(Decision.proposal_id == pid)).scalars().all()
    s.commit()
    assert (row.state, row.version) == (winner.to_state, seen + 1)
    assert len(decisions) == 1
    assert decisions[0].outcome == ("adopted" if winner.trigger == "adopt" else "not_adopted")
    i = results.index(winner)
    assert decisions[0].reasons == f"決裁者{i}の理由"
    assert decisions[0].decided_by == city.approver_ids[i]
    assert decisions[0].document_number == "市市協第1号"
    assert count(s, AuditEvent, AuditEvent.proposal_id == pid) == events_before + 1
    last = s.execute(select(AuditEvent).where(AuditEvent.proposal_id == pid)
                     .order_by(AuditEvent.seq.desc()).limit(1)).scalar_one()
    s.commit()
    assert (last.seq, last.trigger, last.actor_id) == (seen + 1, winner.trigger, city.approver_ids[i])

    # The losers burnt no document number: the next decision of the year is 第2号.
    assert s.execute(select(DocumentSerial.last_serial)).scalar_one() == 1
    s.commit()
    other = city.new_proposal(title="次の提案")
    city.to_awaiting_decision(other)
    assert city.do(other, "adopt", "approver", reasons="理由").facts["document_number"] == "市市協第2号"


def test_concurrent_decisions_on_different_cases_get_distinct_numbers(city, db_engine, clock):
    s = city.s
    pids = [city.new_proposal(title=f"提案{i}") for i in range(THREADS)]
    for pid in pids:
        city.to_awaiting_decision(pid)
    jobs = [(pid, "adopt" if i % 2 == 0 else "reject", {"reasons": f"理由{i}"}, None)
            for i, pid in enumerate(pids)]
    results = race(db_engine, clock, city.approver_ids, jobs)
    errors = [r for r in results if isinstance(r, Exception)]
    assert errors == []
    numbers = sorted((r.facts["document_number"] for r in results), key=lambda n: int(n[4:-1]))
    assert numbers == [f"市市協第{n}号" for n in range(1, THREADS + 1)]
    stored = s.execute(select(Decision.proposal_id, Decision.serial, Decision.document_number)).all()
    s.commit()
    assert len(stored) == THREADS
    assert sorted(r.serial for r in stored) == list(range(1, THREADS + 1))
    assert {r.proposal_id for r in stored} == set(pids)
    for r, result in zip(sorted(stored, key=lambda r: pids.index(r.proposal_id)), results):
        assert r.document_number == result.facts["document_number"]
