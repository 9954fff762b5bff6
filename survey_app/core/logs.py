"""Keep secret link tokens and e-mail addresses out of every log line (access logs included),
and keep each record on one line: control characters in a message are escaped, so ``%0d%0a`` in
a path cannot write a fake log line."""

from __future__ import annotations

import logging
import re

from survey_app.core.inputs import CONTROL

#: ``/s/<token>`` and ``/u/<token>`` paths: the token would tie a request to a person;
#: ``/password/set/<token>``: a staff member's single-use link to choose a password.
_TOKEN_IN_PATH = re.compile(r"(/[su]/|/password/set/)[A-Za-z0-9_.-]{6,}")
#: An e-mail address names a person: its local part is dropped, the domain kept for diagnosis.
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")


_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def escape_controls(text: str) -> str:
    """``text`` with control characters written as ``\\n``, ``\\r``, ``\\t`` or ``\\xNN``."""
    return CONTROL.sub(lambda m: _ESCAPES.get(m[0]) or f"\\x{ord(m[0]):02x}", text)


class EscapedLogRecord(logging.LogRecord):
    """A log record whose message (format and arguments together) has its control characters
    escaped; a traceback, added by the formatter, keeps its lines."""

    def getMessage(self) -> str:  # noqa: N802 (logging's name)
        return escape_controls(super().getMessage())


def install_control_escaping() -> None:
    """Make every log record of the process an :class:`EscapedLogRecord`, whatever logger or
    handler (Flask, gunicorn, werkzeug, huey) prints it. Leaves a custom factory alone."""
    if logging.getLogRecordFactory() is logging.LogRecord:
        logging.setLogRecordFactory(EscapedLogRecord)


def redact(text: str) -> str:
    """``text`` with link tokens replaced by ``…`` and e-mail addresses by ``…@domain``."""
    return _EMAIL.sub(r"…@\1", _TOKEN_IN_PATH.sub(r"\1…", text))


class RedactTokens(logging.Filter):
    """A logging filter that removes link tokens from the message and its arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: redact(v) if isinstance(v, str) else v
                           for k, v in record.args.items()}
        return True


def install_token_redaction(app_logger: logging.Logger) -> None:
    """Attach :class:`RedactTokens` to the loggers that print request lines, and to the
    handlers of ``app_logger``: a logger's own filters skip what its child loggers
    (``survey_app.responses.services`` …) pass up, its handlers' filters do not."""
    targets: list[logging.Filterer] = [logging.getLogger(name) for name in
                                       ("werkzeug", "gunicorn.access", "gunicorn.error")]
    for target in [*targets, app_logger, *app_logger.handlers]:
        if not any(isinstance(f, RedactTokens) for f in target.filters):
            target.addFilter(RedactTokens())
