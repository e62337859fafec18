"""A case coming into being and its content changing: creation and saved revisions.

Both lifecycles create their cases through the engine (``Lifecycle.creation`` in
``states/``): a citizen group's draft proposal for one of its organisations (Art. 10(1)),
a department's draft call for partners (Art. 9(1)). Every save of the content writes a
new revision row and keeps the earlier ones readable.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import insert, select

from db.models import AuditEvent, Proposal, ProposalRevision
from db.models.proposals import CONTENT_FIELDS
from workflow import round_entry
from workflow.calendar.clock import japan_today
from workflow.errors import InvalidInput, NotAllowed, NotFound
from workflow.rules.content import REQUIRED_CALL_FIELDS, REQUIRED_PROPOSAL_FIELDS, ROUND_FIELDS, clean_content, filled

if TYPE_CHECKING:
    from workflow.engine.context import Case

_PROPOSAL = Proposal.__table__
# Built once: the columns each execution sets are those of its parameters.
_CREATE = insert(_PROPOSAL).returning(*_PROPOSAL.c)
_ADD_REVISION = insert(ProposalRevision.__table__)
# Where the creation keeps, in ``case.memo``, the row it wrote: the engine need not read it back.
CREATED_ROW = "created_row"


def create_case(case: Case):
    """Insert the draft and its first revision; the engine then writes the audit event."""
    v, lc, actor = case.values, case.lifecycle, case.actor
    fields = {k: val for k, val in clean_content(v.get("content") or {}).items() if val not in (None, "")}
    entry = {k: fields.pop(k) for k in ROUND_FIELDS if k in fields}
    if entry:
        round_entry.check_choice(case.session, entry.get("round_id"), entry.get("theme_id"), japan_today(case.clock))
    for name in ("selection_criteria", "closing_on"):
        if name in v:
            fields[name] = v[name]
    organisation_id = department_id = None
    if case.role == "proposer":
        organisation_id = v.get("organisation_id")
        if organisation_id not in actor.organisation_ids:
            raise NotAllowed("提案は所属する団体の名前でのみ作成できます。",
                             "you can only create proposals for an organisation you belong to")
        if case.organisation(organisation_id) is None:
            raise NotFound(f"団体 {organisation_id} は登録されていません。", f"no organisation {organisation_id}")
    else:
        department_id = actor.department_id
        if department_id is None or case.department(department_id) is None:
            raise NotAllowed("所属する所管課が登録されていない職員は作成できません。",
                             "only staff of a registered department can create this")
    # The whole row as written comes back, so the engine need not read it again.
    row = case.db.execute(_CREATE, dict(
        lifecycle=lc.name, lifecycle_version=lc.version, state=lc.initial, version=0, organisation_id=organisation_id,
        department_id=department_id, revision=1, created_by=actor.user_id, created_at=case.now,
        updated_at=case.now, **fields, **entry,
    )).one()
    case.db.execute(_ADD_REVISION, dict(
        proposal_id=row.id, number=1, created_by=actor.user_id, created_at=case.now, **fields))
    case.facts["proposal_id"] = row.id
    case.memo[CREATED_ROW] = row


def record_revision(case: Case):
    row = case.proposal
    changes = clean_content(case.values["content"])
    entry = _round_change(case, {k: changes.pop(k) for k in ROUND_FIELDS if k in changes})
    merged = {k: getattr(row, k) for k in CONTENT_FIELDS}
    merged.update(changes)
    number = row.revision + 1
    case.db.execute(_ADD_REVISION, dict(
        proposal_id=row.id, number=number, note=case.values.get("revision_note", ""), created_by=case.actor.user_id,
        created_at=case.now, **{k: merged[k] for k in CONTENT_FIELDS if merged[k] is not None}))
    case.facts["revision"] = number
    return {**changes, **entry, "revision": number}


def _round_change(case: Case, given: dict) -> dict:
    """The round and theme given with a revision, checked when they change anything.

    Where a proposal applies is settled when it is submitted: only a draft changes it.
    """
    row = case.proposal
    round_id = given.get("round_id", row.round_id)
    # Another round drops the theme of the last one, unless a theme is named with it.
    theme_id = given.get("theme_id", row.theme_id if round_id == row.round_id else None)
    if (round_id, theme_id) == (row.round_id, row.theme_id):
        return {}
    if row.state != case.lifecycle.initial:
        raise InvalidInput(next(iter(given)), "提出した後は、応募する募集とテーマを変更できません。",
                           "the round and theme cannot change once the proposal is submitted")
    round_entry.check_choice(case.session, round_id, theme_id, japan_today(case.clock), kept_round_id=row.round_id)
    return {"round_id": round_id, "theme_id": theme_id}


# --- conditions


def proposal_complete(case: Case) -> bool:
    return filled(case.proposal, REQUIRED_PROPOSAL_FIELDS)


def call_ready(case: Case) -> bool:
    closing = case.values.get("closing_on") or case.proposal.closing_on
    return filled(case.proposal, REQUIRED_CALL_FIELDS) and closing is not None and closing > japan_today(case.clock)


def revised_since_request(case: Case) -> bool:
    """The content changed since the case entered the state it is in (the request to revise)."""
    entered_at = case.session.execute(
        select(AuditEvent.revision)
        .where(AuditEvent.proposal_id == case.proposal_id, AuditEvent.to_state == case.proposal.state,
               AuditEvent.from_state != AuditEvent.to_state)
        .order_by(AuditEvent.seq.desc())
        .limit(1)
    ).scalar()
    return entered_at is None or case.proposal.revision > entered_at


def department_assigned(case: Case) -> bool:
    return case.proposal.department_id is not None


def check_department(case: Case, department_id: int) -> None:
    if case.department(department_id) is None:
        raise InvalidInput("department_id", f"所管課 {department_id} は登録されていません。",
                           f"no department {department_id}")


EFFECTS = {"create_case": create_case, "record_revision": record_revision}
CONDITIONS = {f.__name__: f for f in (proposal_complete, call_ready, revised_since_request, department_assigned)}
