"""The citizen group's side (its page, the proposal editor) and every case's content and files.

A group works on its own proposals only. Who may change a case's content or files is
the definition's answer (``State.editable_by``, within the role's reach), checked here
before anything is stored and again by the engine, through which every save, upload and
removal goes (each with its audit event and version change).
"""

from __future__ import annotations

from urllib.parse import quote

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, RedirectResponse
from sqlalchemy import and_, or_, select
from starlette.datastructures import UploadFile

from db.models import CallApplication, Department, Organisation, Proposal
from db.types import MAX_ID
from states import LIFECYCLES, in_effect, lifecycle_of
from states.vocabulary import ORGANISATION_KINDS
from web import editor, uploads
from web.casepage import CITY_ROLES, notices_for
from web.deps import ClockDep, CurrentUser, Forbidden, SessionDep, SettingsDep, require_role, verify_csrf, visible_case, Id
from web.pages import end_reads, flash, language, render
from web.errors import refusal
from web.routes.cases import confirmation, show_case
from workflow import proposals
from workflow.calendar.clock import japan_today
from workflow.engine.authorization import ACCEPTING
from workflow.errors import KyodoError, NotFound
from workflow.queries.cases import nearest_due

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])
Proposer = Depends(require_role("proposer"))


def _version(form) -> int | None:
    try:
        return int(str(form.get("version", "")))
    except ValueError:
        return None


def _accepting():
    """Cases in a state that takes applications, whatever their lifecycle (the state's tag)."""
    return or_(*(and_(Proposal.lifecycle == lc.name, Proposal.state.in_([s.name for s in lc.states if ACCEPTING in s.tags]))
                 for lc in LIFECYCLES.values()))


@router.get("/portal", dependencies=[Proposer])
def portal(request: Request, db: SessionDep, actor: CurrentUser, clock: ClockDep):
    orgs = list(db.execute(select(Organisation).where(Organisation.id.in_(actor.organisation_ids))
                           .order_by(Organisation.id)).scalars())
    # Each of the groups' cases asks its own nearest deadline, not every open one of the city.
    rows = list(db.execute(
        select(Proposal, nearest_due(Proposal.id))
        .where(Proposal.organisation_id.in_(actor.organisation_ids)).order_by(Proposal.id.desc())))
    by_org = {o.id: [] for o in orgs}
    for p, due in rows:
        by_org.setdefault(p.organisation_id, []).append((p, due))
    open_calls = list(db.execute(select(Proposal).where(_accepting())
                                 .order_by(Proposal.closing_on, Proposal.id).limit(100)).scalars())
    applied = list(db.execute(
        select(CallApplication, Proposal, Organisation.name)
        .join(Proposal, Proposal.id == CallApplication.proposal_id)
        .join(Organisation, Organisation.id == CallApplication.organisation_id)
        .where(CallApplication.organisation_id.in_(actor.organisation_ids))
        .order_by(CallApplication.id.desc()).limit(100)))
    notices = notices_for(db, actor, None, language(request), limit=10)
    end_reads(db)  # the template reads the cases and applications as loaded, without one query each
    return render(request, "portal.html", {"orgs": orgs, "by_org": by_org, "notices": notices,
                                           "kinds": ORGANISATION_KINDS, "open_calls": open_calls,
                                           "applied": applied, "today": japan_today(clock)})


# --- the editor: a group's new proposal, and any case's content while it may be edited


def _refused(exc: KyodoError, lang: str, kind: editor.Kind) -> tuple[int, dict[str, str], tuple[str, str]]:
    """The engine's refusal for the editor: errors beside the fields it has, the rest as the message."""
    refused = refusal(exc, lang)
    names = {f.name for f in kind.fields} | {"confidential_fields"}
    errors = {k: v for k, v in refused.errors.items() if k in names}
    hint = (exc.hint_ja, " " + exc.hint_en) if exc.hint_ja and exc.hint_ja not in refused.message[0] else ("", "")
    return refused.status, errors, (refused.message[0] + hint[0], refused.message[1] + hint[1])


