"""The one way to change a case: apply a trigger (or create the case).

``apply`` checks the trigger against the case's state, the actor's role and reach, and
the required inputs; runs the pytransitions machine built from ``states/`` (which checks
the ordinance's conditions); then writes, in ONE transaction, the effect the definition
names (reviews, decision, contract …), the new state by compare-and-set on state and
version, the audit event, the deadline rows and the notices. Any failure rolls all of it
back. ``create`` does the same for the transition that brings a case into being.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Connection, bindparam, exists, insert, select, update
from sqlalchemy.exc import DataError, IntegrityError
from sqlmodel import Session

from config import Settings, get_settings
from db.models import AuditEvent, ConflictDeclaration, Department, Organisation, Proposal, ReviewAssignment
from db.session import write
from states import Lifecycle, Transition, get_lifecycle, in_effect, lifecycle_of
from states.migration_plan import MIGRATION_TRIGGER, MigrationPlan
from workflow.actors import Actor
from workflow.calendar.clock import Clock, SystemClock, japan_today
from workflow.engine import deadlines, inputs, machine, outbox
from workflow.engine.authorization import ActorOnCase, choose_role, creator_role
from workflow.engine.context import Case, DepartmentName, OrganisationNames
from workflow.errors import ConditionNotMet, Conflict, InvalidInput, InvalidState, KyodoError, NotFound
from workflow.rules.catalogue import rules_for
from workflow.rules.cases import CREATED_ROW

_PROPOSAL = Proposal.__table__
_AUDIT = AuditEvent.__table__
_ORG = Organisation.__table__
_DEPT = Department.__table__
_DECLARED = ConflictDeclaration.__table__
_ASSIGNED = ReviewAssignment.__table__
# Built once: on the hot path, building a statement costs more than its round trip.
_LOAD = select(_PROPOSAL).where(_PROPOSAL.c.id == bindparam("pid"))
# The case row for a change, with in the same round trip what every change reads next: the
# names its notices quote (its organisation and department) and the actor's standing on it
# (an active review assignment, a declared conflict of interest) that the role's reach and
# the impartiality check need.
_LOAD_FOR_CHANGE = (
    select(
        _PROPOSAL,
        _ORG.c.name.label("org__name"),
        _ORG.c.representative_title.label("org__representative_title"),
        _ORG.c.representative_name.label("org__representative_name"),
        _DEPT.c.name_ja.label("dept__name_ja"),
        exists().where(_ASSIGNED.c.proposal_id == _PROPOSAL.c.id, _ASSIGNED.c.reviewer_id == bindparam("uid"),
                       _ASSIGNED.c.ended_at.is_(None)).label("actor__assigned"),
        exists().where(_DECLARED.c.proposal_id == _PROPOSAL.c.id,
                       _DECLARED.c.user_id == bindparam("uid")).label("actor__declared"),
    )
    .select_from(_PROPOSAL.outerjoin(_ORG, _ORG.c.id == _PROPOSAL.c.organisation_id)
                 .outerjoin(_DEPT, _DEPT.c.id == _PROPOSAL.c.department_id))
    .where(_PROPOSAL.c.id == bindparam("pid"))
)
# The compare-and-set: the columns set are those of the parameters given with it.
_CAS = update(_PROPOSAL).where(_PROPOSAL.c.id == bindparam("cas_id"), _PROPOSAL.c.state == bindparam("cas_state"),
                               _PROPOSAL.c.version == bindparam("cas_version"))
_VERSION = select(_PROPOSAL.c.version).where(_PROPOSAL.c.id == bindparam("pid"))
_APPEND_AUDIT = insert(_AUDIT)


@dataclass(frozen=True)
class Outcome:
    proposal_id: int
    trigger: str
    from_state: str
    to_state: str
    version: int
    role: str
    facts: dict[str, Any]


def _not_found(proposal_id: int) -> NotFound:
    return NotFound(
        f"案件 {proposal_id} は見つかりません。", f"no case {proposal_id}",
        "`kyodo proposals list` で番号を確認してください。", "see `kyodo proposals list`",
    )


def load_case_row(session: Session, proposal_id: int):
    row = session.execute(_LOAD, {"pid": proposal_id}).first()
    if row is None:
        raise _not_found(proposal_id)
    return row


def _load_for_change(db: Connection, proposal_id: int, actor: Actor):
    row = db.execute(_LOAD_FOR_CHANGE, {"pid": proposal_id, "uid": actor.user_id}).first()
    if row is None:
        raise _not_found(proposal_id)
    return row


def possible_now(lc: Lifecycle, state: str) -> list[tuple[str, tuple[str, ...]]]:
    return [(t.trigger, t.roles) for t in lc.available_from(state)]


def _not_possible(lc: Lifecycle, state: str, trigger: str) -> InvalidState:
    label = lc.state(state)
    if not lc.transitions_for(trigger):
        return InvalidState(
            f"「{trigger}」という操作はありません。", f"unknown trigger {trigger!r}", possible_now(lc, state)
        )
    if label.final:
        return InvalidState(
            f"この案件は「{label.label_ja}」で終了しており、これ以上の操作はできません。",
            f"the case is {label.label_en} (final); it accepts no further trigger",
            [],
        )
    return InvalidState(
        f"「{label.label_ja}」の状態では「{lc.transitions_for(trigger)[0].label_ja}」はできません。",
        f"{trigger} is not possible while the case is {label.label_en}",
        possible_now(lc, state),
    )


def _write_change(session: Session | Connection, row, *, trigger: str, to_state: str, actor: Actor, role: str,
                  audit_inputs: dict[str, Any], now, updates: dict[str, Any]) -> int:
    """Compare-and-set the case and append its audit event; returns the new version.

    Private to the engine: every write to a case comes through ``apply`` or ``create``.
    """
    new_version = row.version + 1
    values = {"state": to_state, "version": new_version, "updated_at": now, **updates}
    changed = session.execute(
        _CAS, {"cas_id": row.id, "cas_state": row.state, "cas_version": row.version, **values}).rowcount
    if changed != 1:
        current = session.execute(_VERSION, {"pid": row.id}).scalar()
        raise Conflict(row.id, current)
    session.execute(_APPEND_AUDIT, dict(
        proposal_id=row.id, seq=new_version, trigger=trigger, from_state=row.state, to_state=to_state,
        actor_id=actor.user_id, actor_role=role, revision=values.get("revision", row.revision),
        inputs=audit_inputs, at=now,
    ))
    return new_version


def _record(case: Case, row, dest: str) -> int:
    """The effect, the state, the audit event, the deadlines and the notices of one change."""
    t = case.transition
    effect = rules_for(case.lifecycle.name).effects[t.effect] if t.effect else None
    updates = dict((effect(case) if effect else None) or {})
    if case.proposal is None:  # creation: the effect inserted the row (and kept it as written)
        row = case.proposal = case.memo.pop(CREATED_ROW, None) or load_case_row(case.session, case.facts["proposal_id"])
    if case.lifecycle.state(dest).final and row.state != dest:
        updates.setdefault("closed_at", case.now)
    version = _write_change(
        case.db, row, trigger=t.trigger, to_state=dest, actor=case.actor, role=case.role,
        audit_inputs=inputs.to_json(case.values), now=case.now, updates=updates,
    )
    case.after = SimpleNamespace(**{**row._mapping, **updates, "state": dest, "version": version})
    deadlines.on_transition(case, row.state, dest)
    outbox.on_transition(case, row.state, dest)
    return version


def _run(session: Session, proposal_id: int | None, work) -> Any:
    try:
        with write(session):
            return work()
    except IntegrityError as exc:
        # A unique constraint hit by a concurrent writer (the same review twice, say).
        raise Conflict(proposal_id) from exc
    except DataError as exc:
        raise InvalidInput("", "入力された値がデータベースの上限を超えています。",
                           "a value given is beyond what the database can hold") from exc


def _unmet(lc, case: Case, name: str) -> tuple[str, str, str]:
    """A failed condition as (name, ja, en): what the rule said with the case's own facts, else its label."""
    said = case.memo.get(("unmet", name))
    if said:
        return name, said[0], said[1]
    return name, lc.condition(name).label_ja, lc.condition(name).label_en


