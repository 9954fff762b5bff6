"""The invitation e-mail's subject and message per language (issue 12 point 11) and its dates
(point 12) and sender, through a real SMTP server."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from survey_app import create_app
from survey_app.core import mail
from survey_app.core.db import db
from survey_app.surveys.models import Wave
from tests.conftest import csrf_token

TEXTS = {"it": {"title": "Come stiamo andando?", "email_subject": "Ci dai un parere?",
                "email_body": "Ciao dal team clienti.\nBastano due minuti. <b>Grazie</b>"},
         "en": {"email_body": "Hello from the customer team."}}


def test_an_italian_person_gets_the_italian_subject_and_message(
        app, smtp_server, make_survey, make_people, send):
    make_people(1, locale="it", name="Bea")
    send(make_survey("nps", title="How are we doing?", settings={"texts": TEXTS}))
    [message] = smtp_server.messages
    assert message["Subject"] == "Ci dai un parere?"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    for body in (text, html):
        assert "Ciao dal team clienti." in body and "Bastano due minuti." in body
        assert "How are we doing?" not in body and "customer team" not in body
    assert "Ci piacerebbe sapere" not in text  # the survey's message replaces the standard line
    assert "<b>Grazie</b>" in text and "&lt;b&gt;Grazie&lt;/b&gt;" in html  # text, not markup


def test_without_a_subject_the_title_in_the_language_is_the_subject(
        app, smtp_server, make_survey, make_people, send):
    make_people(1, locale="it")
    send(make_survey("nps", title="How are we doing?",
                     settings={"texts": {"it": {"title": "Come stiamo andando?"}}}))
    [message] = smtp_server.messages
    assert message["Subject"] == "Come stiamo andando?"


def test_the_expiry_date_is_in_the_configured_time_zone_and_the_locale_format(
        app, smtp_server, make_survey, make_people, send, monkeypatch):
    monkeypatch.setitem(app.config, "TIMEZONE", "Pacific/Auckland")  # UTC+13 in December
    make_people(1, locale="it")
    # 30 days after 2026-12-01 11:30 UTC is 2026-12-31 11:30 UTC = 1 January 00:30 in Auckland.
    send(make_survey("nps"), now=datetime(2026, 12, 1, 11, 30, tzinfo=UTC))
    [message] = smtp_server.messages
    text = message.get_body(("plain",)).get_content()
    assert "Funziona fino al 1 gen 2027." in " ".join(text.split())


@pytest.mark.parametrize(("settings", "sender"), [
    ({"POLSO_MAIL_SENDER_NAME": "Acme, Inc. – Servizio clienti",
      "POLSO_MAIL_SENDER_ADDRESS": "surveys@acme.example"},
     ("Acme, Inc. – Servizio clienti", "surveys@acme.example")),
    ({"POLSO_MAIL_DEFAULT_SENDER": '"Acme, Inc." <polso@acme.example>'},
     ("Acme, Inc.", "polso@acme.example")),
])
def test_sender_name_and_address_are_settings(
        app, database_url, smtp_server, make_survey, make_people, send, monkeypatch,
        settings, sender):
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    configured = create_app({"TESTING": True, "DATABASE_URL": database_url})
    saved = app.config["MAIL_DEFAULT_SENDER"]
    app.config["MAIL_DEFAULT_SENDER"] = configured.config["MAIL_DEFAULT_SENDER"]
    mail.init_app(app)
    try:
        make_people(1, locale="it")
        send(make_survey("nps"))
    finally:
        app.config["MAIL_DEFAULT_SENDER"] = saved
        mail.init_app(app)
    [message] = smtp_server.messages
    [address] = message["From"].addresses
    assert (address.display_name, address.addr_spec) == sender


@pytest.mark.parametrize(("settings", "error"), [
    ({"MAIL_DEFAULT_SENDER": "Acme, Inc. <polso@acme.example>"}, "POLSO_MAIL_DEFAULT_SENDER"),
    ({"MAIL_SENDER_ADDRESS": "not an address"}, "POLSO_MAIL_SENDER_ADDRESS"),
    ({"MAIL_SENDER_ADDRESS": "a@b.example\r\nBcc: x@y.example"}, "POLSO_MAIL_SENDER_ADDRESS"),
    ({"MAIL_SENDER_NAME": "Acme\r\nBcc: x@y.example"}, "POLSO_MAIL_SENDER_NAME"),
])
def test_a_bad_sender_setting_stops_start_up_with_a_clear_message(database_url, settings, error):
    with pytest.raises(RuntimeError, match=error):
        create_app({"TESTING": True, "DATABASE_URL": database_url, **settings})


def test_a_wave_sent_without_a_name_is_named_by_its_start_in_the_readers_zone_and_format(
        app, client, login, smtp_server, make_survey, make_people):
    make_people(1)
    survey_id = make_survey("nps")
    login(client, "admin", locale="it", timezone="Asia/Tokyo")
    url = f"/surveys/{survey_id}/send"
    page = client.get(url).get_data(as_text=True)
    sent = client.post(url, data={"where": "", "action": "send", "csrf_token": csrf_token(page)})
    assert sent.status_code == 303
    with app.app_context():
        wave = db.session.scalars(select(Wave)).one()
        wave.started_dt = datetime(2026, 12, 1, 16, 20, 33, tzinfo=UTC)  # Tokyo: 2 Dec 01:20
        db.session.commit()
    for html in (client.get(url).get_data(as_text=True),
                 client.get(sent.headers["Location"]).get_data(as_text=True)):
        assert "2 dic 2026, 01:20" in html
        assert "16:20" not in html
