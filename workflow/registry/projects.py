"""The registry of every collaboration project of a fiscal year, the base of the Article 20 report.

Most of the city's ~200 projects a year (subsidies, co-hosted events, agreements) never pass
through the engine; the departments send them as a CSV (``workflow/registry/file_format.py``),
imported here in one transaction: a file with any bad row imports nothing. The projects
that do pass through the engine (an adopted citizen proposal, Art. 10, or a call whose
partner was selected, Art. 9) appear by themselves: ``engine_projects`` derives their rows
from the cases, so nobody types them twice.

One project, one row: an imported row whose id is ``kyodo-<case id>`` (the id an export
gives an engine project) is linked to that case (``RegistryProject.proposal_id``) and
replaces the row derived from it, so a project is never counted twice.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from sqlalchemy import ColumnElement, column, delete, literal, select, table, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from db.models import (
    Contract,
    ContractPartner,
    Department,
    Evaluation,
    EvaluationPeriod,
    Organisation,
    Proposal,
    RegistryProject,
)
from db.session import write
from states.common import CONTRACT_FORM_LABELS
from workflow.calendar.japan import fiscal_year_end, fiscal_year_start
from workflow.errors import InvalidInput
from workflow.registry.file_format import (  # noqa: F401  (re-exported: the registry's vocabulary)
    COLUMNS,
    ENGINE_ID,
    ORIGINS,
    Problem,
    RegistryFileError,
    RegistryRow,
    parse,
    write_csv,
)

ENGINE_ORIGIN = {"city_call": "city", "citizen_proposal": "citizen"}
# Rows written per statement on import (SQLite), and ids per IN (...) list: well under
# PostgreSQL's 65,535 and SQLite's 32,766 bound parameters a statement.
BATCH = 1000
# Rows per COPY and merge on PostgreSQL: one batch of 10,000 merged faster than ten of
# 1,000 (measured), and a year of 290,000 rows still moves its progress bar 29 times.
COPY_BATCH = 10_000
# A project is known by its year and its id in the file: the table's unique constraint.
PROJECT_KEY = ("fiscal_year", "external_id")
# The columns a file sets; the texts a case adds (content, results, effect) are left as they are.
FILE_COLUMNS = ("name", "owner_kind", "owner", "section", "field", "partner", "contract", "origin",
                "contract_count", "contract_amount_yen", "proposal_id")
RECORD_COLUMNS = PROJECT_KEY + FILE_COLUMNS
# PostgreSQL: where a batch of rows waits to be merged, within the import's transaction.
INCOMING = "registry_incoming"
UPSERT_INSERTS = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}


@dataclass
class ImportResult:
    fiscal_year: int
    rows: int
    added: int
    updated: int
    removed: int
    linked: int


# --- Writing to the database.


def _changed(stmt) -> ColumnElement[bool]:
    """The condition of an upsert's update: only a row the file changes is written again, so
    re-sending a year with a few corrections rewrites those rows and no others."""
    registered = tuple_(*(RegistryProject.__table__.c[c] for c in FILE_COLUMNS))
    return registered.is_distinct_from(tuple_(*(stmt.excluded[c] for c in FILE_COLUMNS)))


def _upsert(stmt):
    """``stmt`` (an INSERT) adding a project, or updating it when its id is already registered for the year."""
    return stmt.on_conflict_do_update(index_elements=PROJECT_KEY, set_={c: stmt.excluded[c] for c in FILE_COLUMNS},
                                      where=_changed(stmt))


def _chunks(items: list, size: int = BATCH):
    return (items[i:i + size] for i in range(0, len(items), size))


Records = Iterable[list[tuple]]  # batches of rows, each a tuple in RECORD_COLUMNS order
Report = Callable[[int], None]  # rows written so far


def _upsert_batches(session: Session, batches: Records, written: Report) -> None:
    """One executemany of ``INSERT … ON CONFLICT DO UPDATE`` a batch (SQLite 3.24+; PostgreSQL
    through a driver other than psycopg)."""
    stmt = _upsert(UPSERT_INSERTS[session.get_bind().dialect.name](RegistryProject.__table__))
    done = 0
    for batch in batches:
        session.execute(stmt, [dict(zip(RECORD_COLUMNS, record)) for record in batch])
        written(done := done + len(batch))


def _copy_and_merge(session: Session, batches: Records, written: Report) -> None:
    """PostgreSQL: each batch is COPYed into a temporary table and merged from there by one
    ``INSERT … SELECT … ON CONFLICT DO UPDATE``.

    COPY costs the client a fraction of what a parameter set a row does (an executemany of
    the same upsert through psycopg took two to five times as long here), and the table
    goes with the transaction, so a failed import leaves nothing behind.
    """
    connection = session.connection()
    columns = ", ".join(RECORD_COLUMNS)
    connection.exec_driver_sql(f"CREATE TEMPORARY TABLE {INCOMING} ON COMMIT DROP AS "
                               f"SELECT {columns} FROM {RegistryProject.__tablename__} WITH NO DATA")
    incoming = table(INCOMING, *(column(c) for c in RECORD_COLUMNS))
    # The texts only a case adds start empty, as the model's defaults say.
    texts = {c: RegistryProject.__table__.c[c].default.arg for c in ("content", "results", "effect")}
    merge = _upsert(postgresql.insert(RegistryProject.__table__).from_select(
        [*RECORD_COLUMNS, *texts], select(*incoming.c, *(literal(v).label(c) for c, v in texts.items()))))
    done = 0
    with connection.connection.driver_connection.cursor() as cursor:
        for batch in batches:
            with cursor.copy(f"COPY {INCOMING} ({columns}) FROM STDIN") as copy:
                for record in batch:
                    copy.write_row(record)
            session.execute(merge)
            connection.exec_driver_sql(f"TRUNCATE {INCOMING}")
            written(done := done + len(batch))


def import_file(
    session: Session, data: bytes, fiscal_year: int, *, replace: bool = False,
    progress: Callable[[str, int, int], None] | None = None,
) -> ImportResult:
    """Check the whole file, then write all of it in one transaction (or nothing).

    A row whose id is already registered for the year is updated; with ``replace`` the
    year's imported rows that the file no longer lists are removed. New and registered
    rows go in together, in batches, so re-sending a year costs what sending it did.
    """
    if not 2000 <= fiscal_year <= 2100:
        raise InvalidInput("fiscal_year", "年度は西暦（例：2020）で指定してください。", "give the fiscal year, e.g. 2020")
    rows = parse(data, (lambda done, total: progress("check", done, total)) if progress else None)
    with write(session):
        existing = set(session.execute(
            select(RegistryProject.external_id).where(RegistryProject.fiscal_year == fiscal_year)
        ).scalars())
        named = {r.id: int(m.group(1)) for r in rows if (m := ENGINE_ID.fullmatch(r.id))}
        cases = {case for ids in _chunks(list(named.values())) for case in session.execute(
            select(Proposal.id).where(Proposal.id.in_(ids))).scalars()}
        links = {row_id: case for row_id, case in named.items() if case in cases}
        copy = session.get_bind().dialect.driver == "psycopg"
        batches = ([(fiscal_year, r.id, r.name, r.owner_kind, r.owner, r.section, r.field, r.partner, r.contract,
                     r.origin, r.contract_count, r.contract_amount_yen, links.get(r.id)) for r in batch]
                   for batch in _chunks(rows, COPY_BATCH if copy else BATCH))
        (_copy_and_merge if copy else _upsert_batches)(
            session, batches, (lambda done: progress("write", done, len(rows))) if progress else (lambda done: None))
        updated = sum(r.id in existing for r in rows)
        removed = 0
        if replace:
            gone = sorted(existing - {r.id for r in rows})
            for ids in _chunks(gone):
                removed += session.execute(delete(RegistryProject).where(
                    RegistryProject.fiscal_year == fiscal_year, RegistryProject.external_id.in_(ids))).rowcount
    return ImportResult(fiscal_year, len(rows), len(rows) - updated, updated, removed, len(links))


# --- Reading the registry of a year.


def imported_projects(session: Session, fiscal_year: int) -> list[RegistryRow]:
    rows = session.execute(
        select(RegistryProject).where(RegistryProject.fiscal_year == fiscal_year).order_by(RegistryProject.external_id)
    ).scalars().all()
    return [
        RegistryRow(
            id=r.external_id, name=r.name, owner_kind=r.owner_kind, owner=r.owner, section=r.section, field=r.field,
            partner=r.partner, contract=r.contract, origin=r.origin, contract_count=r.contract_count,
            contract_amount_yen=r.contract_amount_yen, source="import", proposal_id=r.proposal_id,
            content=r.content, results=r.results, effect=r.effect,
        )
        for r in rows
    ]


def _evaluation_texts(session: Session, proposal_id: int, fiscal_year: int) -> tuple[str, str]:
    """Results and the effect of collaborating, from the year's published evaluation (Art. 15).

    The year's own evaluation of a multi-year project, else the final evaluation; the
    results are the city's side (the partner's when the city wrote none), the effect is
    each side's account of the effect of collaborating (or, where it wrote none, its
    assessment of how they shared the work).
    """
    periods = session.execute(
        select(EvaluationPeriod).where(EvaluationPeriod.proposal_id == proposal_id,
                                       EvaluationPeriod.published_at.is_not(None))
    ).scalars().all()
    chosen = next((p for p in periods if p.period == f"FY{fiscal_year}"), None) or \
        next((p for p in periods if p.period == "final"), None)
    if chosen is None:
        return "", ""
    sides = {e.side: e for e in session.execute(
        select(Evaluation).where(Evaluation.period_id == chosen.id)).scalars()}
    first = sides.get("city") or sides.get("partner")
    results = first.results if first else ""
    effect = "\n".join(f"{'市' if side == 'city' else '相手方'}：{sides[side].effect or sides[side].role_sharing_assessment}"
                       for side in ("city", "partner") if side in sides)
    return results, effect


def engine_projects(session: Session, fiscal_year: int) -> list[RegistryRow]:
    """The projects that passed through the engine and ran in ``fiscal_year``.

    An adopted proposal (origin ``citizen``) or a call with a selected partner (origin
    ``city``) with a contract or a recorded exemption whose period overlaps the fiscal
    year. An exemption (a minor case under Art. 12(1)) is a collaboration project without
    an Article 12 contract. One case holds one contract; amendments change it, they are
    not new contracts; the amount is the contract's current amount. A field the group
    marked confidential (Art. 13) is left out.
    """
    start, end = fiscal_year_start(fiscal_year), fiscal_year_end(fiscal_year)
    found = session.execute(
        select(Proposal, Contract, Department)
        .join(Contract, Contract.proposal_id == Proposal.id)
        .outerjoin(Department, Department.id == Proposal.department_id)
        .where(Proposal.lifecycle.in_(list(ENGINE_ORIGIN)), Contract.period_start <= end, Contract.period_end >= start)
        .order_by(Proposal.id)
    ).all()
    out = []
    for proposal, contract, dept in found:
        partners = session.execute(
            select(Organisation.name).join(ContractPartner, ContractPartner.organisation_id == Organisation.id)
            .where(ContractPartner.contract_id == contract.id).order_by(Organisation.id)
        ).scalars().all()
        results, effect = _evaluation_texts(session, proposal.id, fiscal_year)
        confidential = set(proposal.confidential_fields or [])
        out.append(RegistryRow(
            id=f"kyodo-{proposal.id}", name=proposal.title,
            owner_kind=dept.owner_kind if dept else "bureau", owner=dept.owner_name if dept else "",
            section=dept.name_ja if dept else "", field=proposal.field or 12, partner="、".join(partners),
            contract=not contract.exempt, origin=ENGINE_ORIGIN[proposal.lifecycle],
            contract_count=0 if contract.exempt else 1,
            contract_amount_yen=None if contract.exempt else contract.amount_yen,
            source="engine", proposal_id=proposal.id, cost_kind="exempt" if contract.exempt else contract.form,
            content="" if "content" in confidential else proposal.content, results=results, effect=effect,
        ))
    return out


@dataclass
class YearRegistry:
    """The year's registry as the report counts it: imported rows plus the engine's own."""

    fiscal_year: int
    rows: list[RegistryRow]
    imported: int
    engine: int
    superseded: list[str] = field(default_factory=list)  # engine rows an imported row replaced


def year_registry(session: Session, fiscal_year: int) -> YearRegistry:
    imported = imported_projects(session, fiscal_year)
    linked = {r.proposal_id for r in imported if r.proposal_id is not None} | {r.id for r in imported}
    derived = engine_projects(session, fiscal_year)
    kept, superseded = [], []
    for row in derived:
        if row.proposal_id in linked or row.id in linked:
            superseded.append(row.id)
            # The imported row keeps what the department typed; the case adds what only it knows.
            twin = next(r for r in imported if r.proposal_id == row.proposal_id or r.id == row.id)
            twin.cost_kind = twin.cost_kind or row.cost_kind
            twin.content = twin.content or row.content
            twin.results = twin.results or row.results
            twin.effect = twin.effect or row.effect
            twin.proposal_id = twin.proposal_id or row.proposal_id
        else:
            kept.append(row)
    rows = sorted(imported + kept, key=lambda r: r.id)
    return YearRegistry(fiscal_year, rows, len(imported), len(kept), superseded)


def export_file(session: Session, fiscal_year: int, path: Path | None = None, out: io.TextIOBase | None = None) -> int:
    rows = year_registry(session, fiscal_year).rows
    if path is not None:
        # With a byte-order mark: Japanese Excel reads UTF-8 without one as Shift_JIS (mojibake).
        with open(path, "w", encoding="utf-8-sig", newline="") as f:
            return write_csv(rows, f)
    return write_csv(rows, out)


def cost_kind_label(key: str | None) -> tuple[str, str]:
    if key is None:
        return "—", "—"
    if key == "exempt":
        return "契約省略（軽易なもの）", "No contract (minor case)"
    return CONTRACT_FORM_LABELS[key]
