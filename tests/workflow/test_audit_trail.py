"""The audit trail is the whole story: every record of a case follows from its events.

Seeded random walks drive cases of every lifecycle through the engine (creation,
transitions, saved revisions, attachments added and removed), now and then with inputs a
form would refuse. Afterwards each case's records are rebuilt from its audit events alone
(what each event's transition writes, as its definition names it, and what was given
with it) and compared with the tables: a write that left no event, an event that left no
write, or a row that says something else than the event that made it, all show up.

``trail_mismatches`` is also an invariant of the stateful test (``test_stateful.py``).
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select, update

from config import Settings
from db.models import (
    ApplicationReview,
    Attachment,
    AuditEvent,
    CallApplication,
    CaseNote,
    ConflictDeclaration,
    Contract,
    ContractAmendment,
    ContractPartner,
    Decision,
    Evaluation,
    EvaluationPeriod,
    OwnProject,
    Proposal,
    ProposalRevision,
    Review,
    ReviewAssignment,
)
from db.models.proposals import CONTENT_FIELDS
from states import LIFECYCLES, Transition, all_versions, in_effect, lifecycle_of
from workflow.calendar.clock import japan_today
from states.common import CONTRACT_FORMS, REVIEW_CRITERIA
from tests.support import APPLICANTS, CALL, COMPLETE, SCORES, TERMS, CallWorld, stored_file
from workflow import engine, proposals
from workflow.calendar.clock import JST, MovableClock, japan_today
from workflow.calendar.japan import fiscal_year
from workflow.errors import Conflict, KyodoError
from workflow.queries.cases import offers
from workflow.rules.contracts import CONTRACT_TEXT
from workflow.rules.evaluations import period_key

# Notes an effect keeps besides the one its transition declares (``Transition.note``),
# by effect: the withdrawal of an application, and the score sheet kept with a decision
# on a call (written when the case has applications).
EFFECT_NOTES = {"mark_application_withdrawn": "application_withdrawn", "record_decision": "selection_record"}


def _day(value) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _rows(session, stmt) -> list:
    return list(session.execute(stmt).all())


@dataclass
class Step:
    """One audit event with the transition of the definition it was made by."""

    transition: Transition
    event: Any

    @property
    def given(self) -> dict[str, Any]:
        return self.event.inputs or {}


def trail_mismatches(session, proposal_id: int) -> list[str]:
    """Everything the tables say about a case that its audit events do not account for."""
    wrong: list[str] = []

    def expect(ok: bool, what: str) -> None:
        if not ok:
            wrong.append(what)

    row = session.execute(select(Proposal.__table__).where(Proposal.id == proposal_id)).one()
    lc = lifecycle_of(row)
    events = _rows(session, select(AuditEvent.__table__).where(AuditEvent.proposal_id == proposal_id)
                   .order_by(AuditEvent.seq))

    # --- the trail itself: one event per version, a chain of the definition's transitions
    expect(row.version == len(events), f"version {row.version} but {len(events)} audit events")
    expect([e.seq for e in events] == list(range(1, len(events) + 1)), f"seq {[e.seq for e in events]}")
    if not events:
        return wrong + ["no audit event at all"]
    first = events[0]
    expect((first.trigger, first.from_state, first.to_state) == (lc.creation.trigger, lc.initial, lc.initial),
           f"first event {first.trigger} {first.from_state}→{first.to_state} is not the creation")
    steps = [Step(lc.creation, first)]
    for prev, e in zip(events, events[1:]):
        t = lc.transition_from(e.trigger, e.from_state)
        expect(e.from_state == prev.to_state, f"event {e.seq} starts from {e.from_state}, not {prev.to_state}")
        if t is None:
            wrong.append(f"event {e.seq}: {lc.name} has no {e.trigger!r} from {e.from_state!r}")
            continue
        expect(t.dest == e.to_state, f"event {e.seq}: {e.trigger} led to {e.to_state}, not {t.dest}")
        steps.append(Step(t, e))
    expect(events[-1].to_state == row.state, f"last event ends in {events[-1].to_state}, case is {row.state}")
    for s in steps:
        given, t = set(s.given), s.transition
        expect(set(t.inputs) <= given <= set(t.inputs) | set(t.optional_inputs),
               f"event {s.event.seq} ({t.trigger}) recorded inputs {sorted(given)}")
        expect(s.event.actor_role in t.roles, f"event {s.event.seq}: role {s.event.actor_role} may not {t.trigger}")
    by_effect: dict[str, list[Step]] = defaultdict(list)
    for s in steps:
        by_effect[s.transition.effect].append(s)
    effect = lambda name: by_effect.get(name, [])  # noqa: E731

    # --- creation and the case's own columns
    expect(row.created_by == first.actor_id, "created_by is not the creator of the first event")
    if "organisation_id" in first.inputs:
        expect(row.organisation_id == first.inputs["organisation_id"], "the case is not its creator's organisation's")
    expect(row.submitted_at == (effect("mark_submitted")[-1].event.at if effect("mark_submitted") else None),
           "submitted_at does not match the submission event")
    deciding = effect("record_decision")
    expect(row.decided_at == (deciding[-1].event.at if deciding else None), "decided_at does not match the decision")
    expect(bool(row.cancelled) == any(s.transition.outcome == "cancelled" for s in effect("finish_project")),
           "cancelled flag does not match a cancellation event")
    expect((row.closed_at is not None) == lc.state(row.state).final, f"closed_at {row.closed_at} in {row.state}")

    # --- revisions: one at creation, one per saved revision, the last one is the content
    revising = effect("create_case") + effect("record_revision")
    revs = session.execute(select(ProposalRevision).where(ProposalRevision.proposal_id == proposal_id)
                           .order_by(ProposalRevision.number)).scalars().all()
    expect(len(revs) == len(revising) == row.revision,
           f"{len(revs)} revisions, {len(revising)} revising events, case at revision {row.revision}")
    for number, (rev, s) in enumerate(zip(revs, revising), start=1):
        expect(rev.number == number and rev.created_by == s.event.actor_id and s.event.revision == number,
               f"revision {rev.number} does not match event {s.event.seq}")
        expect(rev.note == s.given.get("revision_note", ""), f"revision {rev.number} note {rev.note!r}")
    # The closing date of a call may also be set when it opens (``open_call``), not only by a revision.
    closing = [g["closing_on"] if "closing_on" in g else g["content"]["closing_on"]
               for g in (s.given for s in sorted(revising + effect("set_closing_date"), key=lambda s: s.event.seq))
               if "closing_on" in g or "closing_on" in (g.get("content") or {})]
    expect(row.closing_on == (_day(closing[-1]) if closing else None),
           f"closing date {row.closing_on} is not the last one given ({closing})")
    if revs:
        for name in CONTENT_FIELDS:
            if name != "closing_on":
                expect(getattr(revs[-1], name) == getattr(row, name),
                       f"{name}: case has {getattr(row, name)!r}, last revision {getattr(revs[-1], name)!r}")

    # --- attachments: added by events, removed by events, never deleted
    atts = session.execute(select(Attachment).where(Attachment.proposal_id == proposal_id)
                           .order_by(Attachment.id)).scalars().all()
    adds, removes = effect("record_attachment"), effect("mark_attachment_removed")
    expect(len(atts) == len(adds), f"{len(atts)} attachments, {len(adds)} add events")
    for a, s in zip(atts, adds):
        f = s.given["file"]
        expect((a.filename, a.content_type, a.size, a.sha256, a.storage_key, a.uploaded_by, a.uploaded_at)
               == (f["filename"], f["content_type"], f["size"], f["sha256"], f["storage_key"], s.event.actor_id,
                   s.event.at), f"attachment {a.id} differs from event {s.event.seq}")
    removed = {a.id: a for a in atts if a.removed_at is not None}
    expect(sorted(removed) == sorted(s.given["attachment_id"] for s in removes),
           f"removed attachments {sorted(removed)} vs events {[s.given['attachment_id'] for s in removes]}")
    for s in removes:
        a = removed.get(s.given["attachment_id"])
        expect(a is not None and (a.removed_by, a.removed_at) == (s.event.actor_id, s.event.at),
               f"removal {s.event.seq} not recorded as made")
    for a in atts:
        expect((a.removed_at is None) == (a.removed_by is None), f"attachment {a.id} half removed")

    # --- reviewers and reviews: assigned at the start, added or replaced later; a replaced
    # reviewer's assignment is ended (by whom, when, why, for whom), never deleted
    assigning = effect("assign_reviewers")
    handing_over = effect("hand_over_review")
    asked = [r for s in assigning + effect("assign_more_reviewers") for r in s.given["reviewer_ids"]]
    asked += [s.given["incoming_reviewer_id"] for s in handing_over]
    kept = session.execute(select(ReviewAssignment).where(ReviewAssignment.proposal_id == proposal_id)).scalars().all()
    expect(sorted(a.reviewer_id for a in kept) == sorted(asked), f"assigned {sorted(a.reviewer_id for a in kept)}")
    ended = {s.given["leaving_reviewer_id"]: (s.event.actor_id, s.event.at, s.given["replacement_reason"],
                                              s.given["incoming_reviewer_id"]) for s in handing_over}
    expect({a.reviewer_id: (a.ended_by, a.ended_at, a.end_reason, a.replaced_by) for a in kept if a.ended_at}
           == ended, "ended assignments differ from the replacements")
    for s in assigning:
        if "department_id" in s.given:
            expect(row.department_id == s.given["department_id"], "department not the one assigned")

    # --- conflicts of interest declared
    declared = session.execute(select(ConflictDeclaration).where(ConflictDeclaration.proposal_id == proposal_id)
                               .order_by(ConflictDeclaration.id)).scalars().all()
    expect([(d.user_id, d.role, d.reason, d.declared_at) for d in declared]
           == [(s.event.actor_id, s.event.actor_role, s.given["conflict_reason"], s.event.at)
               for s in effect("record_conflict")], "conflict declarations differ from events")

    def scores(r) -> tuple:
        return tuple(getattr(r, c) for c in REVIEW_CRITERIA) + (r.comment,)

    def given_scores(s: Step) -> tuple:
        return tuple(s.given[c] for c in REVIEW_CRITERIA) + (s.given["review_comment"],)

    reviewing = effect("record_review")
    whole = [s for s in reviewing if "application_id" not in s.given]
    per_application = [s for s in reviewing if "application_id" in s.given]
    reviews = session.execute(select(Review).where(Review.proposal_id == proposal_id)
                              .order_by(Review.id)).scalars().all()
    expect([(r.reviewer_id, r.submitted_at, *scores(r)) for r in reviews]
           == [(s.event.actor_id, s.event.at, *given_scores(s)) for s in whole], "reviews differ from events")
    app_reviews = session.execute(
        select(ApplicationReview).join(CallApplication, CallApplication.id == ApplicationReview.application_id)
        .where(CallApplication.proposal_id == proposal_id).order_by(ApplicationReview.id)).scalars().all()
    expect([(r.application_id, r.reviewer_id, r.submitted_at, *scores(r)) for r in app_reviews]
           == [(s.given["application_id"], s.event.actor_id, s.event.at, *given_scores(s)) for s in per_application],
           "application reviews differ from events")

    # --- applications to a call
    applying = effect("record_application")
    apps = session.execute(select(CallApplication).where(CallApplication.proposal_id == proposal_id)
                           .order_by(CallApplication.id)).scalars().all()
    expect([(a.organisation_id, a.summary, a.proposed_amount_yen, a.submitted_by, a.submitted_at) for a in apps]
           == [(s.given["organisation_id"], s.given["application_summary"], s.given.get("proposed_amount_yen"),
                s.event.actor_id, s.event.at) for s in applying], "applications differ from events")
    expect(sorted(a.id for a in apps if a.withdrawn)
           == sorted(s.given["application_id"] for s in effect("mark_application_withdrawn")), "withdrawals differ")
    selected = [s.given["selected_application_id"] for s in deciding if "selected_application_id" in s.given]
    expect(sorted(a.id for a in apps if a.selected) == sorted(selected), "selection differs from the decision")
    if selected:
        partner = next((a.organisation_id for a in apps if a.id == selected[-1]), None)
        expect(row.organisation_id == partner, "the call's partner is not the selected applicant")

    # --- the decision, with its reasons
    decisions = session.execute(select(Decision).where(Decision.proposal_id == proposal_id)).scalars().all()
    expect([(d.outcome, d.reasons, d.decided_by, d.decided_at) for d in decisions]
           == [(s.transition.outcome, s.given["reasons"], s.event.actor_id, s.event.at) for s in deciding],
           "decisions differ from events")

    # --- the contract, its partners and amendments
    contracting = effect("record_contract")
    contracts = session.execute(select(Contract).where(Contract.proposal_id == proposal_id)).scalars().all()
    expect(len(contracts) == len(contracting), f"{len(contracts)} contracts, {len(contracting)} contract events")
    amending = effect("record_amendment")
    for c, s in zip(contracts, contracting):
        g = s.given
        end = next((_day(a.given["new_period_end"]) for a in reversed(amending) if "new_period_end" in a.given),
                   _day(g["period_end"]))
        amount = next((a.given["new_amount_yen"] for a in reversed(amending) if "new_amount_yen" in a.given),
                      g.get("amount_yen"))
        expect((c.exempt, c.form, c.period_start, c.period_end, c.amount_yen, c.concluded_by, c.concluded_at)
               == (s.transition.outcome == "exempt", g.get("contract_form"), _day(g["period_start"]), end, amount,
                   s.event.actor_id, s.event.at), f"contract {c.id} differs from its events")
        expect(all(getattr(c, k) == g.get(k, "") for k in CONTRACT_TEXT), f"contract {c.id} terms differ")
        expect(c.exemption_reason == g.get("exemption_reason", ""), "exemption reason differs")
        partners = session.execute(select(ContractPartner.organisation_id)
                                   .where(ContractPartner.contract_id == c.id)).scalars().all()
        # Without partners named, the case's organisation is the partner (as it was then:
        # a call's organisation is set by the selection, before any contract).
        expect(sorted(partners) == sorted(g.get("partner_ids") or [row.organisation_id]), "partners differ")
        amendments = session.execute(select(ContractAmendment).where(ContractAmendment.contract_id == c.id)
                                     .order_by(ContractAmendment.seq)).scalars().all()
        expect([(a.seq, a.reason, a.amended_by, a.amended_at) for a in amendments]
               == [(i, a.given["amendment_reason"], a.event.actor_id, a.event.at)
                   for i, a in enumerate(amending, start=1)], "amendments differ from events")
        expect(c.amendments == len(amending), "amendment count differs")
    if not contracts:
        expect(not amending, "amendments without a contract")

    # --- own projects
    ops = session.execute(select(OwnProject).where(OwnProject.proposal_id == proposal_id)
                          .order_by(OwnProject.id)).scalars().all()
    starting = effect("record_own_project_start")
    expect([(o.title, o.started_on, o.notified_start_at) for o in ops]
           == [(s.given["own_project_title"], _day(s.given["own_project_start"]), s.event.at) for s in starting],
           "own projects differ from their start notices")
    expect({o.id: (o.ended_on, o.notified_end_at) for o in ops if o.notified_end_at is not None}
           == {s.given["own_project_id"]: (_day(s.given["own_project_end"]), s.event.at)
               for s in effect("record_own_project_end")}, "own project ends differ from their notices")

    # --- evaluations: periods opened and published, each side's last submission
    periods = session.execute(select(EvaluationPeriod).where(EvaluationPeriod.proposal_id == proposal_id)
                              ).scalars().all()
    key = lambda s: period_key(SimpleNamespace(values=s.given))  # noqa: E731
    opening = effect("open_evaluation") + effect("finish_project")
    expect(sorted((p.period, p.opened_at) for p in periods) == sorted((key(s), s.event.at) for s in opening),
           f"periods {sorted(p.period for p in periods)} vs opened {sorted(key(s) for s in opening)}")
    expect({p.period: p.published_at for p in periods if p.published_at is not None}
           == {key(s): s.event.at for s in effect("record_publication")}, "publications differ from events")
    expected: dict[tuple[str, str], tuple] = {}
    for s in effect("record_evaluation"):
        side = "partner" if s.event.actor_role == "proposer" else "city"
        g = s.given
        expected[(key(s), side)] = (g["evaluation_results"], g["role_sharing_assessment"], g["evaluation_comments"],
                                    g.get("collaboration_effect", ""), s.event.actor_id, s.event.at)
    found = {}
    by_id = {p.id: p.period for p in periods}
    if by_id:
        for ev in session.execute(select(Evaluation).where(Evaluation.period_id.in_(list(by_id)))).scalars():
            found[(by_id[ev.period_id], ev.side)] = (ev.results, ev.role_sharing_assessment, ev.comments, ev.effect,
                                                     ev.submitted_by, ev.submitted_at)
    expect(found == expected, f"evaluations {sorted(found)} vs events {sorted(expected)}")

    # --- notes: the one each transition declares (when its input was given), and the effects' own
    notes = session.execute(select(CaseNote).where(CaseNote.proposal_id == proposal_id)
                            .order_by(CaseNote.id)).scalars().all()
    kept_by_effects = set(EFFECT_NOTES.values())
    declared = Counter((s.transition.note[0], s.given[s.transition.note[1]], s.event.actor_id, s.event.at)
                       for s in steps if s.transition.note and s.given.get(s.transition.note[1]))
    expect(Counter((n.kind, n.text, n.author_id, n.created_at) for n in notes if n.kind not in kept_by_effects)
           == declared, "declared notes differ from the events that keep them")
    own = Counter()
    for name, kind in EFFECT_NOTES.items():
        for s in effect(name):
            if name != "record_decision" or apps:
                own[(kind, s.event.actor_id, s.event.at)] += 1
    expect(Counter((n.kind, n.author_id, n.created_at) for n in notes if n.kind in kept_by_effects) == own,
           "notes kept by effects differ from their events")
    return wrong


# --- the random walk


def _text(rng: random.Random) -> str:
    return rng.choice(["理由があります", "公益性が高い", "月例の活動", "評価します", "x"])


class Walker:
    """Drives several cases of each lifecycle at random, mostly along what is offered now."""

    def __init__(self, world: CallWorld, rng: random.Random):
        self.w, self.rng = world, rng
        self.s, self.clock = world.s, world.clock
        self.cases: list[int] = []
        self.fired: Counter = Counter()

    # -- reading

    def row(self, pid: int):
        r = self.s.execute(select(Proposal.__table__).where(Proposal.id == pid)).one()
        self.s.commit()
        return r

    def scalars(self, stmt) -> list:
        out = list(self.s.execute(stmt).scalars())
        self.s.commit()
        return out

    # -- creating

    def create(self, name: str) -> None:
        lc, w = in_effect(name, japan_today(self.w.clock)), self.w
        who = next(a for a in ("department", "proposer") if set(w[a].roles) & set(lc.creation.roles))
        if who == "proposer":
            given = {"organisation_id": w.org, "content": dict(COMPLETE)}
        else:
            body = {k: v for k, v in CALL.items() if k not in ("criteria", "contract_form")}
            given = {"content": body, "selection_criteria": CALL["criteria"],
                     "closing_on": japan_today(self.clock) + timedelta(days=self.rng.randint(5, 30))}
        out = engine.create(self.s, name, w[who], given, clock=self.clock, settings=w.settings)
        self.cases.append(out.proposal_id)
        self.fired[(name, lc.creation.trigger)] += 1

    def running_cases(self) -> None:
        """One case of each lifecycle driven along the usual path to a project that runs over
        fiscal year ends: the stages after the decision are walked however the decision went."""
        w, reviewers = self.w, [self.w["reviewer1"].user_id, self.w["reviewer2"].user_id]
        terms = dict(TERMS, period_end=date(2029, 3, 31))
        pid = w.new_proposal()
        w.to_in_progress(pid, **terms)
        call = w.new_call()
        w.do(call, "open_call", "department")
        app = w.apply_as(call, "outsider")
        self.clock.advance(days=30)
        w.do(call, "close_applications", "department", reviewer_ids=reviewers)
        for r in ("reviewer1", "reviewer2"):
            w.do(call, "review_application", r, application_id=app, **SCORES)
        w.do(call, "refer_for_selection", "department", department_opinion="適当")
        w.do(call, "select", "approver", selected_application_id=app, reasons="唯一の応募で内容も適当")
        w.do(call, "conclude_contract", "department", **terms, partner_ids=[w.other_org])
        self.cases += [pid, call]

    # -- inputs

    def value(self, pid: int, name: str, who: str):
        w, rng, today = self.w, self.rng, japan_today(self.clock)
        row = self.row(pid)
        reviewers = [w[r].user_id for r in ("reviewer1", "reviewer2", "reviewer3")]
        asked = set(self.scalars(select(ReviewAssignment.reviewer_id).where(ReviewAssignment.proposal_id == pid)))
        if name == "reviewer_ids":
            if asked:  # more reviewers during the review: someone not asked yet
                return [u for u in reviewers if u not in asked][:1] or [99_999]
            return rng.sample(reviewers, rng.choice([2, 3]))
        if name == "leaving_reviewer_id":  # an active reviewer who has not reviewed anything yet
            done = set(self.scalars(select(Review.reviewer_id).where(Review.proposal_id == pid)))
            done |= set(self.scalars(select(ApplicationReview.reviewer_id).join(
                CallApplication, CallApplication.id == ApplicationReview.application_id)
                .where(CallApplication.proposal_id == pid)))
            active = self.scalars(select(ReviewAssignment.reviewer_id).where(
                ReviewAssignment.proposal_id == pid, ReviewAssignment.ended_at.is_(None)))
            return rng.choice([u for u in active if u not in done] or [99_999])
        if name == "incoming_reviewer_id":
            return rng.choice([u for u in reviewers if u not in asked] or [99_999])
        if name == "department_id":
            return w.dept
        if name.startswith("score_"):
            return rng.randint(1, 5)
        if name == "contract_form":
            return rng.choice(CONTRACT_FORMS)
        if name == "partner_ids":
            return [row.organisation_id] if row.organisation_id else [w.org]
        if name in ("period_start", "own_project_start"):
            return today + timedelta(days=rng.randint(0, 60))
        if name == "period_end":
            return date(today.year + rng.randint(1, 3), 3, 31)
        if name == "new_period_end":
            start = self.scalars(select(Contract.period_start).where(Contract.proposal_id == pid))
            return (start[0] if start else today) + timedelta(days=rng.randint(30, 900))
        if name == "own_project_end":
            return today + timedelta(days=rng.randint(0, 20))
        if name in ("amount_yen", "new_amount_yen", "proposed_amount_yen"):
            return rng.randint(0, 5_000_000)
        if name == "fiscal_year":
            open_years = self.scalars(select(EvaluationPeriod.fiscal_year).where(
                EvaluationPeriod.proposal_id == pid, EvaluationPeriod.period != "final",
                EvaluationPeriod.published_at.is_(None)))
            return rng.choice(open_years) if open_years and rng.random() < 0.8 else fiscal_year(today) - 1
        if name == "own_project_id":
            ids = self.scalars(select(OwnProject.id).where(OwnProject.proposal_id == pid,
                                                          OwnProject.ended_on.is_(None)))
            return rng.choice(ids or [99_999])
        if name == "organisation_id":
            return w.orgs.get(who, w.org)
        if name in ("application_id", "selected_application_id"):
            apps = self.s.execute(select(CallApplication).where(CallApplication.proposal_id == pid,
                                                                CallApplication.withdrawn.is_(False))).scalars().all()
            uid = w[who].user_id
            done = set(self.scalars(select(ApplicationReview.application_id)
                                    .where(ApplicationReview.reviewer_id == uid)))
            mine = [a.id for a in apps if a.organisation_id in w[who].organisation_ids]
            todo = [a.id for a in apps if a.id not in done]
            pool = mine if who in APPLICANTS and name == "application_id" else todo or [a.id for a in apps]
            return rng.choice(pool or [99_999])
        if name == "content":
            fields = ["title", "purpose", "content", "proposed_roles"]
            return {f: _text(rng) for f in rng.sample(fields, rng.randint(1, 2))}
        if name == "file":
            return stored_file(f"資料{rng.randint(1, 99)}.pdf", size=rng.randint(1, 10**6))
        if name == "attachment_id":
            ids = self.scalars(select(Attachment.id).where(Attachment.proposal_id == pid,
                                                          Attachment.removed_at.is_(None)))
            return rng.choice(ids or [99_999])
        if name == "closing_on":
            return today + timedelta(days=rng.randint(1, 30))
        return _text(rng)

    def inputs(self, pid: int, t: Transition, who: str) -> dict[str, Any]:
        given = {n: self.value(pid, n, who) for n in t.inputs}
        for n in t.optional_inputs:
            if self.rng.random() < 0.5:
                given[n] = self.value(pid, n, who)
        if given and self.rng.random() < 0.08:  # now and then what a form would refuse
            spoiled = self.rng.choice(sorted(given))
            given[spoiled] = self.rng.choice(["", " ", None, -1, "x", [99_999]])
        return given

    # -- acting

    def offered(self, pid: int) -> list[tuple[str, Transition]]:
        """(who, transition) pairs offered on the case now, conditions that can be pre-checked met."""
        row = self.row(pid)
        lc = lifecycle_of(row)
        out = []
        for who, actor in self.w.actors.items():
            out += [(who, o.transition) for o in offers(self.s, lc, row, actor, clock=self.clock,
                                                         settings=self.w.settings) if o.ready]
        self.s.commit()
        return out

    def step(self) -> None:
        rng = self.rng
        if rng.random() < 0.1:
            self.clock.advance(days=rng.choice([1, 3, 10, 40, 120, 200]))
            return
        pid = rng.choice(self.cases)
        pairs = self.offered(pid)
        if not pairs:
            return
        lifecycle = self.row(pid).lifecycle
        # What the browser asks to confirm seldom, endings (withdraw, reject, cancel) most
        # seldom: otherwise walks end early and every application of a call is withdrawn.
        # A trigger this walk has not applied yet is favoured, so that every one gets its turn.
        # Conflicts are declared by reviewers only, and seldom: the world has one approver, one
        # secretary and one department employee, whom a declaration would keep out for good.
        pairs = [(who, t) for who, t in pairs if t.effect != "record_conflict" or who.startswith("reviewer")]
        weights = [(1.0 if not t.confirm else 0.3 if t.is_loop else 0.03)
                   * (0.1 if t.effect == "record_conflict" else 1)
                   * (1 if self.fired[(lifecycle, t.trigger)] else 5) for _who, t in pairs]
        who, t = rng.choices(pairs, weights=weights)[0]
        given = self.inputs(pid, t, who)
        try:
            if t.effect == "record_revision" and set(given) <= {"content", "revision_note"} and given.get("content"):
                proposals.save_revision(self.s, self.w[who], pid, given["content"],
                                        note=given.get("revision_note") or "", clock=self.clock)
            else:
                engine.apply(self.s, pid, t.trigger, self.w[who], given, clock=self.clock, settings=self.w.settings)
        except Conflict as exc:
            raise AssertionError(f"{t.trigger} by {who} with {given!r}: Conflict with a single writer") from exc
        except KyodoError:
            return
        self.fired[(lifecycle, t.trigger)] += 1


SEEDS = range(10)


@pytest.fixture(scope="module")
def walks(tmp_path_factory, sqlite_template):
    """Ten seeded walks, each over two proposals and two calls; the database of each kept for the checks."""
    import shutil

    from db.session import make_engine, new_session

    out = []
    for seed in SEEDS:
        path = tmp_path_factory.mktemp("walk") / "kyodo.sqlite3"
        shutil.copy(sqlite_template, path)
        eng = make_engine(f"sqlite:///{path}")
        session = new_session(eng)
        clock = MovableClock(datetime(2026, 4, 6, 9, tzinfo=JST))
        walker = Walker(CallWorld(session, clock, Settings(required_reviews=2)), random.Random(seed))
        for name in sorted(LIFECYCLES) * 2:
            walker.create(name)
        walker.running_cases()
        for _ in range(300):
            walker.step()
        out.append(walker)
    yield out
    for walker in out:
        walker.s.close()
        walker.s.get_bind().dispose()


@pytest.mark.parametrize("seed", SEEDS)
def test_every_record_follows_from_the_audit_trail(walks, seed):
    walker = walks[seed]
    for pid in walker.cases:
        wrong = trail_mismatches(walker.s, pid)
        walker.s.commit()
        assert not wrong, f"case {pid} ({walker.row(pid).lifecycle}, seed {seed}):\n  " + "\n  ".join(wrong)


def test_the_walks_exercised_every_effect_of_every_lifecycle(walks):
    """Otherwise the comparison above could pass by having nothing to compare."""
    fired = Counter()
    for walker in walks:
        fired.update(walker.fired)
    missing = []
    for lc in all_versions():
        name = lc.name
        effects = {t.effect for t in (*lc.transitions, lc.creation) if t.effect}
        done = {t.effect for t in (*lc.transitions, lc.creation) if t.effect and fired[(name, t.trigger)]}
        missing += [f"{name}: {e}" for e in sorted(effects - done)]
    assert not missing, f"effects never applied by the walks: {missing}"


def test_the_comparison_notices_a_write_without_an_event(walks):
    """A row written behind the engine's back is reported."""
    walker = walks[0]
    pid = walker.cases[0]
    session = walker.s
    first = session.execute(select(AuditEvent).where(AuditEvent.proposal_id == pid, AuditEvent.seq == 1)).scalar_one()
    session.add(CaseNote(proposal_id=pid, kind="coordination", text="裏口からの記録", author_id=first.actor_id,
                         created_at=first.at))
    session.add(Attachment(proposal_id=pid, filename="x.pdf", content_type="application/pdf", size=1,
                           sha256="0" * 64, storage_key="behind-the-back", uploaded_by=first.actor_id,
                           uploaded_at=first.at))
    session.flush()
    try:
        wrong = trail_mismatches(session, pid)
    finally:
        session.rollback()
    assert any("declared notes" in w for w in wrong), wrong
    assert any("attachments" in w for w in wrong), wrong
    assert trail_mismatches(session, pid) == []
    session.commit()


