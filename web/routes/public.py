"""The public pages (no login): the city's calls for partners and the collaboration projects,
and the same as open data in CSV and JSON.

What a case shows follows its state in its own lifecycle (``State.public_view``): a call
while it seeks a partner, the five-part project report once adopted. Drafts and states
without a public label never appear; confidential fields (Article 13), scores, reviewers
and applicants are removed in ``workflow.queries.public`` before anything is shown.
"""

from __future__ import annotations

import csv
import io

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from web.deps import ClockDep, OptionalUser, SessionDep, SettingsDep, verify_csrf, Id, AfterId
from web.pages import end_reads, language, render
from workflow.calendar.clock import japan_today
from workflow.errors import NotFound
from workflow.queries import public

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])


@router.get("/public")
def projects(request: Request, db: SessionDep, actor: OptionalUser, settings: SettingsDep, clock: ClockDep,
             after: AfterId = None):
    today = japan_today(clock)
    cases = public.public_cases(db, after=after, limit=settings.page_size + 1, today=today)
    more = len(cases) > settings.page_size
    cases = cases[: settings.page_size]
    items = public.pages(db, cases, today)
    end_reads(db)
    return render(request, "public_list.html", {"items": items, "cost_kinds": public.COST_KINDS,
                                                "next_after": cases[-1].id if more and cases else None})


@router.get("/public/proposals/{pid}")
def project(pid: Id, request: Request, db: SessionDep, actor: OptionalUser, clock: ClockDep):
    found = public.page(db, pid, japan_today(clock))
    end_reads(db)
    if found is None:
        raise NotFound(f"公開されている事業 {pid} はありません。", f"no public project {pid}")
    return render(request, "public_report.html", {"r": found, "cost_kinds": public.COST_KINDS,
                                                  "sides": public.SIDES})


def _csv(request: Request, columns, items: list, to_row, filename: str) -> Response:
    lang = language(request)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([en if lang == "en" else ja for _, ja, en in columns])
    for item in items:
        writer.writerow(to_row(item, lang))
    # The byte-order mark lets spreadsheet software on Japanese Windows read UTF-8.
    return Response("\ufeff" + buffer.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


# A round's cases become public together, on its publication date by the app's clock (Japan date).

def _reports(db, today) -> list[public.Report]:
    found = public.reports(db, public.public_ids(db, view=public.PROJECT, today=today), today)
    end_reads(db)
    return found


def _calls(db, today) -> list[public.CallPage]:
    found = public.calls(db, public.public_ids(db, view=public.CALL, today=today), today)
    end_reads(db)
    return found


@router.get("/public/data.csv")
def data_csv(request: Request, db: SessionDep, clock: ClockDep):
    return _csv(request, public.CSV_COLUMNS, _reports(db, japan_today(clock)), public.csv_row, "kyodo-projects.csv")


@router.get("/public/calls.csv")
def calls_csv(request: Request, db: SessionDep, clock: ClockDep):
    return _csv(request, public.CALL_CSV_COLUMNS, _calls(db, japan_today(clock)), public.call_csv_row,
                "kyodo-calls.csv")


@router.get("/public/data.json")
def data_json(db: SessionDep, clock: ClockDep):
    today = japan_today(clock)
    return JSONResponse({"projects": [r.to_json() for r in _reports(db, today)],
                         "calls": [c.to_json() for c in _calls(db, today)]})
