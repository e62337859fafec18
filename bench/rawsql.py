"""The raw-SQL baseline: the same rows as one engine lifecycle, written by hand.

Each step is one transaction on a connection checked out from the same SQLAlchemy engine
(``BEGIN IMMEDIATE`` on SQLite, as the engine's ``begin_write`` asks for), with
``sqlalchemy.text`` statements only — no ORM, no Core expression compilation, no
pytransitions, no input validation, no condition or role checks. Every step:

* SELECTs the proposal row (joined with its organisation and department when the step
  writes notices, which quote their names),
* writes the effect rows (revision, review assignments, reviews, note, document serial
  upsert and decision, contract and partners, evaluation period, evaluations),
* compare-and-sets the proposal's state and version (and the columns the engine sets
  with them: submitted_at, department_id, decided_at, closed_at) and checks the row count,
* INSERTs the audit event,
* closes and opens the same deadline rows,
* INSERTs the same notice rows (outbox) when the lifecycle says the transition notifies,
  after reading the recipients (people's addresses can change, so they are read then).

What it leaves out is exactly what the engine adds on top of those writes: the checks
(organisation, department and partners exist, role and reach, conflicts of interest,
reviewers are reviewers and not members, conditions such as reviews_complete) and the
Python around them. It reads the recipients one query per role a notice names, where the
engine reads all of a change's in one. ``bench.verify`` checks before every run that both
write the same rows.

Values that do not depend on the case (deadline due dates, the audit inputs as JSON)
are computed once, since the benchmark clock stands still.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import Engine, text

from bench.city import COMPLETE, COMPLETION_REPORT, EVAL, OPINION, REASONS, SCORES, TERMS, City
from config import Settings
from states import get_lifecycle
from workflow.calendar.japan import add_business_days, fiscal_year
from workflow.calendar.clock import MovableClock, japan_today
from workflow.engine.deadlines import days_for

LIFECYCLE = "citizen_proposal"

SELECT_PROPOSAL = text("SELECT * FROM proposal WHERE id = :id")
SELECT_PROPOSAL_NAMES = text(
    "SELECT p.*, o.name AS org_name, o.representative_title AS org_rep_title, "
    "o.representative_name AS org_rep_name, d.name_ja AS dept_name "
    "FROM proposal p JOIN organisation o ON o.id = p.organisation_id "
    "LEFT JOIN department d ON d.id = p.department_id WHERE p.id = :id"
)
# start_review assigns the department in the same step; its notice already names it.
SELECT_PROPOSAL_NAMES_DEPT = text(
    "SELECT p.*, o.name AS org_name, o.representative_title AS org_rep_title, "
    "o.representative_name AS org_rep_name, d.name_ja AS dept_name "
    "FROM proposal p JOIN organisation o ON o.id = p.organisation_id "
    "LEFT JOIN department d ON d.id = :dept WHERE p.id = :id"
)

INSERT_PROPOSAL = text(
    "INSERT INTO proposal (title, purpose, content, field, proposed_roles, confidential_fields, lifecycle, "
    "lifecycle_version, state, version, organisation_id, revision, created_by, created_at, updated_at, cancelled) "
    "VALUES (:title, :purpose, :content, :field, :proposed_roles, :confidential_fields, :lifecycle, "
    ":lifecycle_version, :state, 0, :organisation_id, 1, :created_by, :now, :now, :cancelled) RETURNING id"
)
INSERT_REVISION = text(
    "INSERT INTO proposalrevision (title, purpose, content, field, proposed_roles, confidential_fields, "
    "proposal_id, number, note, created_by, created_at) "
    "VALUES (:title, :purpose, :content, :field, :proposed_roles, :confidential_fields, "
    ":proposal_id, 1, '', :created_by, :now)"
)
INSERT_AUDIT = text(
    'INSERT INTO auditevent (proposal_id, seq, "trigger", from_state, to_state, actor_id, actor_role, '
    "revision, inputs, at) VALUES (:proposal_id, :seq, :trigger, :from_state, :to_state, :actor_id, "
    ":actor_role, :revision, :inputs, :now)"
)
INSERT_DEADLINE = text(
    'INSERT INTO deadline (proposal_id, "key", scope, waits_on, due_on, opened_at) '
    "VALUES (:proposal_id, :key, '', :waits_on, :due_on, :now)"
)
CLOSE_DEADLINE = text(
    'UPDATE deadline SET closed_at = :now WHERE proposal_id = :proposal_id AND "key" = :key '
    "AND scope = '' AND closed_at IS NULL"
)
CLOSE_ALL_DEADLINES = text(
    "UPDATE deadline SET closed_at = :now WHERE proposal_id = :proposal_id AND closed_at IS NULL"
)
INSERT_ASSIGNMENT = text(
    "INSERT INTO reviewassignment (proposal_id, reviewer_id, assigned_at) VALUES (:proposal_id, :reviewer_id, :now)"
)
INSERT_REVIEW = text(
    "INSERT INTO review (proposal_id, reviewer_id, revision, score_technique, score_expertise, score_quality, "
    "score_capability, comment, submitted_at) VALUES (:proposal_id, :reviewer_id, :revision, :score_technique, "
    ":score_expertise, :score_quality, :score_capability, :review_comment, :now)"
)
INSERT_NOTE = text(
    "INSERT INTO casenote (proposal_id, kind, text, author_id, created_at) "
    "VALUES (:proposal_id, :kind, :text, :author_id, :now)"
)
NEXT_SERIAL = text(
    "INSERT INTO documentserial (prefix, fiscal_year, last_serial) VALUES (:prefix, :fiscal_year, 1) "
    "ON CONFLICT (prefix, fiscal_year) DO UPDATE SET last_serial = documentserial.last_serial + 1 "
    "RETURNING last_serial"
)
INSERT_DECISION = text(
    "INSERT INTO decision (proposal_id, outcome, reasons, decided_by, document_prefix, fiscal_year, serial, "
    "document_number, decided_at) VALUES (:proposal_id, 'adopted', :reasons, :decided_by, :prefix, "
    ":fiscal_year, :serial, :document_number, :now)"
)
INSERT_CONTRACT = text(
    "INSERT INTO contract (proposal_id, form, purpose, process, role_sharing, cost_sharing, "
    "responsibility_sharing, period_start, period_end, amount_yen, exempt, exemption_reason, amendments, "
    "concluded_by, concluded_at) VALUES (:proposal_id, :contract_form, :purpose, :process, :role_sharing, "
    ":cost_sharing, :responsibility_sharing, :period_start, :period_end, :amount_yen, :exempt, '', 0, "
    ":concluded_by, :now) RETURNING id"
)
INSERT_PARTNER = text(
    "INSERT INTO contractpartner (contract_id, organisation_id) VALUES (:contract_id, :organisation_id)"
)
INSERT_PERIOD = text(
    "INSERT INTO evaluationperiod (proposal_id, period, fiscal_year, opened_at) "
    "VALUES (:proposal_id, 'final', :fiscal_year, :now)"
)
SELECT_FINAL_PERIOD = text(
    "SELECT id FROM evaluationperiod WHERE proposal_id = :proposal_id AND period = 'final'"
)
UPSERT_EVALUATION = text(
    "INSERT INTO evaluation (period_id, side, results, role_sharing_assessment, comments, submitted_by, "
    "submitted_at) VALUES (:period_id, :side, :evaluation_results, :role_sharing_assessment, "
    ":evaluation_comments, :submitted_by, :now) "
    "ON CONFLICT (period_id, side) DO UPDATE SET results = excluded.results, "
    "role_sharing_assessment = excluded.role_sharing_assessment, comments = excluded.comments, "
    "submitted_by = excluded.submitted_by, submitted_at = excluded.submitted_at"
)
PUBLISH_PERIOD = text("UPDATE evaluationperiod SET published_at = :now WHERE id = :period_id")
INSERT_NOTICE = text(
    "INSERT INTO notice (proposal_id, kind, recipient_id, email, language, context, dedupe_key, status, "
    "attempts, next_attempt_at, created_at) VALUES (:proposal_id, :kind, :recipient_id, :email, :language, "
    ":context, :dedupe_key, 'pending', 0, :now, :now) ON CONFLICT (dedupe_key) DO NOTHING"
)
_RECIPIENT_COLUMNS = 'SELECT u.id, u.name, u.email, u.language FROM "user" u '
RECIPIENTS = {
    "proposer": text(
        _RECIPIENT_COLUMNS + "JOIN membership m ON m.user_id = u.id "
        "WHERE m.organisation_id = :organisation_id AND m.is_contact AND u.active ORDER BY u.id"
    ),
    "reviewer": text(
        _RECIPIENT_COLUMNS + "WHERE u.active "
        "AND u.id IN (SELECT reviewer_id FROM reviewassignment WHERE proposal_id = :proposal_id) "
        "AND u.id NOT IN (SELECT reviewer_id FROM review WHERE proposal_id = :proposal_id) ORDER BY u.id"
    ),
    "department": text(
        _RECIPIENT_COLUMNS + "JOIN userrole r ON r.user_id = u.id AND r.role = 'department' "
        "WHERE u.department_id = :department_id AND u.active ORDER BY u.id"
    ),
}

_CAS = {}


def _cas(extra: tuple[str, ...]):
    """UPDATE proposal ... WHERE id AND state AND version, with the step's extra columns."""
    stmt = _CAS.get(extra)
    if stmt is None:
        sets = ", ".join(["state = :to_state", "version = :new_version", "updated_at = :now",
                          *(f"{c} = :{c}" for c in extra)])
        stmt = _CAS[extra] = text(
            f"UPDATE proposal SET {sets} WHERE id = :id AND state = :from_state AND version = :version"
        )
    return stmt


