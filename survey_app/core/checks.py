"""The checks of ``polso check``: configuration, database, job broker and mail server.

Each check is a plain function of the app returning one :class:`Result`; the command
(``survey_app.cli``) prints one line per check (``ok`` / ``warning`` / ``error``) and exits 1
when any is an error. Nothing is changed but what connecting creates (a missing SQLite file,
huey's own tables) and the test e-mail of ``--send-test-to``. What each check demands is in the
README (Running in production).
"""

from __future__ import annotations

import runpy
import smtplib
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import psycopg
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from limits.storage import storage_from_string
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from survey_app.config import ROOT
from survey_app.core import mail
from survey_app.core.db import db
from survey_app.core.jobs import get_huey

#: Shortest secret key accepted outside development (``secrets.token_urlsafe(32)`` gives 43).
MIN_SECRET_KEY_LENGTH = 32
#: What a job broker or rate-limit store raises when it cannot be reached.
BROKER_ERRORS = (OSError, RedisError, sqlite3.Error, psycopg.Error)
_LOOPBACK = {"localhost", "127.0.0.1", "::1"}


@dataclass(frozen=True)
class Result:
    """The outcome of one check: ``level`` is ``ok``, ``warning`` or ``error``."""

    level: str
    name: str
    detail: str

    def line(self) -> str:
        return f"{self.level:<8}{self.name}: {self.detail}"


def ok(name: str, detail: str) -> Result:
    return Result("ok", name, detail)


def warning(name: str, detail: str) -> Result:
    return Result("warning", name, detail)


def error(name: str, detail: str) -> Result:
    return Result("error", name, detail)


def check_secret_key(app: Flask) -> Result:
    """Set and at least :data:`MIN_SECRET_KEY_LENGTH` characters, unless in debug mode."""
    key = str(app.config["SECRET_KEY"])
    if len(key) >= MIN_SECRET_KEY_LENGTH:
        return ok("secret key", f"set, {len(key)} characters")
    problem = (f"only {len(key)} characters: use at least {MIN_SECRET_KEY_LENGTH}, e.g. "
               "`python3 -c 'import secrets; print(secrets.token_urlsafe(48))'`")
    return warning("secret key", f"{problem} (debug mode)") if app.debug else error(
        "secret key", problem)


def check_base_url(app: Flask) -> Result:
    """An absolute http(s) address; https when ``FORCE_HTTPS`` (links would be plain HTTP)."""
    url = urlsplit(str(app.config["BASE_URL"]))
    if url.scheme not in ("http", "https") or not url.hostname:
        return error("base URL", f"{app.config['BASE_URL']!r} is not an http(s) address")
    if url.scheme == "https":
        return ok("base URL", url.geturl())
    if app.config["FORCE_HTTPS"]:
        return error("base URL", f"{url.geturl()} is plain HTTP but POLSO_FORCE_HTTPS is on: "
                                 "e-mailed links must start with https://")
    if url.hostname not in _LOOPBACK:
        return warning("base URL", f"{url.geturl()}: e-mailed links are plain HTTP")
    return ok("base URL", f"{url.geturl()} (this machine only)")


def check_database(app: Flask) -> Result:
    """Reachable, and its schema at the head revision of ``migrations/``; a revision this code
    does not know is newer code's (after a rollback: fine for expand-only migrations)."""
    scripts = ScriptDirectory(str(ROOT / "migrations"))
    heads = set(scripts.get_heads())
    known = {script.revision for script in scripts.walk_revisions()}
    with app.app_context():
        where = db.engine.url.render_as_string(hide_password=True)
        try:
            with db.engine.connect() as connection:
                current = set(MigrationContext.configure(connection).get_current_heads())
        except SQLAlchemyError as problem:
            return error("database", f"{where} unreachable: {_first_line(problem)}")
        finally:
            db.engine.dispose()
    if current == heads:
        return ok("database", f"{where} reachable, at head {', '.join(sorted(heads))}")
    if current - known:
        return warning("database", f"{where} is at {', '.join(sorted(current - known))}, newer "
                                   "than this code: fine only after an expand-only upgrade "
                                   "(docs/upgrading.md)")
    at = f"at {', '.join(sorted(current))}" if current else "not migrated"
    return error("database", f"{where} is {at}, not at head {', '.join(sorted(heads))}: "
                             "run `polso db upgrade`")


