"""Build the e-mail for one notice and one recipient.

Headers are set only through ``EmailMessage`` and ``Address``, never by string
formatting: they encode Japanese display names (RFC 2047) and refuse CR/LF, so text a
citizen typed into a proposal title can never add a header of its own. The message's
policy is ``email.policy.SMTP`` with a quicker fold of Japanese headers
(``notifications.mail_policy``).
"""

from __future__ import annotations

from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from notifications.mail_policy import SMTP
from notifications.render import Rendered, normalise_language, single_line
from workflow.calendar.clock import JST


def message_id_for(notice_id: int, recipient_id: int, domain: str) -> str:
    """``<notice-42.recipient-7@kyodo.city.example>``.

    Derived from the notice, not random, so a retried send carries the same Message-ID and
    a receiving server or the file transport can recognise it as the same message.
    """
    if not (isinstance(notice_id, int) and isinstance(recipient_id, int)):
        raise TypeError("notice_id and recipient_id must be integers")
    if not domain or any(c.isspace() or c in "<>@" for c in domain):
        raise ValueError(f"not a usable Message-ID domain: {domain!r}")
    return f"<notice-{notice_id}.recipient-{recipient_id}@{domain}>"


def build_message(
    *,
    sender: str,
    recipient_name: str,
    recipient_email: str,
    rendered: Rendered,
    message_id: str,
    notice_id: int,
    language: str,
    written_at: datetime,
    sender_name: str = "",
) -> EmailMessage:
    """A multipart/alternative message: the plain text first, the HTML preferred.

    ``written_at`` is when the notice was written to the outbox, with the change that
    caused it: the moment the message was complete and ready to go (the Date of RFC 5322
    §3.6.1). Each notice so carries its own Date, in Japan time, and a copy sent again
    after a lost acknowledgement is the same message, Date and Message-ID alike.
    """
    if written_at.tzinfo is None or written_at.utcoffset() is None:
        raise ValueError("written_at must be timezone-aware: a Date header needs its offset")
    msg = EmailMessage(policy=SMTP)
    # Stripping is the first guard; EmailMessage refusing CR/LF is the second.
    msg["Subject"] = single_line(rendered.subject)
    # As text, so that a sender or recipient seen before is not parsed again (mail_policy).
    msg["From"] = str(Address(display_name=single_line(sender_name), addr_spec=sender))
    msg["To"] = str(Address(display_name=single_line(recipient_name), addr_spec=recipient_email))
    msg["Date"] = format_datetime(written_at.astimezone(JST))
    msg["Message-ID"] = message_id
    msg["X-Kyodo-Notice"] = str(int(notice_id))
    # RFC 3834: tells vacation responders and ticket systems not to answer a robot.
    msg["Auto-Submitted"] = "auto-generated"
    # 8bit bodies need every relay to speak 8BITMIME; base64 passes any of them.
    msg.set_content(rendered.text, cte=None if rendered.text.isascii() else "base64")
    msg.add_alternative(rendered.html, subtype="html", cte=None if rendered.html.isascii() else "base64")
    # Set last: add_alternative moves every Content-* header down into the first part.
    msg["Content-Language"] = normalise_language(language)
    return msg
