"""Creating a proposal and saving its revisions; every revision is kept and stays readable.

A group edits its proposal while it is a draft or while a revision is requested. Each
save writes a new revision row, updates the current copy on the proposal, bumps the
version (so concurrent editors see a conflict) and appends an audit event.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select
from sqlmodel import Session

from db.models import Organisation, Proposal, ProposalRevision
from db.models.proposals import CONTENT_FIELDS
from db.session import begin_write
from states import get_lifecycle
from states.common import CONTRACT_FORMS
from states.vocabulary import CONFIDENTIALISABLE_FIELDS, FIELDS
from workflow.actors import Actor
from workflow.clock import Clock, SystemClock
from workflow.engine import load_case_row, write_change
from workflow.errors import Conflict, InvalidInput, InvalidState, NotAllowed, NotFound

EDITABLE_STATES = ("draft", "revision_requested")


def clean_content(data: dict[str, Any]) -> dict[str, Any]:
    """Check the group's fields; unknown names and wrong values are refused, nothing is lost."""
    unknown = sorted(set(data) - set(CONTENT_FIELDS))
    if unknown:
        raise InvalidInput(unknown[0], f"提案書にない項目です：{'、'.join(unknown)}", f"unknown fields: {unknown}")
    out = dict(data)
    if out.get("title") is not None and len(str(out["title"])) > 200:
        raise InvalidInput("title", "事業名は200文字以内で入力してください。", "title: at most 200 characters")
    if out.get("field") not in (None, ""):
        try:
            out["field"] = int(out["field"])
        except (TypeError, ValueError):
            out["field"] = -1
        if out["field"] not in FIELDS:
            raise InvalidInput("field", "分野は1〜12の番号で選んでください。", "field must be 1 to 12")
    if out.get("estimated_cost_yen") not in (None, ""):
        try:
            out["estimated_cost_yen"] = int(out["estimated_cost_yen"])
        except (TypeError, ValueError):
            out["estimated_cost_yen"] = -1
        if out["estimated_cost_yen"] < 0:
            raise InvalidInput("estimated_cost_yen", "概算事業費は0以上の整数（円）で入力してください。",
                               "estimated cost must be a whole number of yen, not negative")
    if out.get("desired_contract_form") not in (None, "") and out["desired_contract_form"] not in CONTRACT_FORMS:
        raise InvalidInput("desired_contract_form", "希望する契約形態が正しくありません。",
                           f"contract form must be one of {CONTRACT_FORMS}")
    bad = set(out.get("confidential_fields") or []) - set(CONFIDENTIALISABLE_FIELDS)
    if bad:
        raise InvalidInput("confidential_fields", "非公開にできない項目が含まれています。",
                           f"these fields cannot be confidential: {sorted(bad)}")
    return out


def create(
    session: Session, actor: Actor, organisation_id: int, content: dict[str, Any], *,
    clock: Clock | None = None, lifecycle: str = "citizen_proposal",
) -> int:
    """A new draft proposal of ``organisation_id``, written by one of its members."""
    clock = clock or SystemClock()
    if "proposer" not in actor.roles or organisation_id not in actor.organisation_ids:
        raise NotAllowed("提案は所属する団体の名前でのみ作成できます。",
                         "you can only create proposals for an organisation you belong to")
    content = clean_content(content)
    now = clock.now()
    try:
        begin_write(session)
        if session.get(Organisation, organisation_id) is None:
            raise NotFound(f"団体 {organisation_id} は登録されていません。", f"no organisation {organisation_id}")
        fields = {k: content.get(k) for k in CONTENT_FIELDS if content.get(k) is not None}
        pid = session.execute(
            insert(Proposal).values(
                lifecycle=lifecycle, state=get_lifecycle(lifecycle).initial, version=0,
                organisation_id=organisation_id, revision=1, created_by=actor.user_id,
                created_at=now, updated_at=now, **fields,
            ).returning(Proposal.id)
        ).scalar_one()
        session.execute(insert(ProposalRevision).values(
            proposal_id=pid, number=1, created_by=actor.user_id, created_at=now, **fields))
        row = load_case_row(session, pid)
        write_change(session, row, trigger="create", to_state=row.state, actor=actor, role="proposer",
                     audit_inputs={"revision": 1}, now=now)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return pid


def save_revision(
    session: Session, actor: Actor, proposal_id: int, changes: dict[str, Any], *,
    note: str = "", expected_version: int | None = None, clock: Clock | None = None,
) -> int:
    """Save the group's edits as a new revision; returns the revision number."""
    clock = clock or SystemClock()
    changes = clean_content(changes)
    try:
        begin_write(session)
        row = load_case_row(session, proposal_id)
        if expected_version is not None and row.version != expected_version:
            raise Conflict(proposal_id, row.version)
        if row.organisation_id not in actor.organisation_ids or "proposer" not in actor.roles:
            raise NotAllowed("この提案を編集できるのは提案団体の方だけです。",
                             "only the proposing group can edit this proposal")
        if row.state not in EDITABLE_STATES:
            raise InvalidState("提案書を編集できるのは下書きと修正依頼中のときだけです。",
                               "a proposal can be edited only as a draft or when a revision is requested", [])
        merged = {k: getattr(row, k) for k in CONTENT_FIELDS}
        merged.update(changes)
        number = row.revision + 1
        now = clock.now()
        session.execute(insert(ProposalRevision).values(
            proposal_id=proposal_id, number=number, note=note, created_by=actor.user_id, created_at=now,
            **{k: merged[k] for k in CONTENT_FIELDS if merged[k] is not None}))
        write_change(session, row, trigger="save_revision", to_state=row.state, actor=actor, role="proposer",
                     audit_inputs={"revision": number, "fields": sorted(changes)}, now=now,
                     updates={**changes, "revision": number})
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return number


def revisions(session: Session, proposal_id: int) -> list[ProposalRevision]:
    return list(session.execute(
        select(ProposalRevision).where(ProposalRevision.proposal_id == proposal_id).order_by(ProposalRevision.number)
    ).scalars())


