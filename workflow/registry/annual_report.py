"""The Article 20 annual report on the state of collaboration, computed from the registry.

``build_report(session, fiscal_year)`` returns a plain dict, ready for JSON, that every
format (json, csv, xlsx, html; ``cli/report_formats``) renders without computing
anything. Its keys:

``report``                 always ``"article20"``.
``fiscal_year``            the fiscal year, e.g. ``2020`` (April 2020 – March 2021).
``fiscal_year_label_ja``   ``"令和2年度"``; ``fiscal_year_label_en``: ``"FY2020 (April 2020 – March 2021)"``.
``generated_at``           when the report was computed (ISO 8601, Japan time).
``sources``                ``imported``: rows imported from the departments' CSV;
                           ``engine``: rows derived from cases that passed through Kyodo;
                           ``engine_superseded``: ids of derived rows an imported row replaced.
``projects``               every collaboration project of the year: ``total``, ``ward``
                           (owned by ward offices), ``bureau`` (owned by bureaus).
``fields``                 twelve rows, one per field in the report's order: ``number``,
                           ``name_ja``, ``name_en``, ``ward``, ``bureau``, ``total``.
``fields_total``           the field table's bottom line: ``ward``, ``bureau``, ``total``.
``contracted``             projects with an Article 12 contract: ``projects``, ``contracts``,
                           ``amount_yen`` (known amounts summed), ``amount_unknown`` (contracted
                           projects without an amount), and ``by_origin`` with ``city``
                           (city-initiated, Art. 9) and ``citizen`` (citizen-proposed,
                           Art. 10), each ``article``, ``label_ja``, ``label_en``,
                           ``projects``, ``contracts``, ``amount_yen``.
``contracted_projects``    one entry per contracted project (its page in the report):
                           ``id``, ``name``, ``owner_kind``, ``owner``, ``section``, ``field``,
                           ``field_name_ja``, ``origin``, ``article``, ``partner`` (1 協働契約の相手方),
                           ``contract_count``, ``contract_amount_yen`` and ``cost_kind_ja``/
                           ``cost_kind_en`` (2 事業費 and its kind), ``content`` (3 事業内容),
                           ``results`` (4 事業実績), ``effect`` (5 協働で事業を行った効果),
                           ``source`` (import or engine) and ``proposal_id``.
``checks``                 the report's own arithmetic: each ``key``, ``label_ja``, ``label_en``,
                           ``total`` (the figure printed as a total), ``parts`` (the figures it
                           should be the sum of), ``sum`` and ``ok``.
``checks_ok``              true when every total equals the sum of its parts.
``checks_summary_ja`` / ``checks_summary_en``: the sentence the report prints about it.
``cases_by_version``       while an amendment made a lifecycle run under several versions in the
                           year: one entry per ``lifecycle`` and ``version`` with ``label_ja``,
                           ``label_en``, ``amendment_ja``, ``amendment_en`` and ``cases``; else empty.
``trends``                 the years so far, oldest first: one entry per fiscal year the registry
                           holds (imported rows or projects derived from the engine) up to and
                           including the report's own, each ``fiscal_year``, ``era_year``
                           (``"令和2年度"``), ``english_fiscal_year`` (``"FY2020 (April 2020 –
                           March 2021)"``), ``projects`` (all projects), ``contracted_projects``,
                           ``contracts`` and ``amount_yen``, counted as the report of that year
                           counts them. The report's own year is always there, with its figures.
``rounds``                 the proposal rounds (募集) held in the report's fiscal year and the
                           years before it, oldest first (empty when there are none): each
                           ``code``, ``fiscal_year``, ``era_year`` (the year the round was held in,
                           ``"令和2年度"``), ``title_ja``, ``title_en``, ``applied`` (proposals of the
                           round that were submitted), ``adopted`` and ``rejected`` (decided
                           either way) and ``undecided`` (submitted, not decided yet: withdrawn,
                           still in screening, or waiting for the decision).

Totals and their parts are counted separately from the rows (a total is never computed
as the sum it is then checked against), so a check fails if a row escapes a category.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import case, func, or_, select
from sqlmodel import Session

from db.models import AuditEvent, Contract, Decision, Proposal, ProposalRound, RegistryProject
from states import get_lifecycle
from states.migration_plan import MIGRATION_TRIGGER

from states.vocabulary import FIELDS
from workflow.calendar.japan import english_fiscal_year, era_year, fiscal_year_end, fiscal_year_start
from workflow.calendar.japan import fiscal_year as fiscal_year_of
from workflow.calendar.clock import JST, Clock, SystemClock, to_japan
from workflow.registry.projects import ENGINE_ORIGIN, ORIGINS, RegistryRow, cost_kind_label, year_registry
from workflow.round_results import ADOPTED

ARTICLES = {"city": "第9条", "citizen": "第10条"}


def _check(key: str, label_ja: str, label_en: str, total: int, parts: list[int]) -> dict[str, Any]:
    return {"key": key, "label_ja": label_ja, "label_en": label_en, "total": total, "parts": parts,
            "sum": sum(parts), "ok": total == sum(parts)}


def _page(row: RegistryRow) -> dict[str, Any]:
    kind_ja, kind_en = cost_kind_label(row.cost_kind)
    return {
        "id": row.id, "name": row.name, "owner_kind": row.owner_kind, "owner": row.owner, "section": row.section,
        "field": row.field, "field_name_ja": FIELDS[row.field][0], "origin": row.origin,
        "article": ARTICLES.get(row.origin or "", ""), "partner": row.partner,
        "contract_count": row.contract_count, "contract_amount_yen": row.contract_amount_yen,
        "cost_kind_ja": kind_ja, "cost_kind_en": kind_en, "content": row.content, "results": row.results,
        "effect": row.effect, "source": row.source, "proposal_id": row.proposal_id,
    }


def _trend(fy: int, projects: int, contracted: dict[str, Any]) -> dict[str, Any]:
    return {"fiscal_year": fy, "era_year": era_year(fy), "english_fiscal_year": english_fiscal_year(fy),
            "projects": projects, "contracted_projects": contracted["projects"],
            "contracts": contracted["contracts"], "amount_yen": contracted["amount_yen"]}


def compute(rows: list[RegistryRow], fiscal_year: int, *, generated_at: datetime,
            sources: dict[str, Any] | None = None) -> dict[str, Any]:
    """The report of ``rows`` (one per project); ``build_report`` reads them from the database."""
    total = len(rows)
    ward = sum(1 for r in rows if r.owner_kind == "ward")
    bureau = sum(1 for r in rows if r.owner_kind == "bureau")

    fields = []
    for number, (ja, en) in FIELDS.items():
        fields.append({
            "number": number, "name_ja": ja, "name_en": en,
            "ward": sum(1 for r in rows if r.field == number and r.owner_kind == "ward"),
            "bureau": sum(1 for r in rows if r.field == number and r.owner_kind == "bureau"),
            "total": sum(1 for r in rows if r.field == number),
        })
    fields_total = {k: sum(f[k] for f in fields) for k in ("ward", "bureau", "total")}

    contracted_rows = [r for r in rows if r.contract]
    by_origin = {}
    for origin, (label_ja, label_en) in ORIGINS.items():
        mine = [r for r in contracted_rows if r.origin == origin]
        by_origin[origin] = {
            "article": ARTICLES[origin], "label_ja": label_ja, "label_en": label_en, "projects": len(mine),
            "contracts": sum(r.contract_count for r in mine),
            "amount_yen": sum(r.contract_amount_yen or 0 for r in mine),
        }
    contracted = {
        "projects": len(contracted_rows),
        "contracts": sum(r.contract_count for r in contracted_rows),
        "amount_yen": sum(r.contract_amount_yen or 0 for r in contracted_rows),
        "amount_unknown": sum(1 for r in contracted_rows if r.contract_amount_yen is None),
        "by_origin": by_origin,
    }
    pages = [_page(r) for r in sorted(contracted_rows, key=lambda r: (r.origin or "", r.owner_kind, r.id))]

    checks = [
        _check("projects", "事業数の合計＝区役所＋局", "projects: total = ward + bureau", total, [ward, bureau]),
        *(
            _check(f"field_{f['number']}", f"分野{f['number']}「{f['name_ja']}」の計＝区役所＋局",
                   f"field {f['number']}: total = ward + bureau", f["total"], [f["ward"], f["bureau"]])
            for f in fields
        ),
        _check("fields_total", "分野別の計の合計＝事業数の合計", "sum of the fields = all projects",
               total, [f["total"] for f in fields]),
        _check("fields_ward", "分野別の区役所の合計＝区役所の事業数", "sum of the fields (ward) = ward projects",
               ward, [f["ward"] for f in fields]),
        _check("fields_bureau", "分野別の局の合計＝局の事業数", "sum of the fields (bureau) = bureau projects",
               bureau, [f["bureau"] for f in fields]),
        _check("contracted_projects", "協働契約のある事業数＝第9条＋第10条", "contracted projects = Art. 9 + Art. 10",
               contracted["projects"], [o["projects"] for o in by_origin.values()]),
        _check("contracts", "協働契約の件数＝第9条＋第10条", "contracts = Art. 9 + Art. 10",
               contracted["contracts"], [o["contracts"] for o in by_origin.values()]),
        _check("contract_amount", "契約金額の合計＝第9条＋第10条", "contract amount = Art. 9 + Art. 10",
               contracted["amount_yen"], [o["amount_yen"] for o in by_origin.values()]),
        _check("project_pages", "事業別報告の数＝協働契約のある事業数", "project pages = contracted projects",
               len(pages), [1 for _ in contracted_rows]),
        _check("page_contracts", "事業別報告の契約件数の合計＝協働契約の件数", "contracts on the pages = contracts",
               contracted["contracts"], [p["contract_count"] for p in pages]),
    ]
    ok = all(c["ok"] for c in checks)
    failed = [c for c in checks if not c["ok"]]
    return {
        "report": "article20",
        "fiscal_year": fiscal_year,
        "fiscal_year_label_ja": era_year(fiscal_year),
        "fiscal_year_label_en": english_fiscal_year(fiscal_year),
        "generated_at": to_japan(generated_at).isoformat(timespec="seconds"),
        "sources": sources or {"imported": total, "engine": 0, "engine_superseded": []},
        "projects": {"total": total, "ward": ward, "bureau": bureau},
        "fields": fields,
        "fields_total": fields_total,
        "contracted": contracted,
        "contracted_projects": pages,
        "checks": checks,
        "checks_ok": ok,
        "cases_by_version": [],  # build_report fills it in from the cases (an amendment's transition)
        # build_report adds the earlier years from the registry; the rows given here are one year's.
        "trends": [_trend(fiscal_year, total, contracted)],
        "rounds": [],  # build_report fills it in from the rounds and their proposals
        "checks_summary_ja": (f"検算：すべての合計が内訳の和と一致しています（{len(checks)}項目）。" if ok else
                              "検算：内訳の和と一致しない合計があります：" + "、".join(c["label_ja"] for c in failed)),
        "checks_summary_en": (f"Checked: every total equals the sum of its parts ({len(checks)} checks)." if ok else
                              "Check failed: " + "; ".join(c["label_en"] for c in failed)),
    }


def build_report(session: Session, fiscal_year: int, *, clock: Clock | None = None) -> dict[str, Any]:
    """The Article 20 report of ``fiscal_year``: imported projects plus the engine's own."""
    reg = year_registry(session, fiscal_year)
    sources = {"imported": reg.imported, "engine": reg.engine, "engine_superseded": reg.superseded}
    report = compute(reg.rows, fiscal_year, generated_at=(clock or SystemClock()).now(), sources=sources)
    report["trends"] = trends(session, fiscal_year, report)
    report["rounds"] = rounds(session, fiscal_year)
    report["cases_by_version"] = cases_by_version(session, fiscal_year)  # ends the read transaction
    return report