def _owner(db, row) -> dict:
    return {"org": db.get(Organisation, row.organisation_id) if row.organisation_id else None,
            "dept": db.get(Department, row.department_id) if row.department_id else None}


@router.get("/proposals/new", dependencies=[Proposer])
def new_form(request: Request, db: SessionDep, actor: CurrentUser,
             organisation_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None):
    org_id = organisation_id or (min(actor.organisation_ids) if actor.organisation_ids else None)
    if org_id not in actor.organisation_ids:
        raise Forbidden("所属する団体の名前でのみ提案を作成できます。", "You can propose only for your own organisation.")
    org = db.get(Organisation, org_id)
    kind = _new_kind(db, japan_today(request.app.state.clock))
    return editor.page(request, kind=kind, values=editor.blank(kind), errors={}, action="/proposals/new", org=org)


def _new_kind(db, today) -> editor.Kind:
    """The editor of a new proposal: the lifecycle's fields, and the rounds open today."""
    lc = in_effect(proposals.LIFECYCLE, today)
    return editor.with_rounds(editor.kind_of(lc), db, lc, today)


@router.post("/proposals/new", dependencies=[Proposer])
async def create(request: Request, db: SessionDep, actor: CurrentUser, clock: ClockDep):
    form = await request.form()
    try:
        org_id = int(str(form.get("organisation_id", "")))
    except ValueError:
        org_id = -1
    if org_id not in actor.organisation_ids:
        raise Forbidden("所属する団体の名前でのみ提案を作成できます。", "You can propose only for your own organisation.")
    org = db.get(Organisation, org_id)
    kind = _new_kind(db, japan_today(clock))
    lang = language(request)
    data = editor.read(form, kind)
    clean, errors = editor.check(data, lang)
    if errors:
        return editor.page(request, kind=kind, values=data, errors=errors, action="/proposals/new", org=org,
                           status=422)
    content = {k: v for k, v in clean.items() if v not in (None, "", [])}
    try:
        pid = proposals.create(db, actor, org_id, content, clock=clock)
    except KyodoError as exc:
        status, errors, message = _refused(exc, lang, kind)
        return editor.page(request, kind=kind, values=data, errors=errors, action="/proposals/new", org=org,
                           status=status, message=message)
    flash(request, "success", "下書きを保存しました。内容を確認して「提案する」を押すと提出されます。",
          "Draft saved. Check it, then press “Submit the proposal” to send it.")
    return RedirectResponse(f"/proposals/{pid}", status_code=303)


def _edit_kind(db, row, p, today) -> editor.Kind:
    lc = lifecycle_of(row)
    return editor.with_rounds(editor.kind_of(lc), db, lc, today, p)


@router.get("/proposals/{pid}/edit")
def edit_form(pid: Id, request: Request, db: SessionDep, actor: CurrentUser, clock: ClockDep):
    row = editor.editable_case(db, actor, pid)
    p = db.get(Proposal, pid)
    kind = _edit_kind(db, row, p, japan_today(clock))
    owner = _owner(db, row)
    db.rollback()
    return editor.page(request, kind=kind, values=editor.as_form(p, kind), errors={}, action=f"/proposals/{pid}/edit",
                       proposal=p, **owner)


@router.post("/proposals/{pid}/edit")
async def save(pid: Id, request: Request, db: SessionDep, actor: CurrentUser, clock: ClockDep):
    form = await request.form()
    row = editor.editable_case(db, actor, pid)
    p = db.get(Proposal, pid)
    kind = _edit_kind(db, row, p, japan_today(clock))
    owner = _owner(db, row)
    lang = language(request)
    data = editor.read(form, kind)
    clean, errors = editor.check(data, lang)
    action = f"/proposals/{pid}/edit"
    if errors:
        return editor.page(request, kind=kind, values=data, errors=errors, action=action, proposal=p, status=422,
                           **owner)
    changed = editor.changes(p, clean)
    db.rollback()
    if not changed:
        flash(request, "info", "変更はありませんでした。", "Nothing was changed.")
        return RedirectResponse(f"/proposals/{pid}", status_code=303)
    try:
        number = proposals.save_revision(db, actor, pid, changed, note=str(form.get("note", ""))[:2000],
                                         expected_version=_version(form), clock=clock)
    except KyodoError as exc:
        status, errors, message = _refused(exc, lang, kind)
        return editor.page(request, kind=kind, values=data, errors=errors, action=action, proposal=p,
                           status=status, message=message, **owner)
    flash(request, "success", f"内容を保存しました（第{number}版）。", f"Saved as revision {number}.")
    return RedirectResponse(f"/proposals/{pid}", status_code=303)


