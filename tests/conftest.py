"""Test set-up: one database per run built by the migrations, a SAVEPOINT per test.

``POLSO_DATABASE_URL`` (e.g. ``postgresql+psycopg://postgres@127.0.0.1:5432/test``) runs the
suite on that database — its ``public`` schema is dropped and rebuilt; otherwise a temporary
SQLite file is used.
"""

from __future__ import annotations

import itertools
import os
import re
import threading
from collections.abc import Callable, Iterator
from typing import Any

import flask_migrate
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_sqlalchemy.session import _app_ctx_id
from sqlalchemy.orm import scoped_session, sessionmaker
from werkzeug.serving import BaseWSGIServer, make_server

from survey_app import create_app
from survey_app.core.db import db
from survey_app.extensions import limiter
from survey_app.invitations.services import create_invitation
from survey_app.people.services import get_or_create_person
from survey_app.surveys.models import Survey
from survey_app.surveys.services import create_survey
from survey_app.webhooks.events import forget_targets

CSRF_PATTERN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def _reset_postgres(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("POLSO_DATABASE_URL")
    if url and url.startswith("postgresql"):
        _reset_postgres(url)
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'polso-test.sqlite3'}"


@pytest.fixture(scope="session")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    app = create_app({
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "DATABASE_URL": database_url,
        "SESSION_COOKIE_SECURE": False,
        "RATELIMIT_STORAGE_URI": "memory://",
        "BASE_URL": "http://polso.test",
        # Jobs run at once in the test's process; e-mails go to a temporary outbox unless a
        # test points MAIL_SERVER at the ``smtp_server`` fixture.
        "JOBS_IMMEDIATE": True,
        # Tests post a form right after loading it; the "too fast" rule has its own tests.
        "MIN_ANSWER_SECONDS": 0,
        "MAIL_OUTBOX_DIR": str(tmp_path_factory.mktemp("outbox")),
    })
    with app.app_context():
        flask_migrate.upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _isolate(request: pytest.FixtureRequest, app: Flask) -> Iterator[None]:
    """Roll back everything a test wrote; ``live`` tests commit for real and are wiped after.
    The process's list of webhook endpoints is forgotten: the previous test's are gone."""
    limiter.reset()
    with app.app_context():
        forget_targets()
    if request.node.get_closest_marker("live"):
        yield
        _wipe(app)
        return
    with app.app_context():
        connection = db.engine.connect()
    transaction = connection.begin()
    original = db.session
    db.session = scoped_session(
        sessionmaker(bind=connection, join_transaction_mode="create_savepoint"),
        scopefunc=_app_ctx_id,
    )
    try:
        yield
    finally:
        db.session = original
        transaction.rollback()
        connection.close()


def _wipe(app: Flask) -> None:
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())


@pytest.fixture
def app_ctx(app: Flask) -> Iterator[None]:
    """An app context for service tests (not for tests that use the test client)."""
    with app.app_context():
        yield


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


_slugs = itertools.count(1)


@pytest.fixture
def make_survey(app: Flask) -> Callable[..., int]:
    """``make_survey(kind="nps", status=…, edit_window_hours=…, **create_options) -> id``."""

    def make(kind: str = "nps", *, settings: dict[str, Any] | None = None,
             **options: Any) -> int:
        options.setdefault("title", f"{kind.upper()} survey")
        options.setdefault("slug", f"{kind}-{next(_slugs)}")
        with app.app_context():
            survey = create_survey(kind=kind, **options)
            for name, value in (settings or {}).items():
                setattr(survey, name, value)
            db.session.commit()
            return survey.id

    return make


@pytest.fixture
def make_link(app: Flask) -> Callable[..., str]:
    """``make_link(survey_id, email=…, locale=…, attributes=…) -> token`` (committed)."""
    emails = itertools.count(1)

    def make(survey_id: int, *, email: str | None = None, locale: str = "en",
             attributes: dict[str, str] | None = None) -> str:
        with app.app_context():
            survey = db.session.get(Survey, survey_id)
            kind = "employee" if survey.audience == "employees" else "customer"
            person = get_or_create_person(email or f"person{next(emails)}@example.com",
                                          kind=kind, locale=locale, attributes=attributes)
            _, token = create_invitation(survey, person)
            db.session.commit()
            return token

    return make


def csrf_token(html: str) -> str:
    match = CSRF_PATTERN.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1)


@pytest.fixture
def submit(client: FlaskClient) -> Callable[..., Any]:
    """GET the page for its CSRF token, then POST ``data`` (a dict or list of pairs).

    A page without a form reuses the session's last token, as a browser tab left open would.
    """
    seen: list[str] = []

    def post(url: str, data: dict[str, Any] | list[tuple[str, Any]], **kwargs: Any) -> Any:
        html = client.get(url).get_data(as_text=True)
        if CSRF_PATTERN.search(html):
            seen.append(csrf_token(html))
        pairs = list(data.items()) if isinstance(data, dict) else list(data)
        if not any(k == "csrf_token" for k, _ in pairs):
            pairs.append(("csrf_token", seen[-1]))
        from werkzeug.datastructures import MultiDict

        return client.post(url, data=MultiDict(pairs), **kwargs)

    return post


class LiveServer:
    """The app served over real HTTP on 127.0.0.1 in a background thread."""

    def __init__(self, app: Flask) -> None:
        self.server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.thread.join(5)


