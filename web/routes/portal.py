"""The citizen group's side: its page, the proposal editor, attachments.

A group works on its own proposals only: every handler here checks membership of the
proposing organisation (``is_member``) or, for reading, ``can_see``; the engine checks
again on every write.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, RedirectResponse
from sqlalchemy import func, select
from starlette.datastructures import UploadFile

from db.models import Deadline, Organisation, Proposal
from states.vocabulary import ORGANISATION_KINDS
from web import editor, uploads
from web.casepage import notices_for
from web.deps import ClockDep, CurrentUser, Forbidden, SessionDep, SettingsDep, require_role, verify_csrf, visible_case
from web.pages import flash, language, render
from workflow import proposals
from workflow.actors import Actor
from workflow.errors import KyodoError, NotFound
from workflow.proposals import EDITABLE_STATES

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])
Proposer = Depends(require_role("proposer"))


def _own_case(db, actor: Actor, pid: int):
    row = visible_case(db, actor, pid)
    if "proposer" not in actor.roles or row.organisation_id not in actor.organisation_ids:
        raise Forbidden("この提案を編集できるのは提案団体の方だけです。", "Only the proposing group can edit this proposal.")
    return row


@router.get("/portal", dependencies=[Proposer])
def portal(request: Request, db: SessionDep, actor: CurrentUser):
    orgs = list(db.execute(select(Organisation).where(Organisation.id.in_(actor.organisation_ids))
                           .order_by(Organisation.id)).scalars())
    next_due = (select(Deadline.proposal_id, func.min(Deadline.due_on).label("due"))
                .where(Deadline.closed_at.is_(None)).group_by(Deadline.proposal_id).subquery())
    rows = list(db.execute(
        select(Proposal, next_due.c.due).outerjoin(next_due, next_due.c.proposal_id == Proposal.id)
        .where(Proposal.organisation_id.in_(actor.organisation_ids)).order_by(Proposal.id.desc())))
    by_org = {o.id: [] for o in orgs}
    for p, due in rows:
        by_org.setdefault(p.organisation_id, []).append((p, due))
    notices = notices_for(db, actor, None, language(request), limit=10)
    db.rollback()
    return render(request, "portal.html", {"orgs": orgs, "by_org": by_org, "notices": notices,
                                           "kinds": ORGANISATION_KINDS})


def _editor_page(request, *, org, values, errors, proposal=None, status=200, message=None):
    return render(request, "editor.html", {
        "org": org, "values": values, "errors": errors, "proposal": proposal, "message": message,
        "fields": editor.EDITOR_FIELDS, "confidential_choices": editor.CONFIDENTIAL_CHOICES,
    }, status=status)


@router.get("/proposals/new", dependencies=[Proposer])
def new_form(request: Request, db: SessionDep, actor: CurrentUser, organisation_id: int | None = None):
    org_id = organisation_id or (min(actor.organisation_ids) if actor.organisation_ids else None)
    if org_id not in actor.organisation_ids:
        raise Forbidden("所属する団体の名前でのみ提案を作成できます。", "You can propose only for your own organisation.")
    org = db.get(Organisation, org_id)
    values = {f.name: "" for f in editor.EDITOR_FIELDS} | {"confidential_fields": []}
    return _editor_page(request, org=org, values=values, errors={})


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
    data = editor.read(form)
    clean, errors = editor.check(data, language(request))
    if errors:
        return _editor_page(request, org=org, values=data, errors=errors, status=422)
    content = {k: v for k, v in clean.items() if v not in (None, "", [])}
    pid = proposals.create(db, actor, org_id, content, clock=clock)
    flash(request, "success", "下書きを保存しました。内容を確認して「提案する」を押すと提出されます。",
          "Draft saved. Check it, then press “Submit the proposal” to send it.")
    return RedirectResponse(f"/proposals/{pid}", status_code=303)


@router.get("/proposals/{pid}/edit", dependencies=[Proposer])
def edit_form(pid: int, request: Request, db: SessionDep, actor: CurrentUser):
    row = _own_case(db, actor, pid)
    p = db.get(Proposal, pid)
    org = db.get(Organisation, row.organisation_id)
    if row.state not in EDITABLE_STATES:
        raise Forbidden("提案書を編集できるのは下書きと修正依頼中のときだけです。",
                        "A proposal can be edited only as a draft or when a revision is requested.")
    return _editor_page(request, org=org, values=editor.as_form(p), errors={}, proposal=p)


@router.post("/proposals/{pid}/edit", dependencies=[Proposer])
async def save(pid: int, request: Request, db: SessionDep, actor: CurrentUser, clock: ClockDep):
    form = await request.form()
    row = _own_case(db, actor, pid)
    p = db.get(Proposal, pid)
    org = db.get(Organisation, row.organisation_id)
    lang = language(request)
    data = editor.read(form)
    clean, errors = editor.check(data, lang)
    if errors:
        return _editor_page(request, org=org, values=data, errors=errors, proposal=p, status=422)
    changed = editor.changes(p, clean)
    db.rollback()
    if not changed:
        flash(request, "info", "変更はありませんでした。", "Nothing was changed.")
        return RedirectResponse(f"/proposals/{pid}", status_code=303)
    try:
        version = int(str(form.get("version", "")))
    except ValueError:
        version = None
    try:
        number = proposals.save_revision(db, actor, pid, changed, note=str(form.get("note", ""))[:2000],
                                         expected_version=version, clock=clock)
    except KyodoError as exc:
        status = 409 if exc.code in ("conflict", "invalid_state") else 422
        return _editor_page(request, org=org, values=data, errors={}, proposal=p, status=status,
                            message=(exc.message_ja + exc.hint_ja, exc.message_en + " " + exc.hint_en))
    flash(request, "success", f"提案書を保存しました（第{number}版）。", f"Saved as revision {number}.")
    return RedirectResponse(f"/proposals/{pid}", status_code=303)


# --- attachments


@router.post("/proposals/{pid}/attachments", dependencies=[Proposer])
async def upload(pid: int, request: Request, db: SessionDep, actor: CurrentUser, clock: ClockDep,
                 settings: SettingsDep):
    form = await request.form()
    row = _own_case(db, actor, pid)
    db.rollback()
    if row.state not in EDITABLE_STATES:
        raise Forbidden("添付ファイルを変更できるのは下書きと修正依頼中のときだけです。",
                        "Attachments can be changed only as a draft or when a revision is requested.")
    file = form.get("file")
    if not isinstance(file, UploadFile) or not file.filename:
        flash(request, "error", "ファイルを選んでください。", "Choose a file.")
        return RedirectResponse(f"/proposals/{pid}#attachments", status_code=303)
    try:
        stored = uploads.store(file.file, file.filename, settings.effective_attachment_dir,
                               settings.max_upload_bytes)
    except uploads.UploadRefused as exc:
        flash(request, "error", exc.message_ja, exc.message_en)
        return RedirectResponse(f"/proposals/{pid}#attachments", status_code=303)
    uploads.record(db, pid, file.filename, stored, actor.user_id, clock.now())
    flash(request, "success", "ファイルを添付しました。", "The file is attached.")
    return RedirectResponse(f"/proposals/{pid}#attachments", status_code=303)


def _attachment(db, actor, aid: int):
    att = uploads.attachment(db, aid)
    if att is None:
        raise NotFound(f"添付ファイル {aid} は見つかりません。", f"no attachment {aid}")
    row = visible_case(db, actor, att.proposal_id)  # a group never reaches another group's files
    return att, row


@router.get("/attachments/{aid}")
def download(aid: int, db: SessionDep, actor: CurrentUser, settings: SettingsDep):
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


@router.post("/attachments/{aid}/delete", dependencies=[Proposer])
def delete(aid: int, request: Request, db: SessionDep, actor: CurrentUser, settings: SettingsDep):
    att, row = _attachment(db, actor, aid)
    _own_case(db, actor, row.id)
    db.rollback()
    if row.state not in EDITABLE_STATES:
        raise Forbidden("添付ファイルを変更できるのは下書きと修正依頼中のときだけです。",
                        "Attachments can be changed only as a draft or when a revision is requested.")
    uploads.remove(db, att, settings.effective_attachment_dir)
    flash(request, "success", "添付ファイルを削除しました。", "The attachment is removed.")
    return RedirectResponse(f"/proposals/{row.id}#attachments", status_code=303)
