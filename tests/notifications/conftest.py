"""Real services for the notice tests: an SMTP server on 127.0.0.1, Redis, a Celery worker."""

from __future__ import annotations

import os
import socket
import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller

from tests.conftest import REDIS_URL, need_service


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Sink:
    """Captures what the server accepted; ``hold`` makes the next DATA hang (a stuck server)."""

    messages: list = field(default_factory=list)
    recipients: list = field(default_factory=list)
    hold: threading.Event | None = None
    refuse: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            return "550 5.1.1 mailbox unavailable"
        if self.hold is not None:
            hold, self.hold = self.hold, None
            # Block without accepting: the client dies before the server says 250.
            import asyncio

            while not hold.is_set():
                await asyncio.sleep(0.05)
            return "451 4.3.0 try again later"
        with self.lock:
            self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
            self.recipients.append(list(envelope.rcpt_tos))
        return "250 OK"

    def wait_for(self, count: int, timeout: float = 30.0) -> list:
        end = time.monotonic() + timeout
        while time.monotonic() < end and len(self.messages) < count:
            time.sleep(0.05)
        return list(self.messages)


@pytest.fixture
def smtp_sink():
    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    sink.port = port
    yield sink
    if sink.hold is not None:
        sink.hold.set()
    controller.stop()


@pytest.fixture
def redis_url():
    def probe(url):
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=2).ping()

    need_service("redis", REDIS_URL, probe)
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    return REDIS_URL


@pytest.fixture
def kyodo_env(monkeypatch, db_engine, smtp_sink, tmp_path):
    """Point Kyodo's settings (read by tasks and workers) at the test database and sink."""
    from config.settings import get_settings
    from db.session import get_engine

    env = {
        "KYODO_DATABASE_URL": db_engine.url.render_as_string(hide_password=False),
        "KYODO_VAR_DIR": str(tmp_path / "var"),
        "KYODO_MAIL_TRANSPORT": "smtp",
        "KYODO_SMTP_HOST": "127.0.0.1",
        "KYODO_SMTP_PORT": str(smtp_sink.port),
        "KYODO_SMTP_TIMEOUT": "5",
        "KYODO_NOTICE_BACKOFF_SECONDS": "1",
    }
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    get_settings.cache_clear()
    get_engine.cache_clear()
    yield env
    get_settings.cache_clear()
    get_engine.cache_clear()


def use_broker(monkeypatch, env: dict, url: str) -> None:
    from config.settings import get_settings
    from notifications.celery_app import reconfigure

    monkeypatch.setenv("KYODO_BROKER_URL", url)
    env["KYODO_BROKER_URL"] = url
    get_settings.cache_clear()
    reconfigure(get_settings())


@pytest.fixture
def celery_worker_thread(monkeypatch, kyodo_env, redis_url):
    """A real Celery worker (solo pool, in a thread) consuming from the real Redis."""
    from celery.contrib.testing.worker import start_worker

    from notifications.celery_app import app

    use_broker(monkeypatch, kyodo_env, redis_url)
    with start_worker(app, pool="solo", concurrency=1, perform_ping_check=False, loglevel="WARNING",
                      shutdown_timeout=20) as worker:
        yield worker


def wait_until(predicate, timeout: float = 30.0, interval: float = 0.1):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return predicate()


def env_for_subprocess(env: dict) -> dict:
    out = dict(os.environ)
    out.update(env)
    return out
