"""Files attached to a case: recorded and removed through the engine, never deleted.

The web stores the bytes (``web/uploads.py`` checks them by content) and gives the
engine what it stored; the engine writes the row with the audit event. A removal keeps
the row and the file for the record, marked with who removed it and when.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import insert, select, update

from db.models import Attachment
from workflow.errors import InvalidInput, NotFound

if TYPE_CHECKING:
    from workflow.engine.context import Case

UPLOAD_FIELDS = ("filename", "content_type", "size", "sha256", "storage_key")


def record_attachment(case: Case):
    f = case.values["file"]
    case.facts["attachment_id"] = case.session.execute(insert(Attachment).values(
        proposal_id=case.proposal_id, uploaded_by=case.actor.user_id, uploaded_at=case.now,
        **{k: f[k] for k in UPLOAD_FIELDS},
    ).returning(Attachment.id)).scalar_one()


def mark_attachment_removed(case: Case):
    aid = case.values["attachment_id"]
    found = case.session.execute(
        select(Attachment.id, Attachment.removed_at).where(Attachment.id == aid,
                                                           Attachment.proposal_id == case.proposal_id)
    ).first()
    if found is None:
        raise NotFound(f"添付ファイル {aid} は見つかりません。", f"no attachment {aid}")
    if found.removed_at is not None:
        raise InvalidInput("attachment_id", "この添付ファイルはすでに削除されています。", "already removed")
    case.session.execute(update(Attachment).where(Attachment.id == aid)
                         .values(removed_at=case.now, removed_by=case.actor.user_id))


EFFECTS = {"record_attachment": record_attachment, "mark_attachment_removed": mark_attachment_removed}
