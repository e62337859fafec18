"""The public pages (no login): adopted projects and published evaluations, as the
five-part project report, and the same as open data in CSV and JSON.

Drafts and states without a public label never appear; confidential fields (Article 13)
are removed in ``web.reports`` before anything is shown.
"""

from __future__ import annotations

import csv
import io

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from web.deps import OptionalUser, SessionDep, SettingsDep, verify_csrf
from web.pages import language, render
from web.reports import COST_KINDS, CSV_COLUMNS, SIDES, csv_row, public_ids, reports
from workflow.errors import NotFound

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])


@router.get("/public")
def projects(request: Request, db: SessionDep, actor: OptionalUser, settings: SettingsDep, after: int | None = None):
    ids = public_ids(db, after=after, limit=settings.page_size + 1)
    more = len(ids) > settings.page_size
    ids = ids[: settings.page_size]
    return render(request, "public_list.html", {"reports": reports(db, ids), "cost_kinds": COST_KINDS,
                                                "next_after": ids[-1] if more and ids else None})


@router.get("/public/proposals/{pid}")
def project(pid: int, request: Request, db: SessionDep, actor: OptionalUser):
    found = reports(db, [pid])
    if not found:
        raise NotFound(f"公開されている事業 {pid} はありません。", f"no public project {pid}")
    return render(request, "public_report.html", {"r": found[0], "cost_kinds": COST_KINDS, "sides": SIDES})


def _all(db) -> list:
    return reports(db, public_ids(db))


@router.get("/public/data.csv")
def data_csv(request: Request, db: SessionDep):
    lang = language(request)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([en if lang == "en" else ja for _, ja, en in CSV_COLUMNS])
    for r in _all(db):
        writer.writerow(csv_row(r, lang))
    # The byte-order mark lets spreadsheet software on Japanese Windows read UTF-8.
    return Response("\ufeff" + buffer.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="kyodo-projects.csv"'})


@router.get("/public/data.json")
def data_json(db: SessionDep):
    return JSONResponse({"projects": [r.to_json() for r in _all(db)]})