def _encode(value: Any) -> Any:
    """Dates in a notice's JSON context as {"$date": ...}, as the outbox stores them."""
    if isinstance(value, datetime):
        return {"$date": value.date().isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    return value


def _audit_json(values: dict[str, Any]) -> str:
    return json.dumps({k: (v.isoformat() if isinstance(v, date) else v) for k, v in values.items()})


class Conflict(RuntimeError):
    pass


class RawLifecycle:
    """One full lifecycle in hand-written SQL; ``run`` returns the new proposal's id."""

    def __init__(self, db: Engine, city: City, clock: MovableClock, settings: Settings):
        self.db, self.city, self.settings = db, city, settings
        self.sqlite = db.dialect.name == "sqlite"
        now = clock.now()
        today = japan_today(clock)
        # Values as the engine's column types would bind them.
        if self.sqlite:
            self.now = now.astimezone(timezone.utc).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
            self.day = date.isoformat
        else:
            self.now = now
            self.day = lambda d: d
        self.today = today
        self.fy = fiscal_year(today)
        lc = get_lifecycle(LIFECYCLE, 1)  # the version the engine starts cases on at the bench clock
        due = {k: add_business_days(today, days_for(lc.deadline(k), settings))
               for k in ("decision", "receipt", "review", "coordination", "decision_pending", "contracting",
                         "final_evaluation")}
        due["implementation"] = TERMS["period_end"]
        self.due = due
        self.waits_on = {k: lc.deadline(k).waits_on for k in due}
        self.notify = {t.trigger: tuple(getattr(t, "notify", ())) for t in lc.transitions}
        self.ids = {who: a.user_id for who, a in city.actors.items()}
        self.audit = {trigger + (":" + who if trigger.startswith("submit_") else ""): _audit_json(given)
                      for trigger, who, given in city.steps()}
        # Creation records what the group gave, as the engine's audit does.
        self.audit["create"] = json.dumps({"organisation_id": city.org, "content": COMPLETE})
        self.content = dict(COMPLETE, confidential_fields="[]")

    # -- plumbing --------------------------------------------------------------------
    @contextmanager
    def _tx(self):
        with self.db.connect() as conn:
            if self.sqlite:
                conn.execution_options(sqlite_begin="IMMEDIATE")
            with conn.begin():
                yield conn

    def _move(self, conn, row, trigger: str, to_state: str, who: str, role: str, audit: str,
              **extra: Any) -> int:
        new_version = row.version + 1
        changed = conn.execute(
            _cas(tuple(extra)),
            dict(to_state=to_state, new_version=new_version, now=self.now, id=row.id,
                 from_state=row.state, version=row.version, **extra),
        ).rowcount
        if changed != 1:
            raise Conflict(f"proposal {row.id} changed under us")
        conn.execute(INSERT_AUDIT, dict(
            proposal_id=row.id, seq=new_version, trigger=trigger, from_state=row.state, to_state=to_state,
            actor_id=self.ids[who], actor_role=role, revision=row.revision, inputs=audit, now=self.now))
        return new_version

    def _deadlines(self, conn, pid: int, close: tuple[str, ...] = (), open_: tuple[str, ...] = ()) -> None:
        for key in close:
            conn.execute(CLOSE_DEADLINE, dict(now=self.now, proposal_id=pid, key=key))
        rows = [dict(proposal_id=pid, key=k, waits_on=self.waits_on[k], due_on=self.day(self.due[k]), now=self.now)
                for k in open_]
        if rows:
            conn.execute(INSERT_DEADLINE, rows if len(rows) > 1 else rows[0])

    def _notices(self, conn, trigger: str, row, version: int, department_id: int | None,
                 kind_context) -> None:
        notify = self.notify.get(trigger, ())
        if not notify:
            return
        s = self.settings
        base = {
            "proposal": {"id": row.id, "title": row.title},
            "organisation": {"name": row.org_name, "representative_title": row.org_rep_title,
                             "representative_name": row.org_rep_name},
            "department": {"name": row.dept_name} if row.dept_name is not None else None,
            "case_url": f"{s.base_url}/proposals/{row.id}",
            "city_name": s.city_name,
            "sender_section": s.sender_section,
        }
        out = []
        for kind, role, *_ in notify:
            recipients = conn.execute(RECIPIENTS[role], dict(
                organisation_id=row.organisation_id, proposal_id=row.id, department_id=department_id)).all()
            context = {**base, **kind_context(kind, role), "addressed_as": role}  # the letter's own reader
            for user_id, name, email, language in recipients:
                if not email:
                    continue
                out.append(dict(
                    proposal_id=row.id, kind=kind, recipient_id=user_id, email=email, language=language,
                    context=json.dumps(_encode({**context, "recipient_name": name})),
                    dedupe_key=f"t:{row.id}:{version}:{kind}:{user_id}", now=self.now))
        if out:
            conn.execute(INSERT_NOTICE, out if len(out) > 1 else out[0])

    # -- the lifecycle ---------------------------------------------------------------------
    def run(self) -> int:
        pid = self.create()
        self.submit(pid)
        self.start_review(pid)
        self.submit_review(pid, "reviewer1")
        self.submit_review(pid, "reviewer2")
        self.finish_review(pid)
        self.refer_for_decision(pid)
        self.adopt(pid)
        self.conclude_contract(pid)
        self.complete(pid)
        self.submit_final_evaluation(pid, "proposer", "partner")
        self.submit_final_evaluation(pid, "department", "city")
        self.publish_final_evaluation(pid)
        return pid

    def create(self) -> int:
        ids, now = self.ids, self.now
        with self._tx() as conn:
            pid = conn.execute(INSERT_PROPOSAL, dict(
                self.content, lifecycle=LIFECYCLE, lifecycle_version=1, state="draft", organisation_id=self.city.org,
                created_by=ids["proposer"], now=now, cancelled=False)).scalar_one()
            conn.execute(INSERT_REVISION, dict(self.content, proposal_id=pid, created_by=ids["proposer"], now=now))
            # The row just written: draft, version 0, revision 1.
            conn.execute(_cas(()), dict(to_state="draft", new_version=1, now=now, id=pid,
                                        from_state="draft", version=0))
            conn.execute(INSERT_AUDIT, dict(
                proposal_id=pid, seq=1, trigger="create", from_state="draft", to_state="draft",
                actor_id=ids["proposer"], actor_role="proposer", revision=1, inputs=self.audit["create"], now=now))
        return pid

    def submit(self, pid: int) -> None:
        with self._tx() as conn:
            row = conn.execute(SELECT_PROPOSAL_NAMES, dict(id=pid)).one()
            version = self._move(conn, row, "submit", "submitted", "proposer", "proposer", self.audit["submit"],
                                 submitted_at=self.now)
            self._deadlines(conn, pid, open_=("decision", "receipt"))
            self._notices(conn, "submit", row, version, row.department_id, lambda kind, role: {
                "submitted_on": self.today, "due_on": self.due["decision"]})

    def start_review(self, pid: int) -> None:
        dept, reviewers = self.city.dept, [self.ids["reviewer1"], self.ids["reviewer2"]]
        with self._tx() as conn:
            row = conn.execute(SELECT_PROPOSAL_NAMES_DEPT, dict(id=pid, dept=dept)).one()
            conn.execute(INSERT_ASSIGNMENT, [dict(proposal_id=pid, reviewer_id=r, now=self.now) for r in reviewers])
            version = self._move(conn, row, "start_review", "under_review", "secretariat", "secretariat",
                                 self.audit["start_review"], department_id=dept)
            self._deadlines(conn, pid, close=("receipt",), open_=("review",))
            self._notices(conn, "start_review", row, version, dept, lambda kind, role: {
                "due_on": self.due["review"]})

    def submit_review(self, pid: int, who: str) -> None:
        with self._tx() as conn:
            row = conn.execute(SELECT_PROPOSAL, dict(id=pid)).one()
            conn.execute(INSERT_REVIEW, dict(SCORES, proposal_id=pid, reviewer_id=self.ids[who],
                                             revision=row.revision, now=self.now))
            self._move(conn, row, "submit_review", "under_review", who, "reviewer", self.audit["submit_review:" + who])

    def finish_review(self, pid: int) -> None:
        with self._tx() as conn:
            row = conn.execute(SELECT_PROPOSAL, dict(id=pid)).one()
            self._move(conn, row, "finish_review", "in_coordination", "secretariat", "secretariat",
                       self.audit["finish_review"])
            self._deadlines(conn, pid, close=("review",), open_=("coordination",))

    def refer_for_decision(self, pid: int) -> None:
        with self._tx() as conn:
            row = conn.execute(SELECT_PROPOSAL, dict(id=pid)).one()
            conn.execute(INSERT_NOTE, dict(proposal_id=pid, kind="department_opinion", text=OPINION,
                                           author_id=self.ids["department"], now=self.now))
            self._move(conn, row, "refer_for_decision", "awaiting_decision", "department", "department",
                       self.audit["refer_for_decision"])
            self._deadlines(conn, pid, close=("coordination",), open_=("decision_pending",))

    def adopt(self, pid: int) -> None:
        s, prefix = self.settings, self.settings.document_prefix
        with self._tx() as conn:
            row = conn.execute(SELECT_PROPOSAL_NAMES, dict(id=pid)).one()
            serial = conn.execute(NEXT_SERIAL, dict(prefix=prefix, fiscal_year=self.fy)).scalar_one()
            number = f"{prefix}第{serial}号"
            conn.execute(INSERT_DECISION, dict(
                proposal_id=pid, reasons=REASONS, decided_by=self.ids["approver"], prefix=prefix,
                fiscal_year=self.fy, serial=serial, document_number=number, now=self.now))
            version = self._move(conn, row, "adopt", "contracting", "approver", "approver", self.audit["adopt"],
                                 decided_at=self.now)
            self._deadlines(conn, pid, close=("decision", "decision_pending"), open_=("contracting",))
            self._notices(conn, "adopt", row, version, row.department_id, lambda kind, role: {
                "outcome": "adopted", "document_number": number, "decided_on": self.today, "reasons": REASONS,
                "article": "第10条第2項", "mayor_title": s.mayor_title,
                "contact": {"section": row.dept_name, "email": s.contact_email,
                                      "phone": s.contact_phone},
                "budget_year": None})  # a proposal outside a round: its contract follows at once

    def conclude_contract(self, pid: int) -> None:
        t, day = TERMS, self.day
        with self._tx() as conn:
            row = conn.execute(SELECT_PROPOSAL_NAMES, dict(id=pid)).one()
            contract_id = conn.execute(INSERT_CONTRACT, dict(
                t, proposal_id=pid, period_start=day(t["period_start"]), period_end=day(t["period_end"]),
                exempt=False, concluded_by=self.ids["department"], now=self.now)).scalar_one()
            conn.execute(INSERT_PARTNER, dict(contract_id=contract_id, organisation_id=self.city.org))
            version = self._move(conn, row, "conclude_contract", "in_progress", "department", "department",
                                 self.audit["conclude_contract"])
            self._deadlines(conn, pid, close=("contracting",), open_=("implementation",))
            self._notices(conn, "conclude_contract", row, version, row.department_id, lambda kind, role: {
                "contract": {"form": t["contract_form"], "exempt": False, "period_start": t["period_start"],
                             "period_end": t["period_end"], "amount_yen": t["amount_yen"]}})

    def complete(self, pid: int) -> None:
        with self._tx() as conn:
            row = conn.execute(SELECT_PROPOSAL_NAMES, dict(id=pid)).one()
            conn.execute(INSERT_NOTE, dict(proposal_id=pid, kind="completion", text=COMPLETION_REPORT,
                                           author_id=self.ids["department"], now=self.now))
            conn.execute(INSERT_PERIOD, dict(proposal_id=pid, fiscal_year=self.fy, now=self.now))
            version = self._move(conn, row, "complete", "evaluating", "department", "department",
                                 self.audit["complete"])
            self._deadlines(conn, pid, close=("implementation",), open_=("final_evaluation",))
            self._notices(conn, "complete", row, version, row.department_id, lambda kind, role: {
                "period_label_fy": None, "due_on": self.due["final_evaluation"],
                "side": "partner" if role == "proposer" else "city"})

    def submit_final_evaluation(self, pid: int, who: str, side: str) -> None:
        with self._tx() as conn:
            row = conn.execute(SELECT_PROPOSAL, dict(id=pid)).one()
            period_id = conn.execute(SELECT_FINAL_PERIOD, dict(proposal_id=pid)).scalar_one()
            conn.execute(UPSERT_EVALUATION, dict(EVAL, period_id=period_id, side=side,
                                                 submitted_by=self.ids[who], now=self.now))
            self._move(conn, row, "submit_final_evaluation", "evaluating", who, who,
                       self.audit["submit_final_evaluation:" + who])

    def publish_final_evaluation(self, pid: int) -> None:
        with self._tx() as conn:
            row = conn.execute(SELECT_PROPOSAL_NAMES, dict(id=pid)).one()
            period_id = conn.execute(SELECT_FINAL_PERIOD, dict(proposal_id=pid)).scalar_one()
            conn.execute(PUBLISH_PERIOD, dict(now=self.now, period_id=period_id))
            version = self._move(conn, row, "publish_final_evaluation", "closed", "secretariat", "secretariat",
                                 self.audit["publish_final_evaluation"], closed_at=self.now)
            conn.execute(CLOSE_ALL_DEADLINES, dict(now=self.now, proposal_id=pid))
            self._notices(conn, "publish_final_evaluation", row, version, row.department_id, lambda kind, role: {
                "period_label_fy": None, "public_url": f"{self.settings.base_url}/public/proposals/{pid}"})