def registry_years(session: Session, up_to: int) -> list[int]:
    """The fiscal years up to ``up_to`` that have projects: imported rows, or engine projects.

    An engine project counts in every fiscal year its contract (or recorded exemption)
    runs in, as ``engine_projects`` counts it.
    """
    years = set(session.execute(
        select(RegistryProject.fiscal_year).where(RegistryProject.fiscal_year <= up_to).distinct()).scalars())
    for start, end in session.execute(
            select(Contract.period_start, Contract.period_end).join(Proposal, Proposal.id == Contract.proposal_id)
            .where(Proposal.lifecycle.in_(list(ENGINE_ORIGIN)), Contract.period_start <= fiscal_year_end(up_to))):
        years.update(range(fiscal_year_of(start), min(fiscal_year_of(end), up_to) + 1))
    return sorted(years)


def trends(session: Session, fiscal_year: int, report: dict[str, Any]) -> list[dict[str, Any]]:
    """One entry per year of the registry up to ``fiscal_year``; that year's from ``report`` itself."""
    out = []
    for year in sorted(set(registry_years(session, fiscal_year)) | {fiscal_year}):
        if year == fiscal_year:
            out.append(_trend(year, report["projects"]["total"], report["contracted"]))
            continue
        # Counted by the same code as the year's own report, so the figures agree with it.
        earlier = compute(year_registry(session, year).rows, year, generated_at=datetime.now(JST))
        out.append(_trend(year, earlier["projects"]["total"], earlier["contracted"]))
    return out


