"""One delivery, step by step: what each message carries, and the window after the 250.

Delivery is at least once: a worker that loses the database between the server's 250
and recording it sends the notice again once the lease runs out. These tests hold that
window as small as the design allows (no transaction held while the server talks, the
row marked sent in its own short transaction, a database hiccup waited out) and that a
second copy is the same message (same Message-ID, same Date).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from email import message_from_bytes, policy

import pytest
from sqlalchemy import event, select, update

from config import Settings
from db.models import Notice
from db.session import new_session
from notifications import outbox
from notifications.transports import FileTransport, Transport
from workflow.calendar.clock import JST, MovableClock

SETTINGS = Settings()


class Capture(Transport):
    """Accepts every message, like a server answering 250, and runs ``during`` meanwhile."""

    def __init__(self, during=None) -> None:
        self.messages, self.during = [], during

    def send(self, message) -> None:
        if self.during is not None:
            self.during(message)
        self.messages.append(message)


def deliver_all(db_engine, now: datetime, transport: Transport) -> list[str]:
    with new_session(db_engine) as s:
        ids = outbox.claim_for_relay(s, now, SETTINGS)
        return [outbox.deliver(s, i, now, SETTINGS, transport).outcome for i in ids]


def status_of(db_engine, notice_id: int) -> str:
    with new_session(db_engine) as s:
        return s.get(Notice, notice_id).status


# --- The Date of each message.


def test_each_message_carries_the_date_its_notice_was_written(world, db_engine, tmp_path):
    first = world.new_proposal(title="一つ目の提案")
    world.do(first, "submit", "proposer")  # Monday 6 April 2026, 09:00 in Japan
    world.clock.advance(days=2, hours=5, minutes=17)
    second = world.new_proposal(title="二つ目の提案")
    world.do(second, "submit", "proposer")
    # Delivered together much later, as `kyodo demo` does after its stories.
    later = world.clock.advance(days=30)
    assert set(deliver_all(db_engine, later, FileTransport(tmp_path / "mail"))) == {"sent"}
    dates: dict[str, set[str]] = {}
    for path in (tmp_path / "mail").glob("*.eml"):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        title = "一つ目の提案" if "一つ目の提案" in message["Subject"] else "二つ目の提案"
        dates.setdefault(title, set()).add(message["Date"])
    assert dates == {"一つ目の提案": {"Mon, 06 Apr 2026 09:00:00 +0900"},
                     "二つ目の提案": {"Wed, 08 Apr 2026 14:17:00 +0900"}}


# --- The window between the 250 and the row saying sent.


SCAN = datetime(2026, 4, 13, 9, tzinfo=JST)  # the secretariat's receipt deadline is today


def _a_reminder(world, session) -> int:
    """A reminder row: its delivery reads the deadline first, to drop one that is moot."""
    from notifications.reminders import scan

    pid = world.new_proposal()
    world.do(pid, "submit", "proposer")
    assert scan(session, MovableClock(SCAN), SETTINGS) == 1
    session.execute(update(Notice).where(Notice.kind != "reminder").values(status="sent"))
    session.commit()
    return session.execute(select(Notice.id).where(Notice.kind == "reminder")).scalar_one()


def test_no_transaction_is_held_while_the_server_talks(world, session, db_engine):
    reminder = _a_reminder(world, session)
    held = []
    with new_session(db_engine) as s:
        transport = Capture(during=lambda _message: held.append(s.in_transaction()))
        assert outbox.claim_for_relay(s, SCAN, SETTINGS) == [reminder]
        assert outbox.deliver(s, reminder, SCAN, SETTINGS, transport).outcome == "sent"
    assert held == [False]
    assert status_of(db_engine, reminder) == "sent"


def test_a_send_is_recorded_even_when_another_writer_went_first_meanwhile(world, session, db_engine):
    """On SQLite a transaction that began as a reader before someone else wrote may not write
    at all: the row would stay 'sending' and the notice be sent again after the lease."""
    reminder = _a_reminder(world, session)

    def someone_writes(_message):
        with new_session(db_engine) as other:  # the web, another worker …
            other.execute(update(Notice).where(Notice.id != reminder).values(subject="changed meanwhile"))
            other.commit()

    transport = Capture(during=someone_writes)
    assert deliver_all(db_engine, SCAN, transport) == ["sent"]
    assert status_of(db_engine, reminder) == "sent" and len(transport.messages) == 1


def _refuse_marking_sent(db_engine, times: int):
    """The database fails the statement that records a send, ``times`` times."""
    left = [times]

    def before(conn, cursor, statement, parameters, context, executemany):
        values = parameters.values() if isinstance(parameters, dict) else parameters or ()
        if left[0] and statement.lstrip().upper().startswith("UPDATE NOTICE") and "sent" in values:
            left[0] -= 1
            raise conn.dialect.loaded_dbapi.OperationalError("server closed the connection unexpectedly")

    event.listen(db_engine, "before_cursor_execute", before)
    return lambda: event.remove(db_engine, "before_cursor_execute", before)


def test_a_database_hiccup_after_the_250_is_waited_out(world, db_engine, monkeypatch):
    monkeypatch.setattr(outbox, "MARK_SENT_PAUSES", (0.01, 0.01, 0.01), raising=False)
    pid = world.new_proposal()
    world.do(pid, "submit", "proposer")  # receipts to the group's two contacts
    remove = _refuse_marking_sent(db_engine, times=2)
    try:
        transport = Capture()
        assert deliver_all(db_engine, world.clock.now(), transport) == ["sent", "sent"]
    finally:
        remove()
    assert len(transport.messages) == 2
    with new_session(db_engine) as s:
        assert set(s.execute(select(Notice.status)).scalars()) == {"sent"}


def test_after_a_lost_acknowledgement_the_copy_sent_again_is_the_same_message(world, db_engine, monkeypatch):
    monkeypatch.setattr(outbox, "MARK_SENT_PAUSES", (), raising=False)
    pid = world.new_proposal()
    world.to_awaiting_decision(pid)
    world.do(pid, "adopt", "approver", reasons="公益性が高いため")
    with new_session(db_engine) as s:
        decision = s.execute(select(Notice.id).where(Notice.kind == "decision").order_by(Notice.id)).scalars().first()
        s.execute(update(Notice).where(Notice.id != decision).values(status="sent"))
        s.commit()
    transport = Capture()
    first_try = world.clock.advance(minutes=1)
    remove = _refuse_marking_sent(db_engine, times=1)  # the server said 250; the database is gone
    try:
        with pytest.raises(Exception, match="closed the connection"):
            deliver_all(db_engine, first_try, transport)
    finally:
        remove()
    assert status_of(db_engine, decision) == "sending"
    # The lease runs out and the relay hands the row out again: at least once.
    after_lease = first_try + timedelta(seconds=SETTINGS.notice_lease_seconds + 1)
    assert deliver_all(db_engine, after_lease, transport) == ["sent"]
    first, second = transport.messages
    for header in ("Message-ID", "Date", "Subject", "To", "X-Kyodo-Notice"):
        assert first[header] == second[header], header
    for part in ("plain", "html"):
        assert first.get_body((part,)).get_content() == second.get_body((part,)).get_content()


def test_the_date_is_written_in_japan_time():
    from notifications.messages import build_message
    from notifications.render import Rendered

    written = datetime(2026, 4, 5, 15, 0, tzinfo=timezone.utc)  # as the database hands it back
    msg = build_message(sender="a@example.jp", recipient_name="x", recipient_email="b@example.jp",
                        rendered=Rendered("s", "t", "<p>h</p>"), message_id="<m@example.jp>", notice_id=1,
                        language="ja", written_at=written)
    assert msg["Date"] == "Mon, 06 Apr 2026 00:00:00 +0900"
