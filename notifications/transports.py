"""Ways a built e-mail leaves Kyodo: an SMTP relay, or ``.eml`` files in a directory.

One class per channel over a small base, as healthchecks does in ``hc/api/transports.py``:
``send`` returns when the message was handed over and raises ``DeliveryError`` when not.
The error says whether retrying can help, so the outbox retries a full mailbox but marks a
refused address failed at once and shows it to staff. ``send_many`` hands over a batch
(over one SMTP session) and says, message by message, which were not handed over and why:
one refused recipient fails only its own message.
"""

from __future__ import annotations

import os
import re
import smtplib
import ssl
import tempfile
import time
from collections.abc import Sequence
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path


class DeliveryError(Exception):
    def __init__(self, message: str, *, permanent: bool = False, unreachable: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        # The server could not be reached or dropped us, as opposed to answering "no".
        self.unreachable = unreachable


class NotAttempted(DeliveryError):
    """A message of a batch that was not begun: the batch ran out of time."""

    def __init__(self) -> None:
        super().__init__("not attempted: the batch ran out of time")


class Transport:
    def send(self, message: EmailMessage) -> None:
        raise NotImplementedError

    def send_many(self, messages: Sequence[EmailMessage], until: float | None = None) -> list[Exception | None]:
        """Hand over each message in turn; per message, None or the error that stopped it.

        ``until`` (a ``time.monotonic()`` value): the messages not begun by then are left
        alone and reported as ``NotAttempted``, so a slow server cannot keep a batch's rows
        claimed past their lease.
        """
        results: list[Exception | None] = []
        for message in messages:
            if until is not None and time.monotonic() > until:
                results.append(NotAttempted())
                continue
            try:
                self.send(message)
                results.append(None)
            except Exception as exc:  # noqa: BLE001 - the caller decides per message what an error means
                results.append(exc)
        return results


def _is_permanent(code: int) -> bool:
    return 500 <= code <= 599


def _reply(e: smtplib.SMTPResponseException) -> str:
    text = e.smtp_error.decode(errors="replace") if isinstance(e.smtp_error, bytes) else str(e.smtp_error)
    return f"{e.smtp_code} {text}"


class SmtpTransport(Transport):
    SECURITY = ("none", "starttls", "tls")

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 25,
        security: str = "none",
        username: str = "",
        password: str = "",
        timeout: float = 30.0,
        local_hostname: str | None = None,
    ) -> None:
        if security not in self.SECURITY:
            raise ValueError(f"security must be one of {self.SECURITY}, not {security!r}")
        self.host, self.port, self.security = host, port, security
        self.username, self.password, self.timeout = username, password, timeout
        # Without it smtplib asks DNS for our FQDN, which can stall on a badly set-up host.
        self.local_hostname = local_hostname
        # A worker keeps one session open between notices: connecting, EHLO, STARTTLS and
        # login cost more than the message itself.
        self._smtp: smtplib.SMTP | None = None

    def _session(self, check: bool = True) -> smtplib.SMTP:
        if self._smtp is not None and not check:
            return self._smtp
        if self._smtp is not None:
            try:
                if self._smtp.noop()[0] == 250:
                    return self._smtp
            except (smtplib.SMTPException, OSError):
                pass
            self.close()
        smtp = self._connect()
        try:
            if self.username:
                smtp.login(self.username, self.password)
        except BaseException:
            smtp.close()
            raise
        self._smtp = smtp
        return smtp

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()

    def _connect(self) -> smtplib.SMTP:
        if self.security == "tls":
            return smtplib.SMTP_SSL(self.host, self.port, local_hostname=self.local_hostname,
                                    timeout=self.timeout, context=ssl.create_default_context())
        smtp = smtplib.SMTP(self.host, self.port, local_hostname=self.local_hostname, timeout=self.timeout)
        if self.security == "starttls":
            try:
                smtp.starttls(context=ssl.create_default_context())
            except BaseException:
                smtp.close()
                raise
        return smtp

    def _send(self, message: EmailMessage, check: bool = True) -> dict:
        try:
            return self._session(check).send_message(message)
        except (smtplib.SMTPResponseException, smtplib.SMTPRecipientsRefused):
            # The server answered: the session is still usable once reset, for the rest of a batch.
            try:
                self._smtp.rset()
            except (smtplib.SMTPException, OSError, AttributeError):
                self.close()
            raise
        except BaseException:
            self.close()
            raise

    def send(self, message: EmailMessage, *, check: bool = True) -> None:
        """``check=False`` trusts a session that has just answered (the next message of a
        batch) instead of asking the server with NOOP first; a dropped one still fails."""
        where = f"{self.host}:{self.port}"
        try:
            refused = self._send(message, check)
        except smtplib.SMTPRecipientsRefused as e:
            codes = [code for code, _ in e.recipients.values()]
            raise DeliveryError(f"{where} refused every recipient: {e.recipients}",
                                permanent=all(_is_permanent(c) for c in codes)) from e
        except (smtplib.SMTPSenderRefused, smtplib.SMTPAuthenticationError) as e:
            # Our own sender or credentials: fixing the settings makes a retry succeed, so
            # the notice waits for the retries rather than failing for good at once.
            raise DeliveryError(f"{where} rejected our sender or login: {_reply(e)}") from e
        except smtplib.SMTPResponseException as e:
            # SMTPDataError and the rest: 5xx means this message will never be accepted.
            raise DeliveryError(f"{where} answered {_reply(e)}",
                                permanent=_is_permanent(e.smtp_code)) from e
        except (smtplib.SMTPException, OSError) as e:
            # Refused or dropped connections, timeouts and TLS failures: try again later.
            raise DeliveryError(f"{where} could not be reached: {e!r}", unreachable=True) from e
        if refused:
            # With several recipients the server may refuse some and accept the rest.
            codes = [code for code, _ in refused.values()]
            raise DeliveryError(f"{where} refused some recipients: {refused}",
                                permanent=all(_is_permanent(c) for c in codes))

    def send_many(self, messages: Sequence[EmailMessage], until: float | None = None) -> list[Exception | None]:
        """One session for the whole batch: checked once, then one transaction per message.

        A session dropped mid-batch is opened again for the next message; when that fails
        too the server is gone, and the rest of the batch gets the same error untried
        (each would have waited for its own connection timeout).
        """
        results: list[Exception | None] = []
        check, gone = True, 0
        for message in messages:
            if gone >= 2:
                results.append(results[-1])
                continue
            if until is not None and time.monotonic() > until:
                results.append(NotAttempted())
                continue
            try:
                self.send(message, check=check)
                results.append(None)
                gone = 0
            except DeliveryError as exc:
                results.append(exc)
                gone = gone + 1 if exc.unreachable else 0
            except Exception as exc:  # noqa: BLE001 - an address smtplib cannot encode fails this message only
                results.append(exc)
            check = False
        return results


