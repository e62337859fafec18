"""Moving outbox rows to the broker and delivering them, with the row as the only truth.

The relay claims rows that need work (pending and due, or claimed long ago by a worker
that died) and marks them queued before handing their ids to Celery; delivery claims a
row by compare-and-set before sending and marks it sent only after the mail server
accepted it. A dead worker or a flushed broker therefore loses nothing: the lease runs
out and the relay hands the row out again.

Delivery is at least once, not exactly once: a worker that dies (or loses the database)
after the server's 250 and before the row says sent leaves a row that is sent again
when its lease runs out. No SMTP exchange can close that window; it is kept as small as
it can be: no transaction is held while the server talks, and the row is marked sent
right after the 250, in its own short transaction, before anything else (retried a few
times if the database hiccups). A second copy is the same message: same Message-ID
(from the row), same Date (when the notice was written), same body.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from config import Settings
from db.models import Deadline, Notice
from db.models.notices import FAILED, PENDING, QUEUED, SENDING, SENT
from db.session import begin_write, write
from notifications.messages import build_message, message_id_for
from notifications.render import render
from notifications.transports import DeliveryError, Transport
from workflow.engine.outbox import decode

CANCELLED = "cancelled"


def _needs_work(now: datetime, settings: Settings):
    lease_expired = now - timedelta(seconds=settings.notice_lease_seconds)
    return or_(
        and_(Notice.status == PENDING, Notice.next_attempt_at <= now),
        and_(Notice.status.in_((QUEUED, SENDING)), Notice.claimed_at < lease_expired),
    )


def claim_for_relay(session: Session, now: datetime, settings: Settings, limit: int = 500) -> list[int]:
    """Mark up to ``limit`` rows queued and return their ids (safe to run concurrently)."""
    try:
        begin_write(session)
        pick = select(Notice.id).where(_needs_work(now, settings)).order_by(Notice.id).limit(limit)
        if session.get_bind().dialect.name == "postgresql":
            pick = pick.with_for_update(skip_locked=True)
        ids = list(session.execute(pick).scalars())
        if not ids:
            session.commit()
            return []
        claimed = list(
            session.execute(
                update(Notice)
                .where(Notice.id.in_(ids), _needs_work(now, settings))
                .values(status=QUEUED, claimed_at=now)
                .returning(Notice.id)
            ).scalars()
        )
        session.commit()
        return sorted(claimed)
    except BaseException:
        session.rollback()
        raise


@dataclass(frozen=True)
class Delivery:
    notice_id: int
    outcome: str  # sent, skipped, retry, failed, cancelled
    detail: str = ""


def _finish(session: Session, notice_id: int, **values) -> None:
    """One short write transaction of its own: on SQLite a writer that began as a reader
    may be refused the lock outright, so it begins as a writer (BEGIN IMMEDIATE)."""
    try:
        begin_write(session)
        session.execute(update(Notice).where(Notice.id == notice_id, Notice.status == SENDING).values(**values))
        session.commit()
    except BaseException:
        session.rollback()
        raise


# Pauses between tries to record a send the server has accepted. Giving up means a
# second copy once the lease runs out, so a brief database hiccup is waited out.
MARK_SENT_PAUSES = (0.2, 1.0, 3.0)


def _mark_sent(session: Session, notice_id: int, **values) -> None:
    for pause in (*MARK_SENT_PAUSES, None):
        try:
            _finish(session, notice_id, status=SENT, **values)
            return
        except OperationalError:
            # A lost connection or a locked database; the update is idempotent (it only
            # changes a row still marked sending), so trying again is safe.
            if pause is None:
                raise
            time.sleep(pause)


def _deadline_closed(session: Session, context: dict) -> bool:
    deadline_id = (context.get("deadline") or {}).get("id")
    if deadline_id is None:
        return False
    try:
        return session.execute(select(Deadline.closed_at).where(Deadline.id == deadline_id)).scalar() is not None
    finally:
        session.rollback()  # a read left open would be held across the send


def deliver(session: Session, notice_id: int, now: datetime, settings: Settings, transport: Transport) -> Delivery:
    begin_write(session)
    notice = session.execute(
        update(Notice)
        .where(Notice.id == notice_id, Notice.status.in_((QUEUED, PENDING)))
        .values(status=SENDING, claimed_at=now, attempts=Notice.attempts + 1)
        .returning(Notice)
    ).scalar()
    session.commit()
    if notice is None:
        return Delivery(notice_id, "skipped", "already taken or done")
    context = decode(notice.context)
    if notice.kind == "reminder" and _deadline_closed(session, context):
        # The case moved on after the scan: a late reminder would only confuse.
        _finish(session, notice_id, status=CANCELLED, last_error="deadline closed before delivery")
        return Delivery(notice_id, CANCELLED)
    message_id = message_id_for(notice.id, notice.recipient_id, settings.message_id_domain)
    try:
        rendered = render(notice.kind, notice.language, context)
        message = build_message(
            sender=settings.mail_from, sender_name=settings.mail_from_name,
            recipient_name=context.get("recipient_name", ""), recipient_email=notice.email,
            rendered=rendered, message_id=message_id, notice_id=notice.id, language=notice.language,
            written_at=notice.created_at,
        )
    except Exception as exc:  # noqa: BLE001 - a template or address error will not heal by retrying
        return _failed(session, notice, now, settings, f"{type(exc).__name__}: {exc}", permanent=True)
    # Nothing of the database is held while the server talks: no transaction stays open
    # across the network, and nothing stands between the 250 and recording it.
    if session.in_transaction():
        session.rollback()
    try:
        transport.send(message)
    except DeliveryError as exc:
        return _failed(session, notice, now, settings, str(exc), permanent=exc.permanent)
    except Exception as exc:  # noqa: BLE001 - an address the transport cannot use will not heal by retrying
        return _failed(session, notice, now, settings, f"{type(exc).__name__}: {exc}", permanent=True)
    _mark_sent(session, notice_id, sent_at=now, message_id=message_id, subject=rendered.subject[:300],
               last_error=None)
    return Delivery(notice_id, SENT, rendered.subject)


def _failed(session, notice, now, settings, error: str, permanent: bool) -> Delivery:
    if permanent or notice.attempts >= settings.notice_max_attempts:
        _finish(session, notice.id, status=FAILED, last_error=error)
        return Delivery(notice.id, FAILED, error)
    delay = settings.notice_backoff_seconds * 2 ** (notice.attempts - 1)
    _finish(session, notice.id, status=PENDING, next_attempt_at=now + timedelta(seconds=delay), last_error=error)
    return Delivery(notice.id, "retry", error)


def failed(session: Session) -> list[Notice]:
    return list(session.execute(select(Notice).where(Notice.status == FAILED).order_by(Notice.id)).scalars())


def resend(session: Session, notice_id: int, now: datetime) -> bool:
    """Put a failed notice back in line; False when there is no failed notice with that id."""
    with write(session):
        done = session.execute(
            update(Notice)
            .where(Notice.id == notice_id, Notice.status.in_((FAILED, CANCELLED)))
            .values(status=PENDING, attempts=0, next_attempt_at=now, claimed_at=None)
        ).rowcount
    return done == 1
