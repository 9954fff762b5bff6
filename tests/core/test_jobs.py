"""The job engine: broker from JOBS_URL, a real Redis queue and an in-process consumer."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import flask_migrate
import pytest
from huey.storage import PostgresStorage, RedisStorage, SqliteStorage
from sqlalchemy import select

from survey_app import create_app
from survey_app.core import jobs
from survey_app.core.db import db
from survey_app.surveys.models import Survey
from survey_app.waves import services, tasks
from survey_app.waves.audience import Audience
from survey_app.waves.models import InvitationEmail


def test_broker_is_chosen_by_jobs_url(tmp_path):
    assert jobs.storage_for("", str(tmp_path)) == (
        SqliteStorage, {"filename": str(tmp_path / "jobs.sqlite3"),
                        "factory": jobs.BrokerConnection})
    assert jobs.storage_for("redis://127.0.0.1:6379/3", "x") == (
        RedisStorage, {"url": "redis://127.0.0.1:6379/3"})
    assert jobs.storage_for("postgresql+psycopg://u@h/db", "x") == (
        PostgresStorage, {"dsn": "postgresql://u@h/db"})
    with pytest.raises(ValueError, match="JOBS_URL must be"):
        jobs.storage_for("amqp://rabbit", "x")


def test_the_sqlite_broker_does_not_fsync_every_enqueue(tmp_path):
    """WAL with synchronous=NORMAL (1), not huey's default FULL (2): see BrokerConnection."""
    storage_class, options = jobs.storage_for(f"sqlite:///{tmp_path / 'jobs.sqlite3'}", "x")
    storage = storage_class("test", **options)
    try:
        storage.enqueue(b"job")
        assert storage.conn.execute("PRAGMA synchronous").fetchone() == (1,)
        assert storage.conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert storage.dequeue() == b"job"
    finally:
        storage.close()


def test_bad_jobs_url_stops_start_up():
    with pytest.raises(ValueError, match="JOBS_URL must be"):
        create_app({"TESTING": True, "JOBS_URL": "amqp://rabbit"})


def test_every_job_is_registered_with_periodic_schedules(app):
    huey = jobs.get_huey(app)
    assert {"survey_app.waves.tasks.send_invitation_emails", "survey_app.waves.tasks.deliver_wave",
            "survey_app.waves.tasks.sweep_invitation_emails",
            "survey_app.waves.tasks.queue_reminders",
            "survey_app.waves.tasks.start_recurring_rounds"} <= set(huey.tasks)
    periodic = {t.name for t in huey._registry.periodic_tasks}
    assert {"survey_app.waves.tasks.sweep_invitation_emails",
            "survey_app.waves.tasks.queue_reminders",
            "survey_app.waves.tasks.start_recurring_rounds"} <= periodic


def _second_app(database_url: str, smtp_port: int, **config):
    app = create_app({"TESTING": True, "SECRET_KEY": "test-secret", "DATABASE_URL": database_url,
                      "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp_port,
                      "BASE_URL": "http://polso.test", **config})
    with app.app_context():
        flask_migrate.upgrade()
    return app


def _dispose(app) -> None:
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _queue_a_wave(app, count: int) -> int:
    from survey_app.people.services import get_or_create_person
    from survey_app.surveys.services import create_survey

    with app.app_context():
        survey = create_survey(kind="nps", title="Jobs", slug=f"jobs-{uuid.uuid4().hex[:8]}")
        for i in range(count):
            get_or_create_person(f"job{i}@example.com")
        wave = services.send_wave(survey, Audience("customer"))
        db.session.commit()
        return wave.id


def _wait_until_sent(app, count: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with app.app_context():
            sent = db.session.scalars(select(InvitationEmail.status)
                                      .where(InvitationEmail.status == "sent")).all()
        if len(sent) == count:
            return
        time.sleep(0.1)
    raise AssertionError(f"only {len(sent)} of {count} e-mails sent")


@pytest.mark.live
def test_redis_queue_and_an_in_process_consumer_send_a_wave(
        app, database_url, smtp_server, _smtp_controller):
    name = f"polso-test-{uuid.uuid4().hex[:8]}"
    second = _second_app(database_url, _smtp_controller[0].port,
                         JOBS_URL="redis://127.0.0.1:6379/0", JOBS_NAME=name)
    huey = jobs.get_huey(second)
    assert isinstance(huey.storage, RedisStorage) and not huey.immediate
    wave_id = _queue_a_wave(second, 3)
    with second.app_context():
        tasks.deliver_wave(wave_id)  # enqueued in Redis; nothing runs yet
    assert huey.pending_count() == 1 and smtp_server.messages == []
    consumer = jobs.start_embedded_consumer(second, workers=2)
    try:
        _wait_until_sent(second, 3)
    finally:
        consumer.stop(graceful=True)
        huey.storage.flush_all()
    assert sorted(m["To"] for m in smtp_server.messages) == [
        f"job{i}@example.com" for i in range(3)]
    _dispose(second)


@pytest.mark.live
def test_default_sqlite_broker_file_and_worker_restart_loses_nothing(
        app, database_url, smtp_server, _smtp_controller, tmp_path):
    second = _second_app(database_url, _smtp_controller[0].port,
                         JOBS_URL=f"sqlite:///{tmp_path / 'jobs.sqlite3'}")
    wave_id = _queue_a_wave(second, 2)
    with second.app_context():
        tasks.deliver_wave(wave_id)
    assert Path(tmp_path / "jobs.sqlite3").exists()
    # The queued job survives the process (the file): a consumer started later sends it.
    consumer = jobs.start_embedded_consumer(second, workers=1)
    try:
        _wait_until_sent(second, 2)
    finally:
        consumer.stop(graceful=True)
    assert len(smtp_server.messages) == 2
    with second.app_context():
        assert db.session.scalars(select(Survey.slug)).all()
    _dispose(second)