# --- attachments


@router.post("/proposals/{pid}/attachments")
async def upload(pid: Id, request: Request, db: SessionDep, actor: CurrentUser, clock: ClockDep,
                 settings: SettingsDep):
    form = await request.form()
    editor.editable_case(db, actor, pid)  # nothing is stored for someone who may not attach
    db.rollback()
    back = RedirectResponse(f"/proposals/{pid}#attachments", status_code=303)
    file = form.get("file")
    if not isinstance(file, UploadFile) or not file.filename:
        flash(request, "error", "ファイルを選んでください。", "Choose a file.")
        return back
    try:
        stored = uploads.store(file.file, file.filename, settings.effective_attachment_dir,
                               settings.max_upload_bytes)
    except uploads.UploadRefused as exc:
        flash(request, "error", exc.message_ja, exc.message_en)
        return back
    try:
        uploads.attach(db, pid, actor, file.filename, stored, settings.effective_attachment_dir,
                       expected_version=_version(form), clock=clock, settings=request.app.state.settings)
    except KyodoError as exc:
        message = refusal(exc, language(request)).message
        flash(request, "error", *message)
        return back
    flash(request, "success", "ファイルを添付しました。", "The file is attached.")
    return back


def _attachment(db, actor, aid: Id):
    att = uploads.attachment(db, aid)
    if att is None:
        raise NotFound(f"添付ファイル {aid} は見つかりません。", f"no attachment {aid}")
    row = visible_case(db, actor, att.proposal_id)  # a group never reaches another group's files
    if att.removed_at is not None and not actor.roles & CITY_ROLES:
        # A removed file stays on the record for the city; for everyone else it is gone.
        db.rollback()
        raise NotFound(f"添付ファイル {aid} は見つかりません。", f"no attachment {aid}")
    return att, row


@router.get("/attachments/{aid}")
def download(aid: Id, db: SessionDep, actor: CurrentUser, settings: SettingsDep):
    att, _ = _attachment(db, actor, aid)
    db.rollback()
    try:
        path = uploads.path_of(att, settings.effective_attachment_dir)
        if not path.is_file():
            raise FileNotFoundError(path)
    except FileNotFoundError:
        raise NotFound("ファイルが保管場所にありません。事務局にお問い合わせください。",
                       "the file is missing from the store") from None
    return FileResponse(path, media_type=att.content_type, headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(att.filename)}",
        "Cache-Control": "private, no-store",
    })


@router.post("/attachments/{aid}/delete")
async def delete(aid: Id, request: Request, db: SessionDep, actor: CurrentUser, clock: ClockDep):
    form = await request.form()
    att, row = _attachment(db, actor, aid)
    editor.editable_case(db, actor, row.id)
    db.rollback()
    lc = lifecycle_of(row)
    t_def = lc.transition_from(uploads.REMOVE, row.state)
    version = _version(form)
    if t_def is not None and t_def.confirm and form.get("confirmed") != "1":
        carried = {"version": "" if version is None else str(version)}
        return confirmation(request, db, actor, clock, row.id, "case", f"/attachments/{aid}/delete", t_def, carried,
                            f"/proposals/{row.id}#attachments", att.filename)
    try:
        uploads.detach(db, att, actor, expected_version=version, clock=clock, settings=request.app.state.settings)
    except KyodoError as exc:
        refused = refusal(exc, language(request))
        return show_case(request, db, actor, clock, row.id, status=refused.status,
                         extra={"page_error": refused.message})
    flash(request, "success", "添付ファイルを削除しました（記録として保存されます）。",
          "The attachment is removed (kept for the record).")
    return RedirectResponse(f"/proposals/{row.id}#attachments", status_code=303)
