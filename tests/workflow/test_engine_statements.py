"""What one change costs the database: the statements of each step of a whole lifecycle.

A change reads the case once (with the names its notices quote and the actor's standing
on it), checks what the ordinance asks, and writes its rows; it reads nothing the
transaction already holds, resolves all its recipients in one query and writes all its
notices in one statement. The ceilings below are the counts of that design: a re-read
per notice, a check that goes back to the database for what it has, or a row written
one statement at a time makes a step exceed its ceiling and this test fail.
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy import event

from tests.support import COMPLETE, EVAL, SCORES, TERMS
from workflow import engine, proposals

# The most statements each step of ``World.to_closed`` may send (BEGIN aside).
CEILINGS = {
    "create": 5,  # the organisation exists; the case and its first revision; its version; the audit event
    "submit": 6,
    "start_review": 10,
    "submit_review": 5,
    "finish_review": 6,
    "refer_for_decision": 7,
    "adopt": 10,
    "conclude_contract": 10,
    "complete": 9,
    "submit_final_evaluation": 5,
    "publish_final_evaluation": 10,
}


class Statements:
    """The statements and commits the database receives (an executemany counts once)."""

    def __init__(self, db):
        self.db, self.counts = db, Counter()

    def _statement(self, conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(("BEGIN", "SAVEPOINT", "RELEASE")):
            self.counts["statements"] += 1

    def _commit(self, conn):
        self.counts["commits"] += 1

    def __enter__(self):
        event.listen(self.db, "before_cursor_execute", self._statement)
        event.listen(self.db, "commit", self._commit)
        return self

    def __exit__(self, *exc):
        event.remove(self.db, "before_cursor_execute", self._statement)
        event.remove(self.db, "commit", self._commit)


def test_every_change_of_a_lifecycle_stays_within_its_statements(world, db_engine):
    w = world
    steps = [
        ("submit", "proposer", {}),
        ("start_review", "secretariat",
         dict(reviewer_ids=[w["reviewer1"].user_id, w["reviewer2"].user_id], department_id=w.dept)),
        ("submit_review", "reviewer1", SCORES),
        ("submit_review", "reviewer2", SCORES),
        ("finish_review", "secretariat", {}),
        ("refer_for_decision", "department", dict(department_opinion="採用が適当")),
        ("adopt", "approver", dict(reasons="公益性が高いため")),
        ("conclude_contract", "department", {**TERMS, "partner_ids": [w.org]}),
        ("complete", "department", dict(completion_report="完了")),
        ("submit_final_evaluation", "proposer", EVAL),
        ("submit_final_evaluation", "department", EVAL),
        ("publish_final_evaluation", "secretariat", {}),
    ]
    over = []
    with Statements(db_engine) as count:
        pid = proposals.create(w.s, w["proposer"], w.org, COMPLETE, clock=w.clock)
    if count.counts["statements"] > CEILINGS["create"] or count.counts["commits"] != 1:
        over.append(("create", dict(count.counts)))
    for trigger, who, given in steps:
        with Statements(db_engine) as count:
            out = engine.apply(w.s, pid, trigger, w[who], given, clock=w.clock, settings=w.settings)
        if count.counts["statements"] > CEILINGS[trigger] or count.counts["commits"] != 1:
            over.append((trigger, dict(count.counts)))
    assert out.to_state == "closed"
    assert over == [], f"steps over their ceiling (statements, commits): {over}"

