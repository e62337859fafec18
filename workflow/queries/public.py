"""What the public may read of the cases: calls for partners and project reports (公表).

A case is public while its state has a public label in its own lifecycle
(``State.public_label_ja`` in ``states/``); what is shown follows the state's
``public_view``:

- ``"call"``: the call for partners itself (Art. 9(1)): title, purpose, content, field,
  selection criteria, closing date and, once made, the selected partner. Never the
  scores, the reviewers, or who applied before a partner is selected.
- ``"project"``: the published project report in its five parts —
  1 協働契約の相手方 (partners) · 2 事業費 (cost and its kind) · 3 事業内容 (content) ·
  4 事業実績 (results) · 5 協働で事業を行った効果 (the effect of collaborating);
  results and effects come only from published evaluations (Article 15(2)).

The functions here read in the caller's transaction and leave it open; the page ends it
(``web.pages.end_reads``). None returns a database row or object, only the dataclasses
below, so nothing shown can load more.

Fields marked confidential (Article 13) are left out here, so no page or export built on
this module can show them. Text cells of the CSV exports are neutralised so that a
spreadsheet never runs what someone wrote as a formula.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime

from sqlalchemy import and_, exists, false, or_, select
from sqlmodel import Session

from db.models import (
    CallApplication,
    Contract,
    ContractPartner,
    Decision,
    Department,
    Evaluation,
    EvaluationPeriod,
    Organisation,
    Proposal,
    ProposalRound,
)
from states import LIFECYCLES, State, all_versions, describe_state
from states.common import CONTRACT_FORM_LABELS
from states.vocabulary import FIELDS, ORGANISATION_KINDS
from workflow.calendar.clock import SystemClock, japan_today

PROJECT, CALL = "project", "call"  # the public views a state may show (``State.public_view``)
SIDES = {"partner": ("相手方", "Partner"), "city": ("市", "City")}


def _today(today: date | None) -> date:
    # The routes pass the app's clock; a caller without one reads real time (never a later day).
    return today if today is not None else japan_today(SystemClock())


def _public_where(view: str | None = None, today: date | None = None):
    """Cases in a public state of their own lifecycle (showing ``view``, if given).

    A round's cases are published together on its ``publication_on`` (Japan date): until
    that day none of them is public, whatever its state.
    """
    parts = []
    for lc in all_versions():
        names = [s.name for s in lc.states if s.is_public and view in (None, s.public_view)]
        if names:
            parts.append(and_(Proposal.lifecycle == lc.name, Proposal.lifecycle_version == lc.version,
                              Proposal.state.in_(names)))
    unpublished_round = exists().where(ProposalRound.id == Proposal.round_id,
                                       ProposalRound.publication_on > _today(today))
    # Said as "no round, or a published one": PostgreSQL then expects most cases to pass
    # and walks the newest first, where a bare NOT EXISTS made it expect one row, read
    # every public case and sort them (120 ms at 100,000 cases).
    published = or_(Proposal.round_id.is_(None), ~unpublished_round)
    return and_(or_(*parts), published) if parts else false()


@dataclass(frozen=True)
class PublicCase:
    id: int
    lifecycle: str
    state: str

    @property
    def view(self) -> str:
        return describe_state(self.lifecycle, self.state).public_view


def public_cases(db: Session, *, view: str | None = None, after: int | None = None,
                 limit: int | None = None, today: date | None = None) -> list[PublicCase]:
    """The public cases, newest first, cut after the id ``after`` (``today``: the app's Japan date)."""
    q = (select(Proposal.id, Proposal.lifecycle, Proposal.state).where(_public_where(view, today))
         .order_by(Proposal.id.desc()))
    if after:
        q = q.where(Proposal.id < after)
    if limit:
        q = q.limit(limit)
    return [PublicCase(*row) for row in db.execute(q)]


def public_ids(db: Session, *, view: str = PROJECT, after: int | None = None, limit: int | None = None,
               today: date | None = None) -> list[int]:
    return [c.id for c in public_cases(db, view=view, after=after, limit=limit, today=today)]


@dataclass(frozen=True)
class Partner:
    name: str
    kind: str
    kind_ja: str
    kind_en: str


def _partner(name: str, kind: str) -> Partner:
    ja, en = ORGANISATION_KINDS.get(kind, (kind, kind))
    return Partner(name, kind, ja, en)


def _labels(data: dict, state: State, field_number: int | None) -> dict:
    data["state_label_ja"] = state.public_label_ja
    data["state_label_en"] = state.public_label_en
    data["field_label_ja"], data["field_label_en"] = FIELDS.get(field_number or 0, (None, None))
    return data


def _iso(value):
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _iso(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_iso(v) for v in value]
    return value


# --- the project report (five parts)


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
    lifecycle: str
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
    view: str = PROJECT

    def to_json(self) -> dict:
        data = _labels(asdict(self), describe_state(self.lifecycle, self.state), self.field)
        if self.cost_kind in CONTRACT_FORM_LABELS:
            data["cost_kind_label_ja"], data["cost_kind_label_en"] = CONTRACT_FORM_LABELS[self.cost_kind]
        return _iso(data)


def _public_rows(db: Session, ids: list[int], view: str, today: date | None = None) -> list:
    """The cases of ``ids`` that are public in ``view``, with their department's names."""
    return db.execute(
        select(Proposal, Department.name_ja, Department.name_en)
        .outerjoin(Department, Department.id == Proposal.department_id)
        .where(Proposal.id.in_(ids), _public_where(view, today))
    ).all()


def reports(db: Session, ids: list[int], today: date | None = None) -> list[Report]:
    """Reports for ``ids`` (only those public as projects), in the order given; a few queries in all."""
    if not ids:
        return []
    rows = _public_rows(db, ids, PROJECT, today)
    out: dict[int, Report] = {}
    for p, dept_ja, dept_en in rows:
        secret = set(p.confidential_fields or [])
        out[p.id] = Report(
            id=p.id, title=p.title, field=p.field, lifecycle=p.lifecycle, state=p.state, department_ja=dept_ja,
            department_en=dept_en, adopted_on=None, purpose=p.purpose,
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
            out[contracts[contract_id].proposal_id].partners.append(_partner(name, kind))
    without_contract = [pid for pid in found if not out[pid].partners]
    if without_contract:
        for pid, name, kind in db.execute(
            select(Proposal.id, Organisation.name, Organisation.kind)
            .join(Organisation, Organisation.id == Proposal.organisation_id).where(Proposal.id.in_(without_contract))
        ):
            out[pid].partners.append(_partner(name, kind))
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
    return [out[pid] for pid in ids if pid in out]


# --- the call for partners (Art. 9(1))


@dataclass
class CallPage:
    id: int
    title: str
    field: int | None
    lifecycle: str
    state: str
    department_ja: str | None
    department_en: str | None
    purpose: str
    content: str | None
    content_confidential: bool
    selection_criteria: str
    closing_on: date | None
    # Named only once the approver has selected it: who merely applied is never public.
    selected_partner: Partner | None = None
    view: str = CALL

    def to_json(self) -> dict:
        return _iso(_labels(asdict(self), describe_state(self.lifecycle, self.state), self.field))


def calls(db: Session, ids: list[int], today: date | None = None) -> list[CallPage]:
    """Public call pages for ``ids`` (only those public as calls), in the order given."""
    if not ids:
        return []
    rows = _public_rows(db, ids, CALL, today)
    out: dict[int, CallPage] = {}
    for p, dept_ja, dept_en in rows:
        secret = set(p.confidential_fields or [])
        out[p.id] = CallPage(
            id=p.id, title=p.title, field=p.field, lifecycle=p.lifecycle, state=p.state, department_ja=dept_ja,
            department_en=dept_en, purpose=p.purpose, content=None if "content" in secret else p.content,
            content_confidential="content" in secret, selection_criteria=p.selection_criteria,
            closing_on=p.closing_on)
    if out:
        for pid, name, kind in db.execute(
            select(CallApplication.proposal_id, Organisation.name, Organisation.kind)
            .join(Organisation, Organisation.id == CallApplication.organisation_id)
            .where(CallApplication.proposal_id.in_(list(out)), CallApplication.selected.is_(True))
        ):
            out[pid].selected_partner = _partner(name, kind)
    return [out[pid] for pid in ids if pid in out]


def pages(db: Session, cases: list[PublicCase], today: date | None = None) -> list[Report | CallPage]:
    """What the public sees of each case, in the order given, each in the view of its state."""
    found = {r.id: r for r in reports(db, [c.id for c in cases if c.view == PROJECT], today)}
    found.update({c.id: c for c in calls(db, [c.id for c in cases if c.view == CALL], today)})
    return [found[c.id] for c in cases if c.id in found]


def page(db: Session, pid: int, today: date | None = None) -> Report | CallPage | None:
    found = pages(db, [PublicCase(*row) for row in db.execute(
        select(Proposal.id, Proposal.lifecycle, Proposal.state).where(Proposal.id == pid,
                                                                       _public_where(None, today)))], today)
    return found[0] if found else None


# --- open data (CSV)


def cell(value: str) -> str:
    """A text cell a spreadsheet will not run: a leading = + - @ (or tab, CR) becomes text."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _pick(lang: str):
    return (lambda pair: pair[1]) if lang == "en" else (lambda pair: pair[0])


def _state_label(lifecycle: str, state: str, lang: str) -> str:
    st = describe_state(lifecycle, state)
    return (st.public_label_en if lang == "en" else st.public_label_ja) or ""


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


def csv_row(r: Report, lang: str) -> list[str]:
    pick = _pick(lang)

    def statements(items: list[Statement]) -> str:
        return "\n".join(f"[{s.period} {pick(SIDES[s.side])}] {s.text}" for s in items)

    return [cell(v) for v in [
        str(r.id), r.title, pick(FIELDS[r.field]) if r.field in FIELDS else "",
        _state_label(r.lifecycle, r.state, lang),
        (r.department_en if lang == "en" and r.department_en else r.department_ja) or "",
        "; ".join(p.name for p in r.partners), "" if r.cost_yen is None else str(r.cost_yen),
        pick(COST_KINDS[r.cost_kind]) if r.cost_kind in COST_KINDS else "",
        "" if r.content is None else r.content, statements(r.results), statements(r.effects),
        r.period_start.isoformat() if r.period_start else "", r.period_end.isoformat() if r.period_end else "",
        r.adopted_on.isoformat() if r.adopted_on else "",
    ]]


CALL_CSV_COLUMNS = (
    ("id", "公募ID", "id"),
    ("title", "事業名", "title"),
    ("field", "分野", "field"),
    ("state", "状況", "status"),
    ("department", "所管課", "department"),
    ("purpose", "事業の目的", "purpose"),
    ("content", "事業内容", "content"),
    ("selection_criteria", "選定基準", "selection criteria"),
    ("closing_on", "応募締切日", "closing date"),
    ("selected_partner", "選定された相手方", "selected partner"),
)


def call_csv_row(c: CallPage, lang: str) -> list[str]:
    pick = _pick(lang)
    return [cell(v) for v in [
        str(c.id), c.title, pick(FIELDS[c.field]) if c.field in FIELDS else "",
        _state_label(c.lifecycle, c.state, lang),
        (c.department_en if lang == "en" and c.department_en else c.department_ja) or "",
        c.purpose, "" if c.content is None else c.content, c.selection_criteria,
        c.closing_on.isoformat() if c.closing_on else "", c.selected_partner.name if c.selected_partner else "",
    ]]
