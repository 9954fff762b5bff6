"""``polso check`` as an operator runs it: a real subprocess configured by environment variables,
against the suite's database (SQLite or PostgreSQL), Redis, and the aiosmtpd server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import flask_migrate
import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from flask import Flask

from survey_app import create_app
from survey_app.config import ROOT
from survey_app.core import checks
from survey_app.core.db import db
from tests.conftest import SMTPRecorder

REDIS = "redis://127.0.0.1:6379/8"
GOOD_KEY = "k" * 48


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def polso_check(settings: dict[str, str], *args: str) -> tuple[int, dict[str, str]]:
    """Run ``polso check`` with only ``settings`` as its POLSO_* environment; its exit code and
    ``{check name: line}``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POLSO_", "FLASK_"))}
    env.update(settings)
    polso = Path(sys.executable).parent / "polso"
    done = subprocess.run([str(polso), "check", *args], env=env, capture_output=True, text=True,
                          timeout=120)
    assert "Traceback" not in done.stderr, done.stderr
    lines = {line[8:].split(":", 1)[0]: line for line in done.stdout.splitlines()}
    return done.returncode, lines


@pytest.fixture
def good(app: Flask, database_url: str, smtp_server: SMTPRecorder) -> dict[str, str]:
    """A production-like configuration where every check passes."""
    return {
        "POLSO_SECRET_KEY": GOOD_KEY,
        "POLSO_DATABASE_URL": database_url,
        "POLSO_BASE_URL": "https://polso.example.com",
        "POLSO_FORCE_HTTPS": "true",
        "POLSO_TRUSTED_PROXIES": "1",
        "POLSO_JOBS_URL": REDIS,
        "POLSO_RATELIMIT_STORAGE_URI": REDIS,
        "POLSO_MAIL_SERVER": "127.0.0.1",
        "POLSO_MAIL_PORT": str(app.config["MAIL_PORT"]),
        "WEB_CONCURRENCY": "4",
    }


@pytest.fixture
def scratch_app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """An app on a database of its own, not migrated (a new SQLite file or PostgreSQL schema)."""
    url, engine = f"sqlite:///{tmp_path / 'scratch.sqlite3'}", None
    if database_url.startswith("postgresql"):
        engine = sa.create_engine(database_url)
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA IF EXISTS check_scratch CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA check_scratch"))
        url = f"{database_url}?options=-csearch_path%3Dcheck_scratch"
    scratch = create_app({"TESTING": True, "SECRET_KEY": GOOD_KEY, "DATABASE_URL": url})
    yield scratch
    with scratch.app_context():
        db.engine.dispose()
    if engine is not None:
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA check_scratch CASCADE"))
        engine.dispose()


@pytest.fixture
def behind_head(scratch_app: Flask) -> str:
    """The URL of a database migrated to the revision before head."""
    scripts = ScriptDirectory(str(ROOT / "migrations"))
    with scratch_app.app_context():
        flask_migrate.upgrade(revision=scripts.get_revision(scripts.get_current_head())
                              .down_revision)
        db.engine.dispose()
    return scratch_app.config["DATABASE_URL"]


def test_good_configuration_passes_every_check(good):
    code, lines = polso_check(good)
    assert code == 0, lines
    assert set(lines) == {"secret key", "base URL", "database", "job broker", "rate limits",
                          "proxies", "mail"}
    assert all(line.startswith("ok ") for line in lines.values()), lines
    assert "at head" in lines["database"]


def test_send_test_to_delivers_through_the_mail_server(good, smtp_server):
    code, lines = polso_check(good, "--send-test-to", "ops@example.com")
    assert code == 0, lines
    assert "test e-mail to ops@example.com accepted" in lines["mail"]
    [message] = smtp_server.to("ops@example.com")
    assert "polso check" in message.get_body(("plain",)).get_content()


def test_send_test_to_refuses_a_bad_address(good):
    code, lines = polso_check(good, "--send-test-to", "not-an-address")
    assert code == 2


def test_broken_configuration_reports_each_problem_and_fails(good, behind_head):
    closed = _closed_port()
    code, lines = polso_check({
        **good,
        "POLSO_SECRET_KEY": "short",
        "POLSO_BASE_URL": "http://polso.example.com",
        "POLSO_TRUSTED_PROXIES": "0",
        "POLSO_DATABASE_URL": behind_head,
        "POLSO_JOBS_URL": f"redis://127.0.0.1:{closed}/8",
        "POLSO_RATELIMIT_STORAGE_URI": "memory://",
        "POLSO_MAIL_PORT": str(closed),
    })
    assert code == 1
    for name in ("secret key", "base URL", "database", "job broker", "mail"):
        assert lines[name].startswith("error "), lines[name]
    for name in ("rate limits", "proxies"):
        assert lines[name].startswith("warning "), lines[name]
    assert "polso db upgrade" in lines["database"]
    assert "gunicorn starts 4" in lines["rate limits"]


def test_unreachable_database_and_rate_limit_store_are_errors(good):
    closed = _closed_port()
    code, lines = polso_check({
        **good,
        "POLSO_DATABASE_URL": f"postgresql+psycopg://polso:secret@127.0.0.1:{closed}/polso",
        "POLSO_RATELIMIT_STORAGE_URI": f"redis://127.0.0.1:{closed}",
    })
    assert code == 1
    assert lines["database"].startswith("error ") and "unreachable" in lines["database"]
    assert "secret" not in lines["database"]
    assert lines["rate limits"].startswith("error ")


def test_a_refused_start_is_one_error_line(good):
    settings = {k: v for k, v in good.items() if k != "POLSO_SECRET_KEY"}
    code, lines = polso_check(settings)
    assert code == 1
    assert list(lines) == ["settings"]
    assert "POLSO_SECRET_KEY" in lines["settings"]


@pytest.mark.parametrize(("settings", "level"), [
    ({"SECRET_KEY": "short", "DEBUG": True}, "warning"),
    ({"SECRET_KEY": "short"}, "error"),
    ({"SECRET_KEY": GOOD_KEY}, "ok"),
])
def test_a_short_secret_key_is_an_error_outside_debug_mode(database_url, settings, level):
    app = create_app({"DATABASE_URL": database_url, **settings})
    assert checks.check_secret_key(app).level == level


@pytest.mark.parametrize(("address", "force_https", "level"), [
    ("https://polso.example.com", True, "ok"),
    ("http://127.0.0.1:5000", False, "ok"),
    ("http://polso.example.com", False, "warning"),
    ("http://polso.example.com", True, "error"),
    ("polso.example.com", False, "error"),
])
def test_base_url_must_be_https_when_forced(database_url, address, force_https, level):
    app = create_app({"SECRET_KEY": GOOD_KEY, "DATABASE_URL": database_url,
                      "BASE_URL": address, "FORCE_HTTPS": force_https})
    assert checks.check_base_url(app).level == level


def test_a_database_newer_than_the_code_is_a_warning(scratch_app):
    """After an expand-only upgrade the previous code may run on the new schema (rollback)."""
    with scratch_app.app_context():
        flask_migrate.upgrade()
        with db.engine.begin() as conn:
            conn.execute(sa.text("UPDATE alembic_version SET version_num = 'ffffffffffff'"))
    result = checks.check_database(scratch_app)
    assert result.level == "warning"
    assert "ffffffffffff" in result.detail and "newer" in result.detail
