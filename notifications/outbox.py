"""Moving outbox rows to the broker and delivering them in batches, with the row as the only truth.

The relay claims rows that need work (pending and due, or claimed long ago by a worker
that died) in one statement and marks them queued before handing their ids to Celery,
a few dozen ids per task. A delivery claims its batch by compare-and-set (one UPDATE for
the whole batch), builds every message, sends them over one SMTP session and records all
the outcomes in one short transaction, after the last server reply. A dead worker or a
flushed broker therefore loses nothing: the lease runs out and the relay hands the rows
out again.

Delivery is at least once, not exactly once: a worker that dies (or loses the database)
between the server's 250 and the commit that records it leaves rows that are sent again
when their lease runs out. No SMTP exchange can close that window; batching widens it
from one message to the messages of one batch, and no further: no transaction is held
while the server talks, and the outcomes are recorded right after the batch's last
reply, before anything else (retried a few times if the database hiccups). A second
copy is the same message: same Message-ID (from the row), same Date (when the notice was
written), same body.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, case, or_, select, update
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from config import Settings
from db.models import Deadline, Notice
from db.models.notices import FAILED, PENDING, QUEUED, SENDING, SENT
from db.session import begin_write, write
from notifications.messages import build_message, message_id_for
from notifications.render import render
from notifications.transports import DeliveryError, NotAttempted, Transport
from workflow.engine.outbox import decode

CANCELLED = "cancelled"

# Rows one relay marks queued; a relay that found this many runs again at once rather
# than waiting for the beat, so a backlog drains at the workers' pace.
RELAY_LIMIT = 500
# Messages sent over one SMTP session and recorded by one commit. A crash in the middle
# sends again, after the lease, at most the messages of one batch the server had accepted.
BATCH_SIZE = 50
# A small wave of rows is spread over several tasks so that every worker process takes
# a share of it instead of one process sending it all.
SPREAD = 4

_N = Notice.__table__


def _needs_work(now: datetime, settings: Settings):
    lease_expired = now - timedelta(seconds=settings.notice_lease_seconds)
    return or_(
        and_(_N.c.status == PENDING, _N.c.next_attempt_at <= now),
        and_(_N.c.status.in_((QUEUED, SENDING)), _N.c.claimed_at < lease_expired),
    )


def claim_for_relay(session: Session, now: datetime, settings: Settings, limit: int | None = None) -> list[int]:
    """Mark up to ``limit`` (``RELAY_LIMIT``) rows queued and return their ids (safe to run concurrently).

    One statement: the rows are picked (skipping any another relay holds, on PostgreSQL)
    and marked in the same UPDATE. SQLite has one writer at a time (BEGIN IMMEDIATE), so
    a plain pick is enough there.
    """
    pick = select(_N.c.id).where(_needs_work(now, settings)).order_by(_N.c.id).limit(limit or RELAY_LIMIT)
    if session.get_bind().dialect.name == "postgresql":
        pick = pick.with_for_update(skip_locked=True)
    try:
        begin_write(session)
        claimed = list(session.execute(
            update(_N).where(_N.c.id.in_(pick.scalar_subquery()))
            .values(status=QUEUED, claimed_at=now).returning(_N.c.id)
        ).scalars())
        session.commit()
        return sorted(claimed)
    except BaseException:
        session.rollback()
        raise


def batches(ids: list[int]) -> list[list[int]]:
    """The relay's ids cut into delivery tasks: at most ``BATCH_SIZE`` each, and a small
    wave cut into up to ``SPREAD`` tasks so that it is sent in parallel."""
    if not ids:
        return []
    size = max(1, min(BATCH_SIZE, -(-len(ids) // SPREAD)))
    return [ids[i:i + size] for i in range(0, len(ids), size)]


@dataclass(frozen=True)
class Delivery:
    notice_id: int
    outcome: str  # sent, skipped, retry, failed, cancelled
    detail: str = ""


# Pauses between tries to record sends the server has accepted. Giving up means second
# copies once the lease runs out, so a brief database hiccup is waited out.
MARK_SENT_PAUSES = (0.2, 1.0, 3.0)


def _claim(session: Session, notice_ids: list[int], now: datetime) -> list:
    """Take the batch's rows still waiting for delivery: one compare-and-set for all of them.

    A row another worker took meanwhile (a task run twice, a relay after a lease) is left
    out, so each send follows exactly one claim.
    """
    try:
        begin_write(session)
        rows = session.execute(
            update(_N)
            .where(_N.c.id.in_(notice_ids), _N.c.status.in_((QUEUED, PENDING)))
            .values(status=SENDING, claimed_at=now, attempts=_N.c.attempts + 1)
            .returning(_N.c.id, _N.c.kind, _N.c.recipient_id, _N.c.email, _N.c.language, _N.c.context,
                       _N.c.attempts, _N.c.created_at)
        ).all()
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return sorted(rows, key=lambda r: r.id)


def _closed_deadlines(session: Session, contexts: dict[int, dict], rows) -> set[int]:
    """Deadlines of the batch's reminders that closed after the scan wrote them: one read."""
    wanted = {(contexts[r.id].get("deadline") or {}).get("id") for r in rows if r.kind == "reminder"} - {None}
    if not wanted:
        return set()
    try:
        return set(session.execute(
            select(Deadline.id).where(Deadline.id.in_(wanted), Deadline.closed_at.is_not(None))
        ).scalars())
    finally:
        session.rollback()  # a read left open would be held across the sends


