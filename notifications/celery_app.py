"""The Celery application: a broker from configuration, and the beat schedule.

Production: Redis (``KYODO_BROKER_URL=redis://…``), any number of workers, exactly one
beat. Embedded default: kombu's SQLAlchemy transport on a SQLite file under ``var/``, so
the same tasks run with no server at all.

Messages carry only notice ids; the database decides what is sent. ``acks_late`` with
``reject_on_worker_lost`` returns a task to the queue when its worker dies, and the
claim in ``notifications.outbox`` makes the second run harmless.
"""

from __future__ import annotations

from pathlib import Path

from celery import Celery
from celery.schedules import crontab
from celery.signals import worker_process_init

from config import Settings, get_settings
from notifications import embedded_broker

embedded_broker.register()


def make_celery(settings: Settings | None = None) -> Celery:
    settings = settings or get_settings()
    broker = settings.effective_broker_url
    if settings.embedded_broker:
        Path(settings.var_dir).mkdir(parents=True, exist_ok=True)
    app = Celery("kyodo", broker=broker, include=["notifications.tasks"])
    app.conf.update(
        task_ignore_result=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_serializer="json",
        accept_content=["json"],
        timezone="Asia/Tokyo",
        enable_utc=True,
        broker_connection_retry_on_startup=True,
        # kombu's SQLAlchemy transport hands its options to create_engine(), so the
        # embedded broker takes none.
        broker_transport_options={} if settings.embedded_broker else {"visibility_timeout": 3600},
        worker_hijack_root_logger=False,
        beat_schedule={
            "relay-outbox": {"task": "kyodo.relay", "schedule": settings.relay_interval_seconds},
            "scan-reminders": {"task": "kyodo.scan_reminders", "schedule": settings.reminder_scan_seconds},
            "reviewer-digest": {"task": "kyodo.send_digests", "schedule": crontab(hour=8, minute=30)},
            # Article 15(1): each fiscal year a running project passes is evaluated.
            "open-annual-evaluations": {"task": "kyodo.open_annual_evaluations",
                                        "schedule": crontab(hour=6, minute=0)},
        },
    )
    return app


app = make_celery()


@worker_process_init.connect
def _own_connections(**_) -> None:
    """A forked worker process must not use the connections its parent opened.

    The prefork pool forks after the parent may have read the database (the schema check
    of ``kyodo worker``); two processes on one PostgreSQL socket read each other's
    results. Dropping the inherited pool without closing it (the parent still owns those
    sockets) makes the child open its own.
    """
    from db.session import get_engine

    get_engine().dispose(close=False)


def reconfigure(settings: Settings) -> None:
    """Point the shared app at another broker (tests; `kyodo` after reading options)."""
    app.conf.broker_url = settings.effective_broker_url
    app.conf.broker_transport_options = {} if settings.embedded_broker else {"visibility_timeout": 3600}
    # Drop the cached pools so the next publish connects to the new broker; the old
    # connections are left for the garbage collector (closing them breaks kombu's
    # shared producer pool).
    app._pool = None
    app.amqp._producer_pool = None
