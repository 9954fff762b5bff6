"""Delivery state in our tables: crash safety, idempotence, retries, bounces."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from survey_app.core.db import db, utcnow
from survey_app.invitations.models import Invitation
from survey_app.people.models import Person
from survey_app.surveys.models import Survey, Wave
from survey_app.waves import services, tasks
from survey_app.waves.audience import Audience
from survey_app.waves.audience import preview as audience_preview
from survey_app.waves.emails import InvitationDeliverer
from survey_app.waves.models import InvitationEmail
from survey_app.waves.queries import wave_summary
from tests.waves.conftest import figures


def _queue_wave(app, survey_id):
    """A committed wave whose e-mails are queued but not handed to any worker."""
    with app.app_context():
        wave = services.send_wave(db.session.get(Survey, survey_id), Audience("customer"))
        db.session.commit()
        return services.queued_email_ids(wave)


def _statuses(app):
    with app.app_context():
        return dict(db.session.execute(select(InvitationEmail.id, InvitationEmail.status)).all())


def test_worker_killed_between_claim_and_send_loses_nothing_and_sends_once(
        app, smtp_server, make_survey, make_people):
    make_people(5)
    ids = _queue_wave(app, make_survey("nps"))
    now = utcnow()
    with app.app_context():
        claimed = InvitationDeliverer().claim(ids, now)  # ... and the worker dies here
    assert claimed == ids
    assert set(_statuses(app).values()) == {"claimed"}
    assert smtp_server.messages == []
    with app.app_context():
        # a second job for the same ids (e.g. the sweep's) finds nothing to take
        assert InvitationDeliverer().run(ids, now).claimed == 0
        # the sweep leaves a live worker's fresh claim alone ...
        assert InvitationDeliverer().sweep(now + timedelta(minutes=9)) == []
        assert set(_statuses(app).values()) == {"claimed"}
        # ... and takes back an abandoned one, which is then sent once
        due = InvitationDeliverer().sweep(now + timedelta(minutes=11))
        assert due == ids
        tasks.enqueue_emails(due)
        tasks.enqueue_emails(due)  # enqueued twice (two sweeps): still sent once
    assert sorted(m["To"] for m in smtp_server.messages) == [
        f"p{i}@example.com" for i in range(1, 6)]
    assert set(_statuses(app).values()) == {"sent"}


def _interrupt_first_send(app, ids, now):
    """A worker claims ``ids``, commits ``sending`` for the first and is killed mid-SMTP."""
    with app.app_context():
        InvitationDeliverer().claim(ids, now)
        row = db.session.get(InvitationEmail, ids[0])
        row.status = "sending"
        db.session.commit()


def test_worker_killed_during_smtp_is_sent_again_as_possibly_duplicated(
        app, smtp_server, make_survey, make_people):
    make_people(2)
    ids = _queue_wave(app, make_survey("nps"))
    now = utcnow()
    _interrupt_first_send(app, ids, now)
    with app.app_context():
        assert InvitationDeliverer().sweep(now + timedelta(minutes=9)) == []  # lease still on
        assert InvitationDeliverer().sweep(now + timedelta(minutes=11)) == ids
        row = db.session.get(InvitationEmail, ids[0])
        assert (row.status, row.interrupted_sends) == ("queued", 1)
        assert "may have arrived" in row.last_error
        tasks.enqueue_emails(ids)
        assert set(_statuses(app).values()) == {"sent"}
        assert set(db.session.scalars(select(Invitation.status))) == {"sent"}
        summary = wave_summary(db.session.scalars(select(Wave)).one())
        assert (summary.sent, summary.failed, summary.possibly_duplicated) == (2, 0, 1)
    assert sorted(m["To"] for m in smtp_server.messages) == ["p1@example.com", "p2@example.com"]


def test_a_send_interrupted_every_time_is_given_up(app, smtp_server, make_survey, make_people):
    make_people(1)
    ids = _queue_wave(app, make_survey("nps"))
    moment = utcnow()
    for _ in range(app.config["MAIL_MAX_ATTEMPTS"]):
        _interrupt_first_send(app, ids, moment)
        moment += timedelta(minutes=11)
        with app.app_context():
            InvitationDeliverer().sweep(moment)
    with app.app_context():
        row = db.session.get(InvitationEmail, ids[0])
        assert (row.status, row.interrupted_sends) == ("failed", 5)
        assert "may have arrived" in row.last_error
        assert db.session.scalars(select(Invitation.status)).one() == "failed"
    assert smtp_server.messages == []


def test_wave_page_reports_possibly_duplicated_not_failed(
        app, client, login, smtp_server, make_survey, make_people):
    make_people(3)
    survey_id = make_survey("nps")
    ids = _queue_wave(app, survey_id)
    now = utcnow()
    _interrupt_first_send(app, ids, now)
    with app.app_context():
        tasks.enqueue_emails(InvitationDeliverer().sweep(now + timedelta(minutes=11)))
        wave_id = db.session.scalars(select(Wave.id)).one()
    login(client, "admin")
    html = client.get(f"/waves/{wave_id}").get_data(as_text=True)
    assert figures(html) == {"Invited": 3, "Waiting to be sent": 0, "Sent": 3, "Failed": 0,
                             "Bounced": 0, "Possibly duplicated": 1, "Opened": 0,
                             "Answered": 0, "Reminders sent": 0}
    html = client.get(f"/waves/{wave_id}?lang=it").get_data(as_text=True)
    assert figures(html)["Forse duplicati"] == 1


def test_permanent_refusal_marks_the_person_bounced(app, smtp_server, make_survey, make_people):
    make_people(2)
    smtp_server.refuse["p1@example.com"] = "550 5.1.1 No such mailbox"
    ids = _queue_wave(app, make_survey("nps"))
    with app.app_context():
        result = InvitationDeliverer().run(ids)
        assert (result.sent, result.bounced) == (1, 1)
        person = db.session.scalar(select(Person).where(Person.email == "p1@example.com"))
        assert person.bounced_dt is not None
        invitation = db.session.scalar(select(Invitation).where(Invitation.person_id == person.id))
        assert invitation.status == "bounced"
        row = db.session.get(InvitationEmail, ids[0])
        assert row.status == "bounced" and row.last_error.startswith("550")
    # the next wave skips the bounced address
    survey_id = make_survey("csat", settings={"throttle_days": 0})
    with app.app_context():
        counts = audience_preview(db.session.get(Survey, survey_id), Audience("customer"), utcnow())
        assert (counts.invited, counts.skipped["bounced"]) == (1, 1)


def test_temporary_failure_is_retried_with_back_off_then_sent(
        app, smtp_server, make_survey, make_people):
    make_people(1)
    smtp_server.refuse["p1@example.com"] = "451 4.3.0 Try again later"
    [email_id] = _queue_wave(app, make_survey("nps"))
    now = utcnow()
    with app.app_context():
        assert InvitationDeliverer().run([email_id], now).retrying == 1
        row = db.session.get(InvitationEmail, email_id)
        assert row.status == "queued" and row.attempts == 1 and row.last_error.startswith("451")
        first_retry = row.next_attempt_dt
        assert timedelta(seconds=50) < first_retry - now < timedelta(seconds=70)
        assert InvitationDeliverer().sweep(now + timedelta(seconds=30)) == []  # not yet due
        assert InvitationDeliverer().run([email_id], first_retry).retrying == 1
        second = db.session.get(InvitationEmail, email_id).next_attempt_dt
        assert timedelta(minutes=3) < second - first_retry < timedelta(minutes=5)  # 4× longer
        del smtp_server.refuse["p1@example.com"]
        assert InvitationDeliverer().sweep(second) == [email_id]
        assert InvitationDeliverer().run([email_id], second).sent == 1
        invitation = db.session.scalars(select(Invitation)).one()
        assert invitation.status == "sent"
    assert len(smtp_server.messages) == 1


def test_gives_up_after_max_attempts(app, smtp_server, make_survey, make_people):
    make_people(1)
    smtp_server.refuse["p1@example.com"] = "452 4.2.2 Mailbox full"
    [email_id] = _queue_wave(app, make_survey("nps"))
    moment = utcnow()
    with app.app_context():
        for _ in range(app.config["MAIL_MAX_ATTEMPTS"]):
            InvitationDeliverer().run([email_id], moment)
            moment = db.session.get(InvitationEmail, email_id).next_attempt_dt
        row = db.session.get(InvitationEmail, email_id)
        assert row.status == "failed" and row.attempts == app.config["MAIL_MAX_ATTEMPTS"]
        assert db.session.scalars(select(Invitation.status)).one() == "failed"
        assert db.session.scalars(select(Person.bounced_dt)).one() is None  # not a bounce


def test_unreachable_server_keeps_everything_queued(app, make_survey, make_people):
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    make_people(3)
    ids = _queue_wave(app, make_survey("nps"))
    from survey_app.core import mail

    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    mail.init_app(app)
    try:
        with app.app_context():
            result = InvitationDeliverer().run(ids)
    finally:
        app.config.update(MAIL_SERVER=None, MAIL_PORT=25)
        mail.init_app(app)
    assert result.retrying == 3
    assert set(_statuses(app).values()) == {"queued"}


def test_without_a_mail_server_messages_go_to_the_outbox(app, make_survey, make_people, send):
    from pathlib import Path

    outbox = Path(app.config["MAIL_OUTBOX_DIR"])
    before = set(outbox.glob("*.eml"))
    make_people(2)
    send(make_survey("nps"))
    new = set(outbox.glob("*.eml")) - before
    assert len(new) == 2
    assert all(b"List-Unsubscribe-Post: List-Unsubscribe=One-Click" in p.read_bytes()
               for p in new)