# A change made behind the engine's back, one table at a time: (table, its case column, change).
TAMPERING = {
    "decision reasons": (Decision, Decision.proposal_id, {"reasons": "書き換えた理由"}),
    "attachment removed": (Attachment, Attachment.proposal_id, {"removed_at": datetime(2030, 1, 1, tzinfo=JST)}),
    "application withdrawn": (CallApplication, CallApplication.proposal_id, {"withdrawn": True}),
    "revision content": (ProposalRevision, ProposalRevision.proposal_id, {"title": "書き換えた事業名"}),
    "contract amount": (Contract, Contract.proposal_id, {"amount_yen": 1}),
    "own project end": (OwnProject, OwnProject.proposal_id, {"ended_on": date(2030, 1, 1)}),
    "evaluation period published": (EvaluationPeriod, EvaluationPeriod.proposal_id,
                                    {"published_at": datetime(2030, 1, 1, tzinfo=JST)}),
    "note text": (CaseNote, CaseNote.proposal_id, {"text": "書き換えた記録"}),
    "conflict reason": (ConflictDeclaration, ConflictDeclaration.proposal_id, {"reason": "書き換えた理由"}),
}


@pytest.mark.parametrize("what", sorted(TAMPERING))
def test_the_comparison_notices_a_changed_row(walks, what):
    model, case_column, change = TAMPERING[what]
    for walker in walks:
        session = walker.s
        for row_id, pid in session.execute(select(model.id, case_column).order_by(model.id)).all():
            session.execute(update(model).where(model.id == row_id).values(**change))
            try:
                wrong = trail_mismatches(session, pid)
            finally:
                session.rollback()
            if wrong:
                return
    pytest.fail(f"changing {what} behind the engine's back went unnoticed (or no walk wrote such a row)")


def test_the_comparison_names_only_effects_the_definitions_use():
    """A renamed effect would otherwise leave its part of the comparison comparing nothing."""
    used = {t.effect for lc in all_versions() for t in (*lc.transitions, lc.creation) if t.effect}
    assert set(EFFECT_NOTES) <= used, sorted(set(EFFECT_NOTES) - used)