def check_jobs(app: Flask) -> Result:
    """The job broker of ``JOBS_URL`` answers (counts the queued jobs)."""
    if app.config["JOBS_IMMEDIATE"]:
        return warning("job broker", "POLSO_JOBS_IMMEDIATE: jobs run inside web requests")
    where = _without_password(app.config["JOBS_URL"]) or "SQLite file instance/jobs.sqlite3"
    try:
        pending = get_huey(app).pending_count()
    except BROKER_ERRORS as problem:
        return error("job broker", f"{where} unreachable: {_first_line(problem)}")
    return ok("job broker", f"{where} reachable, {pending} job(s) waiting")


def check_mail(app: Flask, send_test_to: str | None = None) -> Result:
    """The SMTP server accepts a session (with TLS and login as configured); optionally sends
    a test message to ``send_test_to``."""
    server = app.config["MAIL_SERVER"]
    where = f"{server}:{app.config['MAIL_PORT']}" if server else "no MAIL_SERVER"
    try:
        with app.app_context(), mail.connect() as connection:
            if send_test_to:
                connection.send(mail.build_message(
                    to=send_test_to, subject="Polso: test e-mail",
                    text="This message was sent by `polso check --send-test-to`: "
                         "Polso's mail settings work."))
    except (OSError, smtplib.SMTPException) as problem:
        return error("mail", f"{where} refused or unreachable: {_first_line(problem)}")
    if not server:
        written = f"; test e-mail to {send_test_to} written there" if send_test_to else ""
        return warning("mail", f"no MAIL_SERVER: e-mails are only written to the outbox "
                               f"folder{written}")
    sent = f"; test e-mail to {send_test_to} accepted" if send_test_to else ""
    return ok("mail", f"{where} accepted a session{sent}")


def check_rate_limits(app: Flask) -> Result:
    """Shared storage when more than one web process serves (gunicorn.conf.py's count)."""
    if not app.config["RATELIMIT_ENABLED"]:
        return warning("rate limits", "POLSO_RATELIMIT_ENABLED is off")
    uri = app.config["RATELIMIT_STORAGE_URI"]
    if uri.startswith("memory://"):
        workers = runpy.run_path(str(ROOT / "gunicorn.conf.py"))["workers"]
        if workers > 1:
            return warning("rate limits", f"memory:// counts per process and gunicorn starts "
                                          f"{workers}: set POLSO_RATELIMIT_STORAGE_URI to a "
                                          "shared store such as redis://…")
        return ok("rate limits", "memory:// (one web process)")
    where = _without_password(uri)
    try:
        reachable = storage_from_string(uri).check()
    except BROKER_ERRORS:
        reachable = False
    if not reachable:
        return error("rate limits", f"{where} unreachable")
    return ok("rate limits", f"{where} reachable")


def check_proxies(app: Flask) -> Result:
    """``TRUSTED_PROXIES`` set when ``FORCE_HTTPS`` says a TLS proxy stands in front."""
    proxies = app.config.get("TRUSTED_PROXIES", 0)
    if app.config["FORCE_HTTPS"] and not proxies:
        return warning("proxies", "POLSO_FORCE_HTTPS is on (a TLS proxy in front) but "
                                  "POLSO_TRUSTED_PROXIES is 0: every client has the proxy's "
                                  "address, so per-address limits count everyone together")
    return ok("proxies", f"{proxies} trusted proxy(ies)" if proxies else "no proxy in front")


CHECKS: tuple[Callable[[Flask], Result], ...] = (
    check_secret_key, check_base_url, check_database, check_jobs, check_rate_limits,
    check_proxies,
)


def run_checks(app: Flask, *, send_test_to: str | None = None) -> list[Result]:
    """Every check of ``app``, in a fixed order; the mail check sends to ``send_test_to``."""
    return [*(check(app) for check in CHECKS), check_mail(app, send_test_to)]


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@")).geturl()


def _first_line(problem: BaseException) -> str:
    return (str(problem).strip().splitlines() or [type(problem).__name__])[0][:200]
