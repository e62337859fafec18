"""Celery tasks: relay the outbox, deliver a batch of notices, scan reminders, send digests.

Every task opens its own session and reads the time from the one clock; tests pass an
ISO timestamp as ``now`` to move time without touching the worker.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from celery import shared_task

from config import get_settings
from db.session import new_session
from notifications import outbox, reminders
from notifications.transports import transport_from_settings
from workflow.calendar.clock import Clock, MovableClock, SystemClock


def _clock(now: str | None) -> Clock:
    return MovableClock(datetime.fromisoformat(now)) if now else SystemClock()


_transports: dict = {}


def _transport(settings):
    """One transport per worker process and configuration, so SMTP sessions are reused."""
    key = (settings.mail_transport, settings.smtp_host, settings.smtp_port, settings.smtp_security,
           settings.smtp_username, str(settings.effective_mail_dir))
    if key not in _transports:
        _transports[key] = _new_transport(settings)
    return _transports[key]


def _new_transport(settings):
    if settings.mail_transport == "smtp":
        return transport_from_settings(
            "smtp", host=settings.smtp_host, port=settings.smtp_port, security=settings.smtp_security,
            username=settings.smtp_username, password=settings.smtp_password, timeout=settings.smtp_timeout,
        )
    return transport_from_settings("file", directory=settings.effective_mail_dir)


@shared_task(name="kyodo.relay")
def relay(now: str | None = None) -> int:
    settings = get_settings()
    with new_session() as session:
        ids = outbox.claim_for_relay(session, _clock(now).now(), settings)
    for batch in outbox.batches(ids):
        deliver_batch.delay(batch, now)
    if len(ids) >= outbox.RELAY_LIMIT:
        # More is waiting: queued behind these batches, the next relay keeps the workers
        # busy without piling the whole backlog into the broker at once.
        relay.delay(now)
    return len(ids)


@shared_task(name="kyodo.deliver_batch")
def deliver_batch(notice_ids: list[int], now: str | None = None) -> dict[str, int]:
    settings = get_settings()
    with new_session() as session:
        results = outbox.deliver_batch(session, notice_ids, _clock(now).now(), settings, _transport(settings))
    return dict(Counter(r.outcome for r in results))


@shared_task(name="kyodo.deliver")
def deliver(notice_id: int, now: str | None = None) -> str:
    """One notice; kept so that tasks an earlier release queued are still delivered."""
    settings = get_settings()
    with new_session() as session:
        result = outbox.deliver(session, notice_id, _clock(now).now(), settings, _transport(settings))
    return result.outcome


@shared_task(name="kyodo.scan_reminders")
def scan_reminders(now: str | None = None) -> int:
    with new_session() as session:
        written = reminders.scan(session, _clock(now), get_settings())
    if written:
        relay.delay(now)
    return written


@shared_task(name="kyodo.open_annual_evaluations")
def open_annual_evaluations(now: str | None = None) -> int:
    from workflow.annual_evaluations import open_due

    with new_session() as session:
        opened = open_due(session, _clock(now), get_settings())
    if opened:
        relay.delay(now)
    return len(opened)


@shared_task(name="kyodo.send_digests")
def send_digests(now: str | None = None) -> int:
    with new_session() as session:
        written = reminders.digest(session, _clock(now), get_settings())
    if written:
        relay.delay(now)
    return written


_counter = None


@shared_task(name="kyodo.noop")
def noop(i: int = 0, counter: str | None = None) -> int:
    """The baseline of the delivery benchmark: a task that does nothing but be counted."""
    global _counter
    if counter:
        import redis

        if _counter is None:
            _counter = redis.Redis.from_url(get_settings().effective_broker_url)
        _counter.incr(counter)
    return i
