"""The Article 12 collaboration contract: concluded or waived as a minor case, then amended."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, func, insert, select, update

from db.models import Contract, ContractAmendment, ContractPartner, Organisation
from workflow.rules.content import MAX_YEN

if TYPE_CHECKING:
    from workflow.engine.context import Case

CONTRACT_TEXT = ("purpose", "process", "role_sharing", "cost_sharing", "responsibility_sharing")
# The contract's terms a notice states, as the effect wrote them (in ``case.memo``).
CONCLUDED = "contract_concluded"

_CONTRACT = Contract.__table__
_ORG = Organisation.__table__
# Built once.
_CONCLUDE = insert(_CONTRACT).returning(_CONTRACT.c.id)
_ADD_PARTNERS = insert(ContractPartner.__table__)
_ORGANISATIONS_FOUND = select(func.count()).select_from(_ORG).where(_ORG.c.id.in_(bindparam("ids", expanding=True)))
_CONTRACT_START = select(_CONTRACT.c.period_start).where(_CONTRACT.c.proposal_id == bindparam("pid"))
_CONTRACT_END = select(_CONTRACT.c.period_end).where(_CONTRACT.c.proposal_id == bindparam("pid"))


def record_contract(case: Case):
    v = case.values
    exempt = case.transition.outcome == "exempt"
    terms = dict(form=None if exempt else v["contract_form"], period_start=v["period_start"],
                 period_end=v["period_end"], amount_yen=v.get("amount_yen"), exempt=exempt)
    contract_id = case.db.execute(_CONCLUDE, dict(
        proposal_id=case.proposal_id, exemption_reason=v.get("exemption_reason", ""),
        concluded_by=case.actor.user_id, concluded_at=case.now, **terms, **{k: v.get(k, "") for k in CONTRACT_TEXT},
    )).scalar_one()
    partners = v.get("partner_ids") or [case.proposal.organisation_id]
    case.db.execute(_ADD_PARTNERS, [dict(contract_id=contract_id, organisation_id=o) for o in partners])
    case.memo[CONCLUDED] = terms


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
    session.execute(insert(ContractAmendment).values(
        contract_id=contract.id, seq=contract.amendments + 1, reason=v["amendment_reason"], changes=changes,
        amended_by=case.actor.user_id, amended_at=case.now))
    session.execute(update(Contract).where(Contract.id == contract.id).values(amendments=contract.amendments + 1, **new))
    case.facts["period_end"] = new.get("period_end", contract.period_end)


def contract_terms_valid(case: Case) -> bool:
    v = case.values
    if v["period_end"] < v["period_start"]:
        return False
    if not 0 <= v.get("amount_yen", 0) <= MAX_YEN:
        return False
    partners = v.get("partner_ids")
    if partners:
        found = case.db.execute(_ORGANISATIONS_FOUND, {"ids": list(partners)}).scalar_one()
        return found == len(partners)
    return True


def amendment_changes_something(case: Case) -> bool:
    v = case.values
    if not any(k in v for k in ("new_period_end", "new_amount_yen", "new_terms")):
        return False
    if "new_period_end" in v:
        start = case.db.execute(_CONTRACT_START, {"pid": case.proposal_id}).scalar()
        return start is not None and v["new_period_end"] >= start
    return True


def contract_end(case: Case):
    return case.db.execute(_CONTRACT_END, {"pid": case.proposal_id}).scalar()


EFFECTS = {"record_contract": record_contract, "record_amendment": record_amendment}
CONDITIONS = {f.__name__: f for f in (contract_terms_valid, amendment_changes_something)}
