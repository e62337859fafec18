"""What each trigger records besides the state: reviews, decisions, contracts, evaluations.

One function per trigger that writes something; each returns the proposal columns it
changes (the engine writes them with the state) and may leave facts for the deadlines.
Runs inside the engine's transaction, after the conditions passed.
"""

from __future__ import annotations

from typing import Any, Callable

from sqlalchemy import insert, select, update

from db.models import (
    CaseNote,
    Contract,
    ContractAmendment,
    ContractPartner,
    Decision,
    Department,
    Evaluation,
    EvaluationPeriod,
    Membership,
    OwnProject,
    Review,
    ReviewAssignment,
    UserRole,
)
from states.common import REVIEW_CRITERIA
from workflow.calendar import fiscal_year
from workflow.clock import japan_today
from workflow.conditions import open_period, period_key
from workflow.context import Case
from workflow.errors import InvalidInput
from workflow.numbering import format_number, next_serial

Effect = Callable[[Case], "dict[str, Any] | None"]
EFFECTS: dict[str, Effect] = {}


def effect(*triggers: str):
    def register(fn: Effect) -> Effect:
        for t in triggers:
            EFFECTS[t] = fn
        return fn

    return register


def _note(case: Case, kind: str, text: str) -> None:
    case.session.execute(
        insert(CaseNote).values(
            proposal_id=case.proposal_id, kind=kind, text=text, author_id=case.actor.user_id, created_at=case.now
        )
    )


NOTE_INPUTS = {
    "log_coordination": ("coordination", "note"),
    "request_revision": ("revision_request", "revision_request"),
    "resubmit": ("resubmission", "revision_note"),
    "refer_for_decision": ("department_opinion", "department_opinion"),
    "return_to_coordination": ("returned_by_approver", "note"),
    "report_progress": ("progress", "progress_report"),
    "withdraw": ("withdrawal", "withdrawal_reason"),
}


@effect(*NOTE_INPUTS)
def record_note(case: Case):
    kind, name = NOTE_INPUTS[case.transition.trigger]
    if name in case.values:
        _note(case, kind, case.values[name])
    if case.transition.trigger == "withdraw":
        return {"closed_at": case.now}
    return None


@effect("submit")
def record_submission(case: Case):
    return {"submitted_at": case.now}


@effect("start_review")
def assign_reviewers(case: Case):
    v, session = case.values, case.session
    if session.get(Department, v["department_id"]) is None:
        raise InvalidInput("department_id", f"所管課 {v['department_id']} は登録されていません。",
                           f"no department {v['department_id']}")
    reviewers = set(
        session.execute(
            select(UserRole.user_id).where(UserRole.user_id.in_(v["reviewer_ids"]), UserRole.role == "reviewer")
        ).scalars()
    )
    not_reviewers = sorted(set(v["reviewer_ids"]) - reviewers)
    if not_reviewers:
        raise InvalidInput("reviewer_ids", f"審査員として登録されていない利用者です：{not_reviewers}",
                           f"not reviewers: {not_reviewers}")
    conflicted = sorted(
        session.execute(
            select(Membership.user_id).where(
                Membership.user_id.in_(v["reviewer_ids"]),
                Membership.organisation_id == case.proposal.organisation_id,
            )
        ).scalars()
    )
    if conflicted:
        raise InvalidInput("reviewer_ids", f"提案団体の構成員は審査員になれません：{conflicted}",
                           f"members of the proposing group cannot review it: {conflicted}")
    session.execute(
        insert(ReviewAssignment),
        [dict(proposal_id=case.proposal_id, reviewer_id=r, assigned_at=case.now) for r in v["reviewer_ids"]],
    )
    return {"department_id": v["department_id"]}


@effect("submit_review")
def record_review(case: Case):
    case.session.execute(
        insert(Review).values(
            proposal_id=case.proposal_id,
            reviewer_id=case.actor.user_id,
            revision=case.proposal.revision,
            comment=case.values["review_comment"],
            submitted_at=case.now,
            **{c: case.values[c] for c in REVIEW_CRITERIA},
        )
    )


@effect("adopt", "reject")
def record_decision(case: Case):
    today = japan_today(case.clock)
    fy = fiscal_year(today)
    prefix = case.settings.document_prefix
    serial = next_serial(case.session, prefix, fy)
    number = format_number(prefix, serial)
    case.session.execute(
        insert(Decision).values(
            proposal_id=case.proposal_id,
            outcome="adopted" if case.transition.trigger == "adopt" else "not_adopted",
            reasons=case.values["reasons"],
            decided_by=case.actor.user_id,
            document_prefix=prefix,
            fiscal_year=fy,
            serial=serial,
            document_number=number,
            decided_at=case.now,
        )
    )
    case.facts["document_number"] = number
    updates = {"decided_at": case.now}
    if case.transition.trigger == "reject":
        updates["closed_at"] = case.now
    return updates


CONTRACT_TEXT = ("purpose", "process", "role_sharing", "cost_sharing", "responsibility_sharing")


