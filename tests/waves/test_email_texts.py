"""The invitation e-mail's subject and message per language (issue 12 point 11) and its dates
(point 12), through a real SMTP server."""

from __future__ import annotations

from datetime import UTC, datetime

TEXTS = {"it": {"title": "Come stiamo andando?", "email_subject": "Ci dai un parere?",
                "email_body": "Ciao dal team clienti.\nBastano due minuti."},
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
