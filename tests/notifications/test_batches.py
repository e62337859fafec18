"""Delivery in batches: many rows per claim, one SMTP session per batch, one commit of the outcomes.

What a batch must keep of one-at-a-time delivery: a refused address fails its own
notice only, a full mailbox retries its own notice only, a crash loses nothing and sends
again only the batch in flight (as the same messages), and two relays never hand out
the same notice.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from config import Settings
from db.models import Notice
from db.session import new_session
from notifications import outbox
from notifications.tasks import relay
from notifications.transports import SmtpTransport
from tests.notifications.conftest import free_port, wait_until
from tests.notifications.test_outbox_delivery import Capture, _refuse_marking_sent

SETTINGS = Settings()
GROUP_CONTACTS = ("p@example.jp", "r4@city.jp")  # each receipt goes to both


class Server:
    """An SMTP server that counts sessions and answers RCPT for some addresses with ``reply``."""

    def __init__(self, refuse: dict[str, str] | None = None) -> None:
        self.refuse, self.sessions, self.accepted = refuse or {}, 0, []

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        self.sessions += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.accepted.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


@pytest.fixture
def server():
    started = []

    def start(**kwargs) -> tuple[Server, SmtpTransport]:
        handler = Server(**kwargs)
        controller = Controller(handler, hostname="127.0.0.1", port=free_port())
        controller.start()
        started.append(controller)
        return handler, SmtpTransport(port=controller.port, timeout=5, local_hostname="localhost")

    yield start
    for controller in started:
        controller.stop()


def receipts(world, cases: int) -> None:
    for n in range(cases):
        world.do(world.new_proposal(title=f"提案{n}"), "submit", "proposer")


def rows(db_engine) -> list:
    with new_session(db_engine) as s:
        return s.execute(select(Notice.id, Notice.email, Notice.status, Notice.attempts, Notice.last_error,
                                Notice.next_attempt_at).order_by(Notice.id)).all()


def deliver_everything(db_engine, now, transport) -> list[outbox.Delivery]:
    with new_session(db_engine) as s:
        ids = outbox.claim_for_relay(s, now, SETTINGS)
        return outbox.deliver_batch(s, ids, now, SETTINGS, transport)


def test_a_batch_goes_over_one_session_and_a_refused_address_fails_alone(world, db_engine, server):
    receipts(world, 4)
    handler, transport = server(refuse={"r4@city.jp": "550 5.1.1 No such user here"})
    results = deliver_everything(db_engine, world.clock.now(), transport)
    assert len(results) == 8 and handler.sessions == 1
    by_address = {}
    for row in rows(db_engine):
        by_address.setdefault(row.email, set()).add((row.status, row.attempts))
    assert by_address == {"p@example.jp": {("sent", 1)}, "r4@city.jp": {("failed", 1)}}
    assert len(handler.accepted) == 4
    assert all("550" in r.last_error for r in rows(db_engine) if r.status == "failed")


def test_a_temporary_refusal_puts_only_that_notice_back_with_its_backoff(world, db_engine, server):
    receipts(world, 3)
    _, transport = server(refuse={"r4@city.jp": "451 4.3.0 Mailbox temporarily unavailable"})
    now = world.clock.now()
    deliver_everything(db_engine, now, transport)
    for row in rows(db_engine):
        if row.email == "r4@city.jp":
            assert (row.status, row.attempts) == ("pending", 1) and "451" in row.last_error
            assert row.next_attempt_at == now + timedelta(seconds=SETTINGS.notice_backoff_seconds)
        else:
            assert (row.status, row.attempts, row.last_error) == ("sent", 1, None)


def test_a_crash_before_the_outcomes_are_recorded_sends_the_batch_again_as_the_same_messages(
    world, db_engine, monkeypatch
):
    monkeypatch.setattr(outbox, "MARK_SENT_PAUSES", ())
    receipts(world, 3)
    transport = Capture()
    first_try = world.clock.now()
    remove = _refuse_marking_sent(db_engine, times=1)  # the server said 250 six times; the database is gone
    try:
        with pytest.raises(Exception, match="closed the connection"):
            deliver_everything(db_engine, first_try, transport)
    finally:
        remove()
    assert {r.status for r in rows(db_engine)} == {"sending"}  # nothing lost: the lease brings them back
    after_lease = first_try + timedelta(seconds=SETTINGS.notice_lease_seconds + 1)
    assert {d.outcome for d in deliver_everything(db_engine, after_lease, transport)} == {"sent"}
    assert {r.status for r in rows(db_engine)} == {"sent"}
    first, second = transport.messages[:6], transport.messages[6:]
    assert len(second) == 6
    for a, b in zip(first, second):
        for header in ("Message-ID", "Date", "Subject", "To"):
            assert a[header] == b[header], header


def test_a_slow_server_leaves_the_rest_of_the_batch_for_later_before_the_lease_runs_out(
    world, db_engine, monkeypatch
):
    from types import SimpleNamespace

    from notifications import transports

    clock = SimpleNamespace(now=0.0, monotonic=lambda: clock.now, sleep=lambda _s: None)
    monkeypatch.setattr(transports, "time", clock)
    monkeypatch.setattr(outbox, "time", clock)

    def slow(_message):
        clock.now += 60  # each message takes the server a minute

    receipts(world, 4)
    settings = Settings(notice_lease_seconds=300)  # half of it, 150 s: three messages begun
    now = world.clock.now()
    with new_session(db_engine) as s:
        ids = outbox.claim_for_relay(s, now, settings)
        outbox.deliver_batch(s, ids, now, settings, Capture(during=slow))
    statuses = [(r.status, r.attempts) for r in rows(db_engine)]
    assert statuses == [("sent", 1)] * 3 + [("pending", 0)] * 5  # not tried, so no attempt counted
    assert {r.next_attempt_at for r in rows(db_engine) if r.status == "pending"} == {now}


def test_two_relays_at_once_hand_out_each_notice_once(world, db_engine):
    receipts(world, 10)
    now = world.clock.now()
    barrier, claimed = threading.Barrier(2), []

    def claim():
        with new_session(db_engine) as s:
            barrier.wait()
            claimed.append(outbox.claim_for_relay(s, now, SETTINGS, limit=12))

    threads = [threading.Thread(target=claim) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    first, second = claimed
    assert not set(first) & set(second)
    assert sorted(first + second) == [r.id for r in rows(db_engine)]


def test_a_backlog_larger_than_one_relay_drains_without_waiting_for_the_beat(
    world, db_engine, smtp_sink, celery_worker_thread, monkeypatch
):
    monkeypatch.setattr(outbox, "RELAY_LIMIT", 3)
    receipts(world, 5)
    relay.delay()  # once: the beat's next relay is minutes away
    assert wait_until(lambda: {r.status for r in rows(db_engine)} == {"sent"}, timeout=60), rows(db_engine)
    assert len(smtp_sink.messages) == 10


def test_a_server_that_is_gone_is_not_asked_again_for_every_message_of_the_batch(monkeypatch):
    from tests.notifications.test_transports import decision_message

    transport = SmtpTransport(port=free_port(), timeout=2, local_hostname="localhost")
    attempts = []
    connect = transport._connect
    monkeypatch.setattr(transport, "_connect", lambda: attempts.append(1) or connect())
    errors = transport.send_many([decision_message(notice_id=i) for i in range(5)])
    assert all(e is not None and not e.permanent for e in errors)  # each one retried later
    assert len(attempts) == 2