def rounds(session: Session, fiscal_year: int) -> list[dict[str, Any]]:
    """Proposals and adoptions per round held up to ``fiscal_year``, oldest first.

    Two queries whatever the number of rounds: the rounds, then every count of their
    proposals grouped by round. A proposal counts once submitted (a draft is not an
    application); a decision counts as adopted or not, whatever lifecycle recorded it.
    """
    held = session.execute(
        select(ProposalRound.id, ProposalRound.code, ProposalRound.fiscal_year, ProposalRound.title_ja,
               ProposalRound.title_en)
        .where(ProposalRound.fiscal_year <= fiscal_year)
        .order_by(ProposalRound.fiscal_year, ProposalRound.opens_on, ProposalRound.id)).all()
    if not held:
        return []
    adopted = func.coalesce(func.sum(case((Decision.outcome == ADOPTED, 1), else_=0)), 0)
    decided_otherwise = func.coalesce(func.sum(case((Decision.outcome != ADOPTED, 1), else_=0)), 0)
    counts = {
        round_id: (applied, yes, no) for round_id, applied, yes, no in session.execute(
            select(Proposal.round_id, func.count(Proposal.id), adopted, decided_otherwise)
            .join(ProposalRound, ProposalRound.id == Proposal.round_id)
            .outerjoin(Decision, Decision.proposal_id == Proposal.id)
            .where(ProposalRound.fiscal_year <= fiscal_year, Proposal.submitted_at.is_not(None))
            .group_by(Proposal.round_id))
    }
    out = []
    for r in held:
        applied, yes, no = (int(n) for n in counts.get(r.id, (0, 0, 0)))
        out.append({"code": r.code, "fiscal_year": r.fiscal_year, "era_year": era_year(r.fiscal_year),
                    "title_ja": r.title_ja, "title_en": r.title_en, "applied": applied, "adopted": yes,
                    "rejected": no, "undecided": applied - yes - no})
    return out


