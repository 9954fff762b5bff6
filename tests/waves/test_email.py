"""The invitation e-mail through a real SMTP server: parts, links, headers, languages."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from survey_app.core.db import db
from survey_app.invitations.models import Invitation
from survey_app.responses.models import Response
from survey_app.waves.models import InvitationEmail
from tests.waves.conftest import html_links, path_of


def test_wave_email_arrives_with_text_html_and_eleven_score_links(
        app, client, smtp_server, make_survey, make_people, send):
    survey_id = make_survey("nps", title="Acme — how are we doing?")
    make_people(1, name="Ann Example")
    send(survey_id)

    [message] = smtp_server.messages
    assert message["To"] == "Ann Example <p1@example.com>"
    assert message["Subject"] == "Acme — how are we doing?"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Hello Ann Example," in text and "Hello Ann Example," in html
    assert "How likely are you to recommend us" in text and "How likely are you" in html
    links = html_links(message)
    survey_link = next(u for u in links if "?" not in u and "/s/" in u)
    score_links = [u for u in links if "?score=" in u]
    assert score_links == [f"{survey_link}?score={n}" for n in range(11)]
    assert survey_link in text
    assert 'style="display:none' in html.split(f'{survey_link}/x"')[1][:40]  # hidden honeypot

    # every button opens the survey with its score preselected, and records nothing
    for n, url in enumerate(score_links):
        page = client.get(path_of(url)).get_data(as_text=True)
        assert f'value="{n}"\n               checked' in page or (
            f'value="{n}" checked' in " ".join(page.split()))
        for other in set(range(11)) - {n}:
            assert f'value="{other}" checked' not in " ".join(page.split())
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Response)) == 0
        invitation = db.session.scalars(select(Invitation)).one()
        assert invitation.sent_dt is not None


def test_list_unsubscribe_headers_are_rfc_8058_one_click(
        app, client, smtp_server, make_survey, make_people, send):
    make_people(1)
    send(make_survey("nps"))
    [message] = smtp_server.messages
    header = message["List-Unsubscribe"]
    assert header.startswith("<http://polso.test/u/") and header.endswith(">")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    visible = [u for u in html_links(message) if "/u/" in u]
    assert visible == [header[1:-1]]
    assert header[1:-1] in message.get_body(("plain",)).get_content()


def test_csat_email_has_five_buttons_and_pulse_one_button(
        app, smtp_server, make_survey, make_people, send):
    make_people(1, kind="customer", prefix="c")
    make_people(1, kind="employee", prefix="e")
    send(make_survey("csat"))
    send(make_survey("pulse"))
    csat, pulse = smtp_server.to("c1@example.com")[0], smtp_server.to("e1@example.com")[0]
    assert [u[-8:] for u in html_links(csat) if "?score=" in u] == [
        f"?score={n}" for n in range(1, 6)]
    assert "Very dissatisfied" in csat.get_body(("html",)).get_content()
    assert not [u for u in html_links(pulse) if "?score=" in u]
    assert "Answer the survey" in pulse.get_body(("html",)).get_content()
    assert "anonymous" in pulse.get_body(("plain",)).get_content()


@pytest.mark.parametrize(("locale", "greeting", "question", "low", "unsubscribe"), [
    ("en", "Hello Bea,", "How likely are you to recommend us", "Not at all likely",
     "Unsubscribe from all surveys"),
    ("it", "Buongiorno Bea,", "Quanto è probabile che ci raccomandi", "Per niente probabile",
     "Annulla l’iscrizione a tutti i sondaggi"),
])
def test_email_speaks_the_persons_language(app, smtp_server, make_survey, make_people, send,
                                           locale, greeting, question, low, unsubscribe):
    make_people(1, locale=locale, name="Bea")
    send(make_survey("nps"))
    [message] = smtp_server.messages
    for part in ("plain", "html"):
        body = message.get_body((part,)).get_content()
        assert greeting in body and question in body and unsubscribe in body
    assert low in message.get_body(("html",)).get_content()


def test_one_smtp_connection_per_batch(app, smtp_server, make_survey, make_people, send):
    app.config["MAIL_BATCH_SIZE"] = 10
    try:
        make_people(25)
        send(make_survey("nps"))
    finally:
        app.config["MAIL_BATCH_SIZE"] = 200
    assert len(smtp_server.messages) == 25
    assert smtp_server.sessions == 3
    with app.app_context():
        assert set(db.session.scalars(select(InvitationEmail.status))) == {"sent"}


def test_cached_rendering_gives_the_same_email_as_rendering_each_time(
        app_ctx, make_survey, make_people):
    """The batch cache fills token and name into a once-rendered e-mail: same content."""
    from survey_app.invitations.tracking import link_token
    from survey_app.surveys.models import Survey
    from survey_app.waves import services
    from survey_app.waves.audience import Audience
    from survey_app.waves.emails import build_message

    make_people(1, name='Zoë <b>"Ünal"</b> & Co', locale="it")
    make_people(1, prefix="q")  # no name
    survey = db.session.get(Survey, make_survey("nps", title="Acme — ok?"))
    services.send_wave(survey, Audience("customer"))
    cache: dict = {}
    for invitation in db.session.scalars(select(Invitation).order_by(Invitation.id)):
        token = link_token(invitation)
        for reminder in (False, True):
            plain = build_message(invitation, token, is_reminder=reminder)
            cached = build_message(invitation, token, is_reminder=reminder, cache=cache)
            assert (cached.subject, cached.body, cached.html) == (
                plain.subject, plain.body, plain.html)
            assert token in cached.html and "tokenplaceholder" not in cached.html
    assert len(cache) == 4


def test_line_breaks_stored_in_a_title_or_name_never_reach_a_header(
        app, smtp_server, make_survey, make_people, send):
    """Issue 13.5: text saved before line breaks were refused still sends, on one line."""
    survey_id = make_survey("nps", title="Acme\r\nBcc: evil@example.com")
    make_people(1, name="Ann\nExample")
    send(survey_id)

    [message] = smtp_server.messages
    assert message["Subject"] == "Acme Bcc: evil@example.com"
    assert message["To"] == "Ann Example <p1@example.com>"
    assert message["Bcc"] is None
    assert smtp_server.to("evil@example.com") == []