@effect("conclude_contract", "exempt_contract")
def record_contract(case: Case):
    v = case.values
    exempt = case.transition.trigger == "exempt_contract"
    contract_id = case.session.execute(
        insert(Contract)
        .values(
            proposal_id=case.proposal_id,
            form=None if exempt else v["contract_form"],
            period_start=v["period_start"],
            period_end=v["period_end"],
            amount_yen=v.get("amount_yen"),
            exempt=exempt,
            exemption_reason=v.get("exemption_reason", ""),
            concluded_by=case.actor.user_id,
            concluded_at=case.now,
            **{k: v.get(k, "") for k in CONTRACT_TEXT},
        )
        .returning(Contract.id)
    ).scalar_one()
    partners = v.get("partner_ids") or [case.proposal.organisation_id]
    case.session.execute(
        insert(ContractPartner), [dict(contract_id=contract_id, organisation_id=o) for o in partners]
    )


@effect("amend_contract")
def record_amendment(case: Case):
    v, session = case.values, case.session
    contract = session.execute(select(Contract).where(Contract.proposal_id == case.proposal_id)).scalar_one()
    changes: dict[str, list] = {}
    new: dict[str, Any] = {}
    if "new_period_end" in v:
        changes["period_end"] = [contract.period_end.isoformat(), v["new_period_end"].isoformat()]
        new["period_end"] = v["new_period_end"]
    if "new_amount_yen" in v:
        changes["amount_yen"] = [contract.amount_yen, v["new_amount_yen"]]
        new["amount_yen"] = v["new_amount_yen"]
    if "new_terms" in v:
        changes["terms"] = [None, v["new_terms"]]
    session.execute(
        insert(ContractAmendment).values(
            contract_id=contract.id, seq=contract.amendments + 1, reason=v["amendment_reason"],
            changes=changes, amended_by=case.actor.user_id, amended_at=case.now,
        )
    )
    session.execute(
        update(Contract).where(Contract.id == contract.id).values(amendments=contract.amendments + 1, **new)
    )
    case.facts["period_end"] = new.get("period_end", contract.period_end)


@effect("notify_own_project_start")
def record_own_project_start(case: Case):
    case.facts["own_project_id"] = case.session.execute(
        insert(OwnProject)
        .values(
            proposal_id=case.proposal_id, title=case.values["own_project_title"],
            started_on=case.values["own_project_start"], notified_start_at=case.now,
        )
        .returning(OwnProject.id)
    ).scalar_one()


@effect("notify_own_project_end")
def record_own_project_end(case: Case):
    case.session.execute(
        update(OwnProject)
        .where(OwnProject.id == case.values["own_project_id"])
        .values(ended_on=case.values["own_project_end"], notified_end_at=case.now)
    )


def _start_period(case: Case, key: str, fy: int) -> None:
    case.session.execute(
        insert(EvaluationPeriod).values(proposal_id=case.proposal_id, period=key, fiscal_year=fy, opened_at=case.now)
    )


@effect("open_annual_evaluation")
def open_annual_evaluation(case: Case):
    _start_period(case, period_key(case), case.values["fiscal_year"])


@effect("complete", "cancel")
def finish_project(case: Case):
    trigger = case.transition.trigger
    text = case.values["completion_report" if trigger == "complete" else "cancel_reason"]
    _note(case, "completion" if trigger == "complete" else "cancellation", text)
    _start_period(case, "final", fiscal_year(japan_today(case.clock)))
    return {"cancelled": True} if trigger == "cancel" else None


def _period_id(case: Case) -> int:
    return open_period(case).id


@effect("submit_evaluation", "submit_final_evaluation")
def record_evaluation(case: Case):
    side = "partner" if case.role == "proposer" else "city"
    period_id = _period_id(case)
    fields = dict(
        results=case.values["evaluation_results"],
        role_sharing_assessment=case.values["role_sharing_assessment"],
        comments=case.values["evaluation_comments"],
        effect=case.values.get("collaboration_effect", ""),
        submitted_by=case.actor.user_id,
        submitted_at=case.now,
    )
    # A side may correct its evaluation until it is published.
    done = case.session.execute(
        update(Evaluation).where(Evaluation.period_id == period_id, Evaluation.side == side).values(**fields)
    ).rowcount
    if not done:
        case.session.execute(insert(Evaluation).values(period_id=period_id, side=side, **fields))


@effect("publish_evaluation", "publish_final_evaluation")
def publish(case: Case):
    case.session.execute(
        update(EvaluationPeriod).where(EvaluationPeriod.id == _period_id(case)).values(published_at=case.now)
    )
    if case.transition.trigger == "publish_final_evaluation":
        return {"closed_at": case.now}
    return None


def run(case: Case) -> dict[str, Any]:
    fn = EFFECTS.get(case.transition.trigger)
    return (fn(case) or {}) if fn else {}


from workflow import call_effects  # noqa: E402,F401  (Article 9 effects, registered with @effect)
