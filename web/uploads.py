"""Attachments to a proposal: checked by content, stored outside the web root.

A file is accepted only when its first bytes say it is what its name says (a PDF that
starts with ``%PDF-``, a .docx that is a ZIP holding ``word/``…): an extension alone is
a claim, not a fact. Files live under ``KYODO_ATTACHMENT_DIR`` with a random name; they
are served only through an authorised download, never as static files.

Recording and removing go through the engine (an audit event and a version change with
each); a removal keeps the row and the file, marked with who removed it and when.
"""

from __future__ import annotations

import hashlib
import secrets
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import select
from sqlmodel import Session

from config import Settings
from db.models import Attachment
from states.common import ADD_ATTACHMENT, REMOVE_ATTACHMENT
from workflow import engine
from workflow.actors import Actor
from workflow.calendar.clock import Clock

CHUNK = 64 * 1024
ADD, REMOVE = ADD_ATTACHMENT, REMOVE_ATTACHMENT  # the definition's triggers for the attachments section

# extension → (content type, kind detected from the bytes)
ALLOWED = {
    ".pdf": ("application/pdf", "pdf"),
    ".png": ("image/png", "png"),
    ".jpg": ("image/jpeg", "jpeg"),
    ".jpeg": ("image/jpeg", "jpeg"),
    ".gif": ("image/gif", "gif"),
    ".webp": ("image/webp", "webp"),
    ".docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    ".pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", "pptx"),
    ".doc": ("application/msword", "ole"),
    ".xls": ("application/vnd.ms-excel", "ole"),
    ".ppt": ("application/vnd.ms-powerpoint", "ole"),
    ".odt": ("application/vnd.oasis.opendocument.text", "odt"),
    ".ods": ("application/vnd.oasis.opendocument.spreadsheet", "ods"),
    ".odp": ("application/vnd.oasis.opendocument.presentation", "odp"),
}

_OOXML_DIR = {"docx": "word/", "xlsx": "xl/", "pptx": "ppt/"}
_ODF_TYPE = {"odt": "application/vnd.oasis.opendocument.text",
             "ods": "application/vnd.oasis.opendocument.spreadsheet",
             "odp": "application/vnd.oasis.opendocument.presentation"}


class UploadRefused(Exception):
    def __init__(self, message_ja: str, message_en: str):
        super().__init__(message_en)
        self.message_ja, self.message_en = message_ja, message_en


def _zip_kind(path: Path) -> str | None:
    try:
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
            if "mimetype" in names:
                declared = z.read("mimetype").decode("ascii", "replace").strip()
                return next((k for k, v in _ODF_TYPE.items() if v == declared), None)
            if "[Content_Types].xml" in names:
                return next((k for k, d in _OOXML_DIR.items() if any(n.startswith(d) for n in names)), None)
    except (zipfile.BadZipFile, OSError, KeyError):
        return None
    return None


def sniff(head: bytes, path: Path) -> str | None:
    """The kind of file the bytes say this is, or None."""
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "ole"
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(path)
    return None


@dataclass(frozen=True)
class Stored:
    storage_key: str
    size: int
    sha256: str
    content_type: str


def clean_filename(name: str) -> str:
    name = Path(name.replace("\\", "/")).name.strip().replace("\x00", "")
    return "".join(ch for ch in name if ch.isprintable())[:255] or "file"


def store(source: BinaryIO, filename: str, directory: Path, max_bytes: int) -> Stored:
    """Copy an upload into the store, refusing it (and leaving nothing) if it is not allowed."""
    ext = Path(filename).suffix.lower()
    if ext not in ALLOWED:
        raise UploadRefused("添付できるのは PDF・画像（PNG・JPEG・GIF・WebP）・Office 文書（Word・Excel・PowerPoint・"
                            "OpenDocument）です。",
                            "You can attach PDF, images (PNG, JPEG, GIF, WebP) and office documents "
                            "(Word, Excel, PowerPoint, OpenDocument).")
    content_type, expected = ALLOWED[ext]
    directory.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(16) + ext
    target = directory / key
    digest = hashlib.sha256()
    size = 0
    head = b""
    try:
        with open(target, "xb") as out:
            while chunk := source.read(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise UploadRefused(f"ファイルが大きすぎます（上限 {max_bytes // (1024 * 1024)} MB）。",
                                        f"The file is too large (limit {max_bytes // (1024 * 1024)} MB).")
                if len(head) < 16:
                    head += chunk[: 16 - len(head)]
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise UploadRefused("空のファイルは添付できません。", "The file is empty.")
        if sniff(head, target) != expected:
            raise UploadRefused("ファイルの中身が拡張子と一致しません。正しいファイルか確認してください。",
                                "The file's content does not match its extension.")
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return Stored(key, size, digest.hexdigest(), content_type)


def attach(session: Session, proposal_id: int, actor: Actor, filename: str, stored: Stored, directory: Path, *,
           expected_version: int | None = None, clock: Clock | None = None, settings: Settings | None = None) -> int:
    """Record a stored file on the case through the engine; if the engine refuses, the file goes too."""
    given = {"file": {"filename": clean_filename(filename), "content_type": stored.content_type,
                      "size": stored.size, "sha256": stored.sha256, "storage_key": stored.storage_key}}
    try:
        out = engine.apply(session, proposal_id, ADD, actor, given, expected_version=expected_version, clock=clock,
                           settings=settings)
    except BaseException:
        (directory / stored.storage_key).unlink(missing_ok=True)  # nothing on the record points to it
        raise
    return out.facts["attachment_id"]


def detach(session: Session, attachment: Attachment, actor: Actor, *, expected_version: int | None = None,
           clock: Clock | None = None, settings: Settings | None = None) -> None:
    """Mark an attachment removed through the engine; the row and the file stay for the record."""
    engine.apply(session, attachment.proposal_id, REMOVE, actor, {"attachment_id": attachment.id},
                 expected_version=expected_version, clock=clock, settings=settings)


def path_of(attachment: Attachment, directory: Path) -> Path:
    # The key was made here (hex + known extension); refuse anything else read from the row.
    key = attachment.storage_key
    if "/" in key or "\\" in key or key.startswith("."):
        raise FileNotFoundError(key)
    return directory / key


def attachment(session: Session, attachment_id: int) -> Attachment | None:
    return session.execute(select(Attachment).where(Attachment.id == attachment_id)).scalar()
