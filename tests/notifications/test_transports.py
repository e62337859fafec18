"""Delivery: a real SMTP server on 127.0.0.1, and .eml files that a retry overwrites."""

from __future__ import annotations

import email
import socket
from datetime import datetime
from email.message import EmailMessage
from email.policy import SMTP, default

import pytest
from aiosmtpd.controller import Controller

from notifications.messages import build_message, message_id_for
from notifications.render import Rendered, render
from notifications.samples import sample_context
from notifications.transports import (
    DeliveryError, FileTransport, SmtpTransport, TRANSPORTS, transport_from_settings,
)
from workflow.calendar.clock import JST

SENT_AT = datetime(2021, 9, 16, 10, 30, tzinfo=JST)


def decision_message(*, notice_id: int = 42, recipient_id: int = 7, title: str | None = None,
                     recipient_name: str = "山田 花子", language: str = "ja") -> EmailMessage:
    ctx = sample_context("decision", language)
    if title is not None:
        ctx["proposal"] = {"id": 42, "title": title}
    return build_message(
        sender="kyodo@city.example.jp",
        sender_name="横浜市 市民協働推進課",
        recipient_name=recipient_name,
        recipient_email="hanako@npo.example.org",
        rendered=render("decision", language, ctx),
        message_id=message_id_for(notice_id, recipient_id, "kyodo.city.example"),
        notice_id=notice_id,
        language=language,
        written_at=SENT_AT,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Capture:
    def __init__(self) -> None:
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 2.0.0 OK: queued"


class RefuseRecipient:
    def __init__(self, reply: str) -> None:
        self.reply = reply

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        return self.reply


class RefuseData:
    def __init__(self, reply: str) -> None:
        self.reply = reply

    async def handle_DATA(self, server, session, envelope):
        return self.reply


@pytest.fixture
def smtp_server():
    """Start a real SMTP server with the given handler; stopped after the test."""
    started = []

    def start(handler):
        controller = Controller(handler, hostname="127.0.0.1", port=free_port())
        controller.start()
        started.append(controller)
        return SmtpTransport(host="127.0.0.1", port=controller.port, timeout=5, local_hostname="localhost")

    yield start
    for controller in started:
        controller.stop()


# --- The message itself.


def test_message_id_is_derived_from_notice_and_recipient():
    assert message_id_for(42, 7, "kyodo.city.example") == "<notice-42.recipient-7@kyodo.city.example>"
    with pytest.raises(ValueError):
        message_id_for(42, 7, "evil.example>\r\nBcc: x@example.com")


def test_message_has_the_headers_and_both_parts():
    msg = decision_message()
    parsed = email.message_from_bytes(msg.as_bytes(policy=SMTP), policy=default)
    assert parsed["Message-ID"] == "<notice-42.recipient-7@kyodo.city.example>"
    assert parsed["X-Kyodo-Notice"] == "42"
    assert parsed["Content-Language"] == "ja"
    assert parsed["Date"] == "Thu, 16 Sep 2021 10:30:00 +0900"
    assert parsed["Subject"].startswith("市民協働事業の提案について（通知）")
    assert parsed["To"].addresses[0].display_name == "山田 花子"
    assert parsed["From"].addresses[0].display_name == "横浜市 市民協働推進課"
    assert parsed.get_content_type() == "multipart/alternative"
    text = parsed.get_body(("plain",)).get_content()
    html = parsed.get_body(("html",)).get_content()
    assert "第10条第2項" in text and "第10条第2項" in html


def test_message_needs_an_aware_written_at():
    with pytest.raises(ValueError, match="timezone-aware"):
        build_message(sender="a@example.jp", recipient_name="x", recipient_email="b@example.jp",
                      rendered=Rendered("s", "t", "<p>h</p>"), message_id="<m@example.jp>",
                      notice_id=1, language="ja", written_at=datetime(2021, 9, 16, 10, 30))


def test_email_message_itself_refuses_a_line_break_in_a_header():
    msg = EmailMessage(policy=SMTP)
    with pytest.raises(ValueError):
        msg["Subject"] = "abc\r\nBcc: evil@example.com"


@pytest.mark.parametrize("where", ["title", "rendered_subject", "recipient_name"])
def test_a_line_break_in_user_text_never_injects_a_header(where):
    evil = "abc\r\nBcc: evil@example.com"
    if where == "title":
        msg = decision_message(title=evil)
    elif where == "recipient_name":
        msg = decision_message(recipient_name=evil)
    else:  # bypass render()'s own clean-up: build_message must still hold
        msg = build_message(sender="kyodo@city.example.jp", recipient_name="山田 花子",
                            recipient_email="hanako@npo.example.org",
                            rendered=Rendered(evil, "本文", "<p>本文</p>"),
                            message_id="<notice-1.recipient-1@kyodo.city.example>",
                            notice_id=1, language="ja", written_at=SENT_AT)
    raw = msg.as_bytes(policy=SMTP)
    headers = raw.split(b"\r\n\r\n", 1)[0]
    assert not any(line.lower().startswith(b"bcc:") for line in headers.split(b"\r\n"))
    parsed = email.message_from_bytes(raw, policy=default)
    assert parsed["Bcc"] is None


def test_a_line_break_in_the_message_id_is_refused():
    with pytest.raises(ValueError):
        build_message(sender="a@example.jp", recipient_name="x", recipient_email="b@example.jp",
                      rendered=Rendered("s", "t", "<p>h</p>"), message_id="<m@example.jp>\r\nBcc: e@example.com",
                      notice_id=1, language="ja", written_at=SENT_AT)


# --- SMTP.


def test_smtp_delivers_once_with_headers_and_both_parts(smtp_server):
    capture = Capture()
    transport = smtp_server(capture)
    transport.send(decision_message())
    assert len(capture.envelopes) == 1
    envelope = capture.envelopes[0]
    assert envelope.mail_from == "kyodo@city.example.jp"
    assert envelope.rcpt_tos == ["hanako@npo.example.org"]
    raw = envelope.original_content or envelope.content
    assert b"=?utf-8?" in raw.split(b"\r\n\r\n", 1)[0]  # Japanese names go as RFC 2047 words
    received = email.message_from_bytes(raw, policy=default)
    assert received["Message-ID"] == "<notice-42.recipient-7@kyodo.city.example>"
    assert received["X-Kyodo-Notice"] == "42"
    assert received["Content-Language"] == "ja"
    assert received["To"].addresses[0].display_name == "山田 花子"
    assert received["To"].addresses[0].addr_spec == "hanako@npo.example.org"
    assert "（通知）" in received["Subject"]
    assert "市市協第566号" in received.get_body(("plain",)).get_content()
    assert "市市協第566号" in received.get_body(("html",)).get_content()


def test_smtp_english_message(smtp_server):
    capture = Capture()
    smtp_server(capture).send(decision_message(language="en"))
    received = email.message_from_bytes(capture.envelopes[0].content, policy=default)
    assert received["Content-Language"] == "en"
    assert "Article 10(2)" in received.get_body(("plain",)).get_content()


def test_smtp_recipient_refused_with_5xx_is_permanent(smtp_server):
    transport = smtp_server(RefuseRecipient("550 5.1.1 No such user here"))
    with pytest.raises(DeliveryError) as caught:
        transport.send(decision_message())
    assert caught.value.permanent is True
    assert "550" in caught.value.message


def test_smtp_recipient_refused_with_4xx_is_temporary(smtp_server):
    transport = smtp_server(RefuseRecipient("451 4.3.0 Mailbox temporarily unavailable"))
    with pytest.raises(DeliveryError) as caught:
        transport.send(decision_message())
    assert caught.value.permanent is False


@pytest.mark.parametrize("reply, permanent", [
    ("554 5.6.0 Message rejected", True),
    ("452 4.3.1 Insufficient system storage", False),
])
def test_smtp_data_refused(smtp_server, reply, permanent):
    transport = smtp_server(RefuseData(reply))
    with pytest.raises(DeliveryError) as caught:
        transport.send(decision_message())
    assert caught.value.permanent is permanent


def test_smtp_nothing_listening_is_temporary():
    transport = SmtpTransport(host="127.0.0.1", port=free_port(), timeout=2, local_hostname="localhost")
    with pytest.raises(DeliveryError) as caught:
        transport.send(decision_message())
    assert caught.value.permanent is False


def test_smtp_security_must_be_known():
    with pytest.raises(ValueError):
        SmtpTransport(security="ssl")


# --- Files.


def test_file_transport_writes_a_parseable_eml(tmp_path):
    FileTransport(tmp_path / "mail").send(decision_message())
    files = list((tmp_path / "mail").iterdir())
    assert [f.name for f in files] == ["notice-42.recipient-7_kyodo.city.example.eml".replace("_", "@")]
    parsed = email.message_from_bytes(files[0].read_bytes(), policy=default)
    assert parsed["Message-ID"] == "<notice-42.recipient-7@kyodo.city.example>"
    assert parsed["To"].addresses[0].display_name == "山田 花子"
    assert "第10条第2項" in parsed.get_body(("plain",)).get_content()
    assert parsed.get_body(("html",)) is not None


def test_file_transport_is_idempotent_per_message_id(tmp_path):
    transport = FileTransport(tmp_path)
    transport.send(decision_message())
    transport.send(decision_message())
    transport.send(decision_message(recipient_id=8))
    assert sorted(f.name for f in tmp_path.iterdir()) == [
        "notice-42.recipient-7@kyodo.city.example.eml",
        "notice-42.recipient-8@kyodo.city.example.eml",
    ]  # and no temporary files left behind


def test_file_transport_keeps_names_inside_its_directory():
    assert FileTransport.filename("<../../etc/passwd>") == "_.._etc_passwd.eml"
    assert "/" not in FileTransport.filename("<a/b\\c@d>")


def test_file_transport_needs_a_message_id(tmp_path):
    with pytest.raises(DeliveryError) as caught:
        FileTransport(tmp_path).send(EmailMessage())
    assert caught.value.permanent is True


def test_transport_from_settings(tmp_path):
    assert set(TRANSPORTS) == {"smtp", "file"}
    assert isinstance(transport_from_settings("file", directory=tmp_path), FileTransport)
    smtp = transport_from_settings("smtp", host="mail.example.jp", port=587, security="starttls",
                                   username="u", password="p", timeout=10)
    assert isinstance(smtp, SmtpTransport) and smtp.port == 587 and smtp.security == "starttls"
    with pytest.raises(ValueError, match="unknown mail transport"):
        transport_from_settings("carrier-pigeon")
