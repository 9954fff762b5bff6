"""Outgoing e-mail through Flask-Mail: one SMTP connection per batch, text + HTML parts.

Without ``MAIL_SERVER`` nothing leaves the machine: each message is logged and written to
``instance/outbox/*.eml`` (open it with any mail program). SMTP errors are classified so callers
can retry temporary ones (4xx, dropped connections) and stop on permanent ones (5xx).
"""

from __future__ import annotations

import email.policy
import hashlib
import hmac
import itertools
import logging
import secrets
import smtplib
import socket
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from email.utils import make_msgid
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

from flask import current_app
from flask_mail import BadHeaderError, Mail, Message

from survey_app.core.inputs import one_line

logger = logging.getLogger(__name__)

mail = Mail()


def init_app(app) -> None:  # type: ignore[no-untyped-def]
    mail.init_app(app)


class Connection(Protocol):
    def send(self, message: Message) -> None: ...


@dataclass(frozen=True)
class MailError:
    """Why a message was not accepted: ``permanent`` (5xx: do not retry) and whether it is a
    **bounce** (the recipient address itself was refused) or a problem on our side."""

    permanent: bool
    is_bounce: bool
    reason: str
    #: The connection can no longer be used (reconnect before the next message).
    is_broken: bool = False


#: Flask-Mail has already encoded every header; the compat32 generator then writes the same
#: bytes as ``policy.SMTP`` at half the CPU (no header re-parsing).
_WIRE_POLICY = email.policy.compat32.clone(linesep="\r\n")


class PolsoMessage(Message):
    """A Flask-Mail message serialised with :data:`_WIRE_POLICY`."""

    def as_bytes(self) -> bytes:
        message = self._message()
        for part in message.walk():
            if part.is_multipart():
                # A random boundary set up front: the generator would otherwise compile a new
                # regular expression per part to check its own against the text (base64 here).
                part.set_boundary(f"=_polso_{secrets.token_hex(16)}")
        return message.as_bytes(policy=_WIRE_POLICY)


def build_message(
    *,
    to: str,
    subject: str,
    text: str,
    html: str | None = None,
    headers: Mapping[str, str] | None = None,
    sender: str | None = None,
    to_name: str = "",
) -> Message:
    """A multipart (text + HTML) message; ``headers`` such as ``List-Unsubscribe`` are added.

    Header values never carry a line break or other control character (a survey title typed
    with one, before such titles were refused, would fail every send): each becomes a space.
    """
    to_name = one_line(to_name)
    message = PolsoMessage(subject=one_line(subject),
                           recipients=[(to_name, to) if to_name else to], body=text, html=html,
                           sender=sender and one_line(sender),
                           extra_headers={k: one_line(v) for k, v in (headers or {}).items()})
    # Flask-Mail calls make_msgid() without a domain, i.e. a DNS lookup per message.
    message.msgId = make_msgid(domain=_message_id_domain())
    return message


def message_id(key: str) -> str:
    """The ``Message-ID`` of the message ``key`` (e.g. ``invitation_emails:42``): the same at
    every send, so a copy sent again after an interrupted send can be recognised as a duplicate,
    and opaque (an HMAC with ``SECRET_KEY``: it reveals no row number)."""
    secret = current_app.config["SECRET_KEY"]
    secret = secret if isinstance(secret, bytes) else str(secret).encode()
    digest = hmac.new(secret, f"message-id:{key}".encode(), hashlib.sha256).hexdigest()[:32]
    return f"<{digest}@{_message_id_domain()}>"


def _message_id_domain() -> str:
    return urlsplit(current_app.config["BASE_URL"]).hostname or "polso.invalid"


class OutboxConnection:
    """Writes messages to ``instance/outbox/`` and the log instead of sending them."""

    _counter = itertools.count(1)

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    def send(self, message: Message) -> None:
        if message.has_bad_headers():
            raise BadHeaderError()
        if message.date is None:
            message.date = time.time()
        stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime(message.date))
        path = self.folder / f"{stamp}-{next(self._counter):06d}-{abs(hash(message.msgId))}.eml"
        path.write_bytes(message.as_bytes())
        logger.info("e-mail %r to %s written to %s (no MAIL_SERVER configured)",
                    message.subject, ", ".join(map(str, message.recipients)), path)


@contextmanager
def connect() -> Iterator[Connection]:
    """One connection for a batch: SMTP when ``MAIL_SERVER`` is set, else the outbox folder.

    :raises OSError, smtplib.SMTPException: the server cannot be reached (temporary).
    """
    if not current_app.config.get("MAIL_SERVER"):
        folder = current_app.config.get("MAIL_OUTBOX_DIR") or Path(current_app.instance_path,
                                                                    "outbox")
        yield OutboxConnection(Path(folder))
        return
    connection = mail.connect()
    connection.__enter__()
    try:
        yield connection
    finally:
        close_quietly(connection)


def close_quietly(connection: Connection) -> None:
    """QUIT the SMTP session; a connection the server already dropped is just forgotten."""
    host = getattr(connection, "host", None)
    if host is None:
        return
    try:
        host.quit()
    except (smtplib.SMTPException, OSError):
        host.close()
    connection.host = None  # type: ignore[attr-defined]


def send_email(message: Message) -> None:
    """Send one message on its own connection (for single notifications)."""
    with connect() as connection:
        connection.send(message)


def classify(error: Exception) -> MailError:
    """Turn an exception from :meth:`Connection.send` into a :class:`MailError`."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        code, text = next(iter(error.recipients.values()), (450, b""))
        reason = f"{code} {_text(text)}"
        return MailError(permanent=code >= 500, is_bounce=code >= 500, reason=reason)
    if isinstance(error, smtplib.SMTPSenderRefused):
        # Our From: address was refused: a configuration problem, never the person's fault.
        return MailError(permanent=False, is_bounce=False,
                         reason=f"sender refused: {error.smtp_code} {_text(error.smtp_error)}")
    if isinstance(error, smtplib.SMTPResponseException):
        code = error.smtp_code
        reason = f"{code} {_text(error.smtp_error)}"
        # A single-recipient message refused after DATA with 5xx: a bounce (e.g. 550 no mailbox).
        return MailError(permanent=code >= 500, is_bounce=code >= 500, reason=reason,
                         is_broken=code == 421)
    if isinstance(error, BadHeaderError):
        return MailError(permanent=True, is_bounce=False, reason="header contains a line break")
    if isinstance(error, (smtplib.SMTPServerDisconnected, smtplib.SMTPException, OSError,
                          socket.timeout)):
        return MailError(permanent=False, is_bounce=False,
                         reason=f"{type(error).__name__}: {error}"[:300], is_broken=True)
    raise error


def _text(value: bytes | str) -> str:
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    return " ".join(text.split())[:300]