def deliver_batch(session: Session, notice_ids: list[int], now: datetime, settings: Settings,
                  transport: Transport) -> list[Delivery]:
    """Claim, build, send over one session and record the outcomes of up to a batch of rows.

    A message not begun within half the lease (a very slow server) is put back in line
    untried, its attempt not counted, rather than risk a second copy from another worker.
    """
    rows = _claim(session, list(notice_ids), now)
    taken = {r.id for r in rows}
    results = {i: Delivery(i, "skipped", "already taken or done") for i in notice_ids if i not in taken}
    outcomes: dict[int, dict] = {}  # id -> the values its row is given
    contexts = {r.id: decode(r.context) for r in rows}
    closed = _closed_deadlines(session, contexts, rows)
    outgoing = []  # (row, message, (Message-ID, subject))
    for row in rows:
        context = contexts[row.id]
        if row.kind == "reminder" and (context.get("deadline") or {}).get("id") in closed:
            # The case moved on after the scan: a late reminder would only confuse.
            outcomes[row.id] = dict(status=CANCELLED, last_error="deadline closed before delivery")
            results[row.id] = Delivery(row.id, CANCELLED)
            continue
        try:
            message_id = message_id_for(row.id, row.recipient_id, settings.message_id_domain)
            rendered = render(row.kind, row.language, context)
            message = build_message(
                sender=settings.mail_from, sender_name=settings.mail_from_name,
                recipient_name=context.get("recipient_name", ""), recipient_email=row.email,
                rendered=rendered, message_id=message_id, notice_id=row.id, language=row.language,
                written_at=row.created_at,
            )
        except Exception as exc:  # noqa: BLE001 - a template or address error will not heal by retrying
            results[row.id] = _failure(outcomes, row, now, settings, f"{type(exc).__name__}: {exc}", permanent=True)
            continue
        outgoing.append((row, message, (message_id, rendered.subject)))
    # Nothing of the database is held while the server talks: no transaction stays open
    # across the network, and nothing stands between the last 250 and recording it.
    if session.in_transaction():
        session.rollback()
    # Half the lease: the rows must be recorded long before the relay may hand them out again.
    until = time.monotonic() + settings.notice_lease_seconds / 2
    errors = transport.send_many([message for _, message, _ in outgoing], until=until) if outgoing else []
    sent = {}
    for (row, _, (message_id, subject)), error in zip(outgoing, errors):
        if error is None:
            sent[row.id] = (message_id, subject[:300])
            results[row.id] = Delivery(row.id, SENT, subject)
        elif isinstance(error, NotAttempted):
            # Back in line at once, and the claim's attempt given back: nothing was tried.
            outcomes[row.id] = dict(status=PENDING, next_attempt_at=now, attempts=_N.c.attempts - 1)
            results[row.id] = Delivery(row.id, "retry", str(error))
        elif isinstance(error, DeliveryError):
            results[row.id] = _failure(outcomes, row, now, settings, str(error), permanent=error.permanent)
        else:  # an address the transport cannot use will not heal by retrying
            results[row.id] = _failure(outcomes, row, now, settings, f"{type(error).__name__}: {error}",
                                       permanent=True)
    _record(session, now, sent, outcomes)
    return [results[i] for i in notice_ids if i in results]


def deliver(session: Session, notice_id: int, now: datetime, settings: Settings, transport: Transport) -> Delivery:
    """One row: a batch of one."""
    return deliver_batch(session, [notice_id], now, settings, transport)[0]


def _failure(outcomes: dict, row, now: datetime, settings: Settings, error: str, permanent: bool) -> Delivery:
    if permanent or row.attempts >= settings.notice_max_attempts:
        outcomes[row.id] = dict(status=FAILED, last_error=error)
        return Delivery(row.id, FAILED, error)
    delay = settings.notice_backoff_seconds * 2 ** (row.attempts - 1)
    outcomes[row.id] = dict(status=PENDING, next_attempt_at=now + timedelta(seconds=delay), last_error=error)
    return Delivery(row.id, "retry", error)


def _record(session: Session, now: datetime, sent: dict[int, tuple[str, str]], outcomes: dict[int, dict]) -> None:
    """Every outcome of the batch in one transaction: the sends in one UPDATE, the rest
    (rare: refusals, retries) one UPDATE each. Each changes only a row still marked
    sending, so trying again after a database hiccup is safe."""
    if not sent and not outcomes:
        return
    for pause in (*MARK_SENT_PAUSES, None):
        try:
            begin_write(session)
            if sent:
                ids = list(sent)
                session.execute(
                    update(_N).where(_N.c.id.in_(ids), _N.c.status == SENDING)
                    .values(status=SENT, sent_at=now, last_error=None,
                            message_id=case({i: m for i, (m, _) in sent.items()}, value=_N.c.id),
                            subject=case({i: s for i, (_, s) in sent.items()}, value=_N.c.id))
                )
            for notice_id, values in outcomes.items():
                session.execute(update(_N).where(_N.c.id == notice_id, _N.c.status == SENDING).values(**values))
            session.commit()
            return
        except OperationalError:
            # A lost connection or a locked database: the server has accepted the mail, so
            # recording it is worth a wait.
            session.rollback()
            if pause is None:
                raise
            time.sleep(pause)
        except BaseException:
            session.rollback()
            raise


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