def cases_by_version(session: Session, fiscal_year: int) -> list[dict[str, Any]]:
    """The cases handled in the year, per version of their lifecycle, when an amendment made several run side by side.

    A case counts in the year when it existed before the year ended and was not closed
    before it began, under the version it ran under at the year's end (a later move to a
    new version, read from its audit trail, does not count back). Empty when every
    lifecycle ran under one version all year.
    """
    start = datetime.combine(fiscal_year_start(fiscal_year), time(), tzinfo=JST)
    end = datetime.combine(fiscal_year_end(fiscal_year) + timedelta(days=1), time(), tzinfo=JST)
    cases = session.execute(
        select(Proposal.id, Proposal.lifecycle, Proposal.lifecycle_version)
        .where(Proposal.created_at < end, or_(Proposal.closed_at.is_(None), Proposal.closed_at >= start))).all()
    moved_later: dict[int, int] = {}
    for pid, inputs in session.execute(
            select(AuditEvent.proposal_id, AuditEvent.inputs)
            .where(AuditEvent.trigger == MIGRATION_TRIGGER, AuditEvent.at >= end).order_by(AuditEvent.seq.desc())):
        moved_later[pid] = int(str(inputs.get("from", "@1")).rsplit("@", 1)[1])  # the earliest move wins
    session.rollback()
    counts: dict[tuple[str, int], int] = {}
    for pid, name, version in cases:
        key = (name, moved_later.get(pid, version))
        counts[key] = counts.get(key, 0) + 1
    rows = [(name, version, n) for (name, version), n in counts.items()]
    several = {name for name, _, _ in rows if sum(1 for n, _, _ in rows if n == name) > 1}
    out = []
    for name, version, n in sorted(rows):
        if name in several:
            lc = get_lifecycle(name, version)
            out.append({"lifecycle": name, "version": version, "label_ja": lc.label_ja, "label_en": lc.label_en,
                        "amendment_ja": lc.amendment_ja, "amendment_en": lc.amendment_en, "cases": n})
    return out