@pytest.fixture
def live_server(app: Flask) -> Iterator[LiveServer]:
    """Use with ``@pytest.mark.live``: data must be committed for the server to see it."""
    with LiveServer(app) as server:
        yield server


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Debian's Chromium, never a downloaded browser."""
    return {
        **browser_type_launch_args,
        "executable_path": "/usr/bin/chromium",
        "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"],
    }


# --- staff accounts (accounts feature) -------------------------------------------------------

DEFAULT_PASSWORD = "correct horse battery"
_user_numbers = itertools.count(1)
_password_hashes: dict[str, str] = {}


def _hash_once(password: str) -> str:
    """argon2id costs ~150 ms: hash each test password once per run."""
    from survey_app.accounts.services import hash_password

    if password not in _password_hashes:
        _password_hashes[password] = hash_password(password)
    return _password_hashes[password]


@pytest.fixture
def make_user(app: Flask) -> Callable[..., int]:
    """``make_user(role="admin", email=None, password=…, **columns) -> user id`` (committed)."""
    from survey_app.accounts.models import User

    def make(role: str = "admin", email: str | None = None, password: str = DEFAULT_PASSWORD,
             **columns: Any) -> int:
        email = email or f"{role}{next(_user_numbers)}@staff.example.com"
        with app.app_context():
            user = User(email=email.lower(), role=role, password_hash=_hash_once(password),
                        **columns)
            db.session.add(user)
            db.session.commit()
            return user.id

    return make


@pytest.fixture
def login(make_user: Callable[..., int]) -> Callable[..., int]:
    """``login(client, role="admin", **make_user_options) -> user id`` through the real form."""

    def sign_in(client: FlaskClient, role: str = "admin", **options: Any) -> int:
        from survey_app.accounts.models import User

        user_id = make_user(role, **options)
        with client.application.app_context():
            email = db.session.get(User, user_id).email
        html = client.get("/login").get_data(as_text=True)
        response = client.post("/login", data={
            "email": email, "password": options.get("password", DEFAULT_PASSWORD),
            "csrf_token": csrf_token(html)})
        assert response.status_code == 303, response.get_data(as_text=True)[:500]
        return user_id

    return sign_in


# --- Distribution (issue 6): a real SMTP server, job errors surfaced -------------------------


class SMTPRecorder:
    """aiosmtpd handler: keeps every message (parsed with ``email.policy.default``) and refuses
    the recipients listed in ``refuse`` with the given reply (e.g. ``"550 5.1.1 no mailbox"``).

    A slow server: ``delay`` seconds before each reply. A stuck one: the next message to an
    address in ``held`` gets no reply until that event is set (``holding`` is set meanwhile).
    A message is kept when it is accepted, i.e. just before the ``250`` reply.
    """

    def __init__(self) -> None:
        self.messages: list[Any] = []
        self.refuse: dict[str, str] = {}
        self.sessions = 0
        self.delay = 0.0
        self.held: dict[str, threading.Event] = {}
        self.holding = threading.Event()

    async def handle_EHLO(self, server: Any, session: Any, envelope: Any, hostname: str,
                          responses: list[str]) -> list[str]:
        self.sessions += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        import asyncio
        import email
        import email.policy

        if self.delay:
            await asyncio.sleep(self.delay)
        for address in envelope.rcpt_tos:
            gate = self.held.pop(address, None)
            if gate is not None:
                self.holding.set()
                await asyncio.get_running_loop().run_in_executor(None, gate.wait)
        message = email.message_from_bytes(envelope.original_content or envelope.content,
                                           policy=email.policy.default)
        self.messages.append(message)
        return "250 Message accepted for delivery"

    def reset(self) -> None:
        self.messages.clear()
        self.refuse.clear()
        self.sessions = 0
        self.delay = 0.0
        for gate in self.held.values():
            gate.set()
        self.held.clear()
        self.holding.clear()

    def to(self, address: str) -> list[Any]:
        return [m for m in self.messages if address in m["To"]]


@pytest.fixture(scope="session")
def _smtp_controller() -> Iterator[tuple[Any, SMTPRecorder]]:
    import socket

    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    recorder = SMTPRecorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    yield controller, recorder
    controller.stop()


@pytest.fixture
def smtp_server(app: Flask, _smtp_controller: tuple[Any, SMTPRecorder]) -> Iterator[SMTPRecorder]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 that the app sends to during the test."""
    from survey_app.core import mail

    controller, recorder = _smtp_controller
    recorder.reset()
    saved = {k: app.config.get(k) for k in ("MAIL_SERVER", "MAIL_PORT")}
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port)
    mail.init_app(app)
    try:
        yield recorder
    finally:
        app.config.update(saved)
        mail.init_app(app)


@pytest.fixture(autouse=True)
def _job_errors_fail_the_test(app: Flask) -> Iterator[None]:
    """huey logs and swallows a job's exception even in immediate mode: fail the test instead."""
    from huey.signals import SIGNAL_ERROR

    from survey_app.core.jobs import get_huey

    errors: list[BaseException] = []
    huey = get_huey(app)

    def collect(signal: str, task: Any, exc: BaseException | None = None) -> None:
        errors.append(exc or RuntimeError(f"job {task} failed"))

    huey.signal(SIGNAL_ERROR)(collect)
    try:
        yield
    finally:
        huey.disconnect_signal(collect, SIGNAL_ERROR)
    if errors:
        raise errors[0]