def _apply_one(session: Session, proposal_id: int, trigger: str, actor: Actor, given: dict[str, Any] | None,
               expected_version: int | None, clock: Clock, settings: Settings) -> Outcome:
    """Check and write one change inside the caller's transaction (``apply`` and ``apply_together``)."""
    db = session.connection()
    row = _load_for_change(db, proposal_id, actor)
    if expected_version is not None and row.version != expected_version:
        raise Conflict(proposal_id, row.version)
    lc = lifecycle_of(row)
    t = lc.transition_from(trigger, row.state)
    if t is None:
        raise _not_possible(lc, row.state, trigger)
    role = choose_role(session, actor, t, row, ActorOnCase(bool(row.actor__assigned), bool(row.actor__declared)))
    values = inputs.validate(lc, t, given)
    case = Case(session, lc, t, row, actor, role, values, clock, settings, clock.now(), connection=db)
    # The names came with the row: the notices need not read them again.
    if row.organisation_id is not None and row.org__name is not None:
        case.memo[("organisation", row.organisation_id)] = OrganisationNames(
            row.organisation_id, row.org__name, row.org__representative_title, row.org__representative_name)
    if row.department_id is not None and row.dept__name_ja is not None:
        case.memo[("department", row.department_id)] = DepartmentName(row.department_id, row.dept__name_ja)
    moved, dest, failed = machine.fire(lc, row.state, trigger, case)
    if not moved:
        raise ConditionNotMet([_unmet(lc, case, c) for c in failed])
    version = _record(case, row, dest)
    return Outcome(proposal_id, trigger, row.state, dest, version, role, dict(case.facts))


