"""A request id for every request, one log line per request, and JSON logs on demand.

The id is the client's ``X-Request-ID`` when it looks sane (a proxy's or load balancer's id,
so its logs and ours match), else a fresh random one; it goes back in the response header,
onto error pages and into every log line written while the request runs.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import sys
import time
from datetime import UTC, datetime

from flask import Flask, Response, g, has_request_context, request
from flask.logging import default_handler

from survey_app.core.logs import redact

HEADER = "X-Request-ID"
#: Accepted incoming ids: short, printable, nothing that could forge a log line or a header.
_SANE_ID = re.compile(r"[A-Za-z0-9._:-]{8,128}")
#: Fields a JSON line may carry besides time, level, logger and message.
_CONTEXT = ("request_id", "endpoint", "method", "status", "duration_ms", "user_id")

logger = logging.getLogger("survey_app.request")


def init_app(app: Flask) -> None:
    """Give each request its id, log it when it ends, and format logs as ``LOG_FORMAT`` says."""
    app.before_request(_start)
    app.after_request(_finish)
    app.context_processor(lambda: {"request_id": request_id()})
    if app.config["LOG_FORMAT"] == "json":
        use_json_logs(app)


def request_id() -> str | None:
    """This request's id, made on first use (``None`` outside a request): a hook registered
    before ours (CSRF, rate limits) may render an error page before :func:`_start` runs."""
    if not has_request_context():
        return None
    if "request_id" not in g:
        incoming = request.headers.get(HEADER, "")
        g.request_id = incoming if _SANE_ID.fullmatch(incoming) else secrets.token_hex(16)
    return g.request_id


def note_user(user_id: int) -> None:
    """Name the signed-in user on this request's log line (called when their session loads;
    asking Flask-Login here instead would load a user on every request, health checks too)."""
    g.log_user_id = user_id


def _start() -> None:
    request_id()
    g.request_start = time.perf_counter()


def elapsed_seconds() -> float:
    """Seconds since this request began (0 when it was refused before :func:`_start`)."""
    start = g.get("request_start")
    return time.perf_counter() - start if start is not None else 0.0


def _finish(response: Response) -> Response:
    response.headers[HEADER] = request_id()  # type: ignore[assignment]  # in a request
    endpoint = request.url_rule.endpoint if request.url_rule else None
    duration_ms = round(elapsed_seconds() * 1000, 2)
    user_id = g.get("log_user_id")
    logger.info("%s %s %s %.2f ms", request.method, endpoint or "-", response.status_code,
                duration_ms, extra={"endpoint": endpoint, "method": request.method,
                                    "status": response.status_code,
                                    "duration_ms": duration_ms, "user_id": user_id})
    return response


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the request's fields, and the
    traceback of an exception — with link tokens and e-mail addresses redacted."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        if has_request_context() and g.get("request_id"):
            entry["request_id"] = g.request_id
        entry.update({k: getattr(record, k) for k in _CONTEXT if getattr(record, k, None)
                      is not None})
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


def use_json_logs(app: Flask) -> None:
    """Send every logger's records (ours, Werkzeug's, the libraries') to standard error as
    JSON lines: one handler on the root logger, none of Flask's plain-text default."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [h for h in root.handlers if not isinstance(h.formatter, JsonFormatter)]
    root.addHandler(handler)
    root.setLevel(min(root.level or logging.INFO, logging.INFO))
    app.logger.removeHandler(default_handler)