class FileTransport(Transport):
    """Writes ``<directory>/<message-id>.eml``: for development, demos and tests.

    The name comes from the Message-ID, so a retried send overwrites its earlier copy
    instead of leaving a second one beside it.
    """

    def __init__(self, directory: str | os.PathLike) -> None:
        self.directory = Path(directory)

    @staticmethod
    def filename(message_id: str) -> str:
        stem = re.sub(r"[^A-Za-z0-9._@+-]", "_", message_id.strip().strip("<>"))
        return stem.lstrip(".") + ".eml"

    def send(self, message: EmailMessage) -> None:
        message_id = message["Message-ID"]
        if not message_id or not message_id.strip("<> "):
            raise DeliveryError("message has no Message-ID to name its file by", permanent=True)
        path = self.directory / self.filename(message_id)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            data = message.as_bytes(policy=SMTP)
            # Written beside the target and renamed into place, so a reader never sees half a
            # message and a crash leaves at most a stray temporary file.
            fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".", suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(data)
                    f.flush()
                    os.fsync(f.fileno())
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as e:
            raise DeliveryError(f"could not write {path}: {e!r}") from e


TRANSPORTS: dict[str, type[Transport]] = {"smtp": SmtpTransport, "file": FileTransport}


def transport_from_settings(kind: str, **options) -> Transport:
    """``transport_from_settings("smtp", host=..., port=...)``; options go to the class."""
    try:
        cls = TRANSPORTS[kind]
    except KeyError:
        raise ValueError(f"unknown mail transport {kind!r}; expected one of {', '.join(TRANSPORTS)}") from None
    return cls(**options)