def apply(
    session: Session,
    proposal_id: int,
    trigger: str,
    actor: Actor,
    given: dict[str, Any] | None = None,
    *,
    expected_version: int | None = None,
    clock: Clock | None = None,
    settings: Settings | None = None,
) -> Outcome:
    """Apply ``trigger`` to a case as ``actor``; commits, or rolls back and raises."""
    clock = clock or SystemClock()
    settings = settings or get_settings()
    return _run(session, proposal_id,
                lambda: _apply_one(session, proposal_id, trigger, actor, given, expected_version, clock, settings))


# One change of a batch: (case id, trigger, inputs, the case version the person saw or None).
Change = tuple[int, str, "dict[str, Any] | None", "int | None"]


def apply_together(
    session: Session,
    changes: list[Change],
    actor: Actor,
    *,
    clock: Clock | None = None,
    settings: Settings | None = None,
) -> list[Outcome]:
    """Apply several changes in ONE transaction: all of them, or none.

    Each change runs the same checks and writes as ``apply`` (its audit event, its
    effect, its deadlines and notices), in the order given, on one clock reading per
    change. The first refusal rolls every change back and is raised as it is, with
    ``proposal_id`` set on it, so that the caller can say which case stood in the way.
    """
    clock = clock or SystemClock()
    settings = settings or get_settings()
    seen = [pid for pid, *_ in changes]
    if len(set(seen)) != len(seen):
        raise InvalidInput("proposal_id", "同じ案件が2回指定されています。", "the same case is given twice")

    def work() -> list[Outcome]:
        done = []
        for pid, trigger, given, expected in changes:
            try:
                done.append(_apply_one(session, pid, trigger, actor, given, expected, clock, settings))
            except KyodoError as exc:
                exc.proposal_id = pid
                raise
        return done

    return _run(session, None, work)


def create(
    session: Session,
    lifecycle: str,
    actor: Actor,
    given: dict[str, Any] | None = None,
    *,
    clock: Clock | None = None,
    settings: Settings | None = None,
) -> Outcome:
    """Create a case of ``lifecycle`` through its creation transition; returns its outcome (with its id)."""
    clock = clock or SystemClock()
    settings = settings or get_settings()
    # A new case starts on the version in effect on the day it is created (Japan time).
    lc = in_effect(lifecycle, japan_today(clock))
    t: Transition = lc.creation

    def work() -> Outcome:
        role = creator_role(actor, t)
        values = inputs.validate(lc, t, given)
        case = Case(session, lc, t, None, actor, role, values, clock, settings, clock.now())
        failed = [c for c in t.conditions if not rules_for(lc.name).conditions[c](case)]
        if failed:
            raise ConditionNotMet([(c, lc.condition(c).label_ja, lc.condition(c).label_en) for c in failed])
        version = _record(case, None, t.dest)
        pid = case.proposal_id
        return Outcome(pid, t.trigger, t.dest, t.dest, version, role, dict(case.facts))

    return _run(session, None, work)


# --- moving a running case to a new version of its lifecycle


@dataclass(frozen=True)
class Migrated:
    proposal_id: int
    from_state: str
    to_state: str
    case_version: int
    deadlines: tuple[deadlines.Recomputed, ...]


def migrate(session: Session, proposal_id: int, plan: MigrationPlan, actor: Actor, *, clock: Clock | None = None,
            settings: Settings | None = None) -> Migrated | None:
    """Move one case as ``plan`` says, in its own transaction, with its audit event.

    Returns None, writing nothing, when the case is not (or no longer) on the plan's old
    version, or its state stays there: a second run, or two at once, move each case once
    (the compare-and-set on the case's version lets only one of two writers through).
    Open deadlines are counted again under the new version's policies.
    """
    clock = clock or SystemClock()
    settings = settings or get_settings()

    def work() -> Migrated | None:
        row = load_case_row(session, proposal_id)
        if row.lifecycle != plan.lifecycle or row.lifecycle_version != plan.from_version:
            return None
        move = plan.move(row.state)
        if move.stays:
            return None
        new = get_lifecycle(plan.lifecycle, plan.to_version)
        open_rows = deadlines.open_duties(session, proposal_id)
        changes, missing = deadlines.recompute(open_rows, new, japan_today(clock), settings)
        if missing:  # refused by the plan's dry run; checked again under the lock of this change
            raise InvalidState(f"移行先の版に期限「{'、'.join(missing)}」がありません。",
                               f"version {plan.to_version} lacks the open deadline(s) {', '.join(missing)}", [])
        now = clock.now()
        version = _write_change(
            session, row, trigger=MIGRATION_TRIGGER, to_state=move.to, actor=actor, role="system",
            audit_inputs={"plan": plan.name, "from": f"{plan.lifecycle}@{plan.from_version}",
                          "to": f"{plan.lifecycle}@{plan.to_version}", "supplied": dict(move.supply),
                          "deadlines": [c.as_json() for c in changes]},
            now=now, updates={"lifecycle_version": plan.to_version})
        deadlines.write_recomputed(session, changes, new)
        return Migrated(proposal_id, row.state, move.to, version, tuple(changes))

    return _run(session, proposal_id, work)
