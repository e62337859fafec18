"""Delivering the outbox in-process, through the real Celery tasks and broker.

Used by `kyodo demo` (and by `kyodo serve` on the embedded default): a Celery worker
thread is started against the configured broker — the SQLite broker when no Redis is
configured — the relay task is sent, and we wait until the outbox has nothing in flight.
"""

from __future__ import annotations

import time

from celery.contrib.testing.worker import start_worker
from sqlalchemy import func, select

from db.models import Notice
from db.models.notices import PENDING, QUEUED, SENDING
from db.session import new_session


def in_flight() -> int:
    with new_session() as s:
        return s.execute(
            select(func.count()).select_from(Notice).where(Notice.status.in_((PENDING, QUEUED, SENDING)))
        ).scalar_one()


def drain(timeout: float = 120.0, now: str | None = None) -> int:
    """Deliver everything waiting through a worker thread; returns what is still in flight."""
    from notifications.celery_app import app
    from notifications.tasks import relay

    with start_worker(app, pool="solo", concurrency=1, perform_ping_check=False, loglevel="WARNING",
                      shutdown_timeout=30):
        relay.delay(now)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            left = in_flight()
            if left == 0:
                return 0
            time.sleep(0.2)
            if int(time.monotonic() * 5) % 25 == 0:
                relay.delay(now)  # rows that came due for a retry since the last relay
    return in_flight()
