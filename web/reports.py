"""The published project report (公表) in its five parts, for the public pages and open data.

1 協働契約の相手方 (partners) · 2 事業費 (cost and its kind) · 3 事業内容 (content) ·
4 事業実績 (results) · 5 協働で事業を行った効果 (the effect of collaborating).

Only cases in a state with a public label (``State.public_label_ja`` in ``states/``) are
reported; results and effects come only from published evaluations (Article 15(2)).
Fields the group marked confidential (Article 13) are left out here, so no page or
export built on this module can show them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlmodel import Session

from db.models import (
    Contract,
    ContractPartner,
    Decision,
    Department,
    Evaluation,
    EvaluationPeriod,
    Organisation,
    Proposal,
)
from states import get_lifecycle
from states.common import CONTRACT_FORM_LABELS
from states.vocabulary import FIELDS, ORGANISATION_KINDS

LC = get_lifecycle("citizen_proposal")
PUBLIC_STATES = tuple(s.name for s in LC.states if s.is_public)
SIDES = {"partner": ("相手方", "Partner"), "city": ("市", "City")}


@dataclass(frozen=True)
class Partner:
    name: str
    kind: str
    kind_ja: str
    kind_en: str


@dataclass(frozen=True)
class Statement:
    period: str  # "final" or "FY2026"
    fiscal_year: int
    side: str
    text: str
    published_on: date


@dataclass
class Report:
    id: int
    title: str
    field: int | None
    state: str
    department_ja: str | None
    department_en: str | None
    adopted_on: date | None
    purpose: str
    partners: list[Partner] = field(default_factory=list)
    cost_yen: int | None = None
    cost_kind: str | None = None  # entrustment, subsidy, contribution, exempt, estimate
    period_start: date | None = None
    period_end: date | None = None
    content: str | None = None
    content_confidential: bool = False
    results: list[Statement] = field(default_factory=list)
    effects: list[Statement] = field(default_factory=list)

    def to_json(self) -> dict:
        data = asdict(self)
        state = LC.state(self.state)
        data["state_label_ja"] = state.public_label_ja
        data["state_label_en"] = state.public_label_en
        data["field_label_ja"], data["field_label_en"] = FIELDS.get(self.field or 0, (None, None))
        if self.cost_kind in CONTRACT_FORM_LABELS:
            data["cost_kind_label_ja"], data["cost_kind_label_en"] = CONTRACT_FORM_LABELS[self.cost_kind]
        return _iso(data)


def _iso(value):
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _iso(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_iso(v) for v in value]
    return value


def public_ids(db: Session, *, after: int | None = None, limit: int | None = None) -> list[int]:
    q = select(Proposal.id).where(Proposal.state.in_(PUBLIC_STATES)).order_by(Proposal.id.desc())
    if after:
        q = q.where(Proposal.id < after)
    if limit:
        q = q.limit(limit)
    return list(db.execute(q).scalars())


def reports(db: Session, ids: list[int]) -> list[Report]:
    """Reports for ``ids`` (only those public), in the order given; a few queries in all."""
    if not ids:
        return []
    rows = db.execute(
        select(Proposal, Department.name_ja, Department.name_en)
        .outerjoin(Department, Department.id == Proposal.department_id)
        .where(Proposal.id.in_(ids), Proposal.state.in_(PUBLIC_STATES))
    ).all()
    out: dict[int, Report] = {}
    for p, dept_ja, dept_en in rows:
        secret = set(p.confidential_fields or [])
        out[p.id] = Report(
            id=p.id, title=p.title, field=p.field, state=p.state, department_ja=dept_ja, department_en=dept_en,
            adopted_on=None, purpose=p.purpose,
            content=None if "content" in secret else p.content, content_confidential="content" in secret,
            cost_yen=None if "estimated_cost_yen" in secret else p.estimated_cost_yen,
            cost_kind=None if "estimated_cost_yen" in secret or p.estimated_cost_yen is None else "estimate",
        )
    found = list(out)
    for d in db.execute(select(Decision).where(Decision.proposal_id.in_(found))).scalars():
        out[d.proposal_id].adopted_on = d.decided_at.date() if d.outcome == "adopted" else None
    contracts = {c.id: c for c in db.execute(select(Contract).where(Contract.proposal_id.in_(found))).scalars()}
    for c in contracts.values():
        r = out[c.proposal_id]
        r.cost_yen, r.cost_kind = c.amount_yen, ("exempt" if c.exempt else c.form)
        r.period_start, r.period_end = c.period_start, c.period_end
    if contracts:
        partner_rows = db.execute(
            select(ContractPartner.contract_id, Organisation.name, Organisation.kind)
            .join(Organisation, Organisation.id == ContractPartner.organisation_id)
            .where(ContractPartner.contract_id.in_(list(contracts))).order_by(Organisation.id)
        ).all()
        for contract_id, name, kind in partner_rows:
            ja, en = ORGANISATION_KINDS.get(kind, (kind, kind))
            out[contracts[contract_id].proposal_id].partners.append(Partner(name, kind, ja, en))
    without_contract = [pid for pid in found if not out[pid].partners]
    if without_contract:
        for pid, name, kind in db.execute(
            select(Proposal.id, Organisation.name, Organisation.kind)
            .join(Organisation, Organisation.id == Proposal.organisation_id).where(Proposal.id.in_(without_contract))
        ):
            ja, en = ORGANISATION_KINDS.get(kind, (kind, kind))
            out[pid].partners.append(Partner(name, kind, ja, en))
    published = db.execute(
        select(EvaluationPeriod, Evaluation)
        .join(Evaluation, Evaluation.period_id == EvaluationPeriod.id)
        .where(EvaluationPeriod.proposal_id.in_(found), EvaluationPeriod.published_at.is_not(None))
        .order_by(EvaluationPeriod.fiscal_year, EvaluationPeriod.id, Evaluation.side.desc())
    ).all()
    for period, ev in published:
        r = out[period.proposal_id]
        on = period.published_at.date()
        r.results.append(Statement(period.period, period.fiscal_year, ev.side, ev.results, on))
        # Part 5 is the side's own account of the effect of collaborating; evaluations
        # written without one fall back to the assessment of the role sharing.
        effect = ev.effect.strip() or "\n".join(
            x for x in (ev.role_sharing_assessment, ev.comments) if x and x.strip())
        if effect:
            r.effects.append(Statement(period.period, period.fiscal_year, ev.side, effect, on))
    db.rollback()
    return [out[pid] for pid in ids if pid in out]


CSV_COLUMNS = (
    ("id", "事業ID", "id"),
    ("title", "事業名", "title"),
    ("field", "分野", "field"),
    ("state", "状況", "status"),
    ("department", "所管課", "department"),
    ("partners", "1 協働契約の相手方", "1 partners"),
    ("cost_yen", "2 事業費（円）", "2 cost (yen)"),
    ("cost_kind", "2 事業費の種別", "2 kind of cost"),
    ("content", "3 事業内容", "3 content"),
    ("results", "4 事業実績", "4 results"),
    ("effects", "5 協働で事業を行った効果", "5 effect of collaborating"),
    ("period_start", "契約期間（開始）", "period start"),
    ("period_end", "契約期間（終了）", "period end"),
    ("adopted_on", "採用決定日", "adopted on"),
)

COST_KINDS = {**CONTRACT_FORM_LABELS, "exempt": ("契約省略（軽易なもの）", "Contract waived (minor case)"),
              "estimate": ("概算（契約前）", "Estimate (before the contract)")}


def cell(value: str) -> str:
    """A text cell a spreadsheet will not run: a leading = + - @ (or tab, CR) becomes text."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def csv_row(r: Report, lang: str) -> list[str]:
    pick = (lambda pair: pair[1]) if lang == "en" else (lambda pair: pair[0])
    state = LC.state(r.state)

    def statements(items: list[Statement]) -> str:
        return "\n".join(f"[{s.period} {pick(SIDES[s.side])}] {s.text}" for s in items)

    return [cell(v) for v in [
        str(r.id), r.title, pick(FIELDS[r.field]) if r.field in FIELDS else "",
        (state.public_label_en if lang == "en" else state.public_label_ja) or "",
        (r.department_en if lang == "en" and r.department_en else r.department_ja) or "",
        "; ".join(p.name for p in r.partners), "" if r.cost_yen is None else str(r.cost_yen),
        pick(COST_KINDS[r.cost_kind]) if r.cost_kind in COST_KINDS else "",
        "" if r.content is None else r.content, statements(r.results), statements(r.effects),
        r.period_start.isoformat() if r.period_start else "", r.period_end.isoformat() if r.period_end else "",
        r.adopted_on.isoformat() if r.adopted_on else "",
    ]]
