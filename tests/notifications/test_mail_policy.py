"""The quicker folding of Japanese headers reads back as the same headers, within the limits."""

from __future__ import annotations

import email
from datetime import datetime, timezone
from email.message import EmailMessage
from email.policy import SMTP as STDLIB_SMTP
from email.policy import default

import pytest

from notifications.mail_policy import SMTP
from notifications.messages import build_message
from notifications.render import Rendered

SUBJECTS = [
    "受付のお知らせ",
    "市民協働事業の提案について（通知）：多世代が集う地域食堂と見守りネットワークづくり（市市協第56号）" * 2,
    "Re: 提案 \"川辺の清掃\" <第2期>, (NPO) ; 絵文字🌸も",
    "ｶﾀｶﾅ半角と全角スペース　を含む件名",
]
NAMES = ["山田 花子", "横浜市 市民協働推進課", "伊藤 教授（審査員）", "田中, \"誠\" <市民協働推進課>"]
# Too long for one encoded word: the standard library reads the pieces of a display name
# back with spaces between them, whichever policy wrote it; ours must read the same.
LONG_NAME = "長い名前" * 12


def _message(subject: str, name: str) -> EmailMessage:
    return build_message(sender="kyodo@city.example.jp", sender_name="横浜市 市民協働推進課", recipient_name=name,
                         recipient_email="hanako@npo.example.org", rendered=Rendered(subject, "本文", "<p>本文</p>"),
                         message_id="<notice-1.recipient-1@kyodo.city.example>", notice_id=1, language="ja",
                         written_at=datetime(2026, 4, 6, tzinfo=timezone.utc))


@pytest.mark.parametrize("subject", SUBJECTS)
@pytest.mark.parametrize("name", [*NAMES, LONG_NAME])
def test_a_message_reads_back_as_written_and_as_the_standard_policy_writes_it(subject, name):
    message = _message(subject, name)
    raw = message.as_bytes()
    header_block = raw.split(b"\r\n\r\n", 1)[0]
    for line in header_block.split(b"\r\n"):
        assert line.isascii() and len(line) <= 78, line
    ours = email.message_from_bytes(raw, policy=default)
    theirs = email.message_from_bytes(message.as_bytes(policy=STDLIB_SMTP), policy=default)
    assert ours["Subject"] == theirs["Subject"] == subject
    for header in ("From", "To"):
        assert ours[header].addresses == theirs[header].addresses
    if name != LONG_NAME:
        assert ours["To"].addresses[0].display_name == name
    assert ours["To"].addresses[0].addr_spec == "hanako@npo.example.org"
    assert ours.get_body(("plain",)).get_content() == theirs.get_body(("plain",)).get_content()


def test_the_policy_still_refuses_a_line_break_in_a_header():
    msg = EmailMessage(policy=SMTP)
    with pytest.raises(ValueError):
        msg["Subject"] = "件名\r\nBcc: evil@example.com"
    with pytest.raises(ValueError):
        msg["To"] = "山田 <a@example.jp>\nBcc: evil@example.com"
