"""``/u/<token>``: GET changes nothing, POST (button or RFC 8058 one-click) unsubscribes."""

from __future__ import annotations

from sqlalchemy import select

from survey_app.core.db import db
from survey_app.people.models import Person
from survey_app.waves.models import InvitationEmail
from tests.waves.conftest import path_of


def _unsubscribe_path(smtp_server) -> str:
    [message] = smtp_server.messages
    return path_of(message["List-Unsubscribe"][1:-1])


def _unsubscribed(app) -> list:
    with app.app_context():
        return list(db.session.scalars(select(Person.unsubscribed_dt)))


def test_get_shows_a_button_and_changes_nothing(app, client, smtp_server, make_survey,
                                                 make_people, send):
    make_people(1)
    send(make_survey("nps"))
    page = client.get(_unsubscribe_path(smtp_server))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<form method="post"' in html and "Unsubscribe from all surveys" in html
    assert _unsubscribed(app) == [None]


def test_one_click_post_without_csrf_unsubscribes_from_every_survey(
        app, client, smtp_server, make_survey, make_people, send):
    make_people(1)
    send(make_survey("nps"))
    path = _unsubscribe_path(smtp_server)
    response = client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert "You are unsubscribed" in response.get_data(as_text=True)
    assert _unsubscribed(app)[0] is not None
    # the next wave of another survey skips them; a queued e-mail is cancelled
    smtp_server.reset()
    send(make_survey("csat", settings={"throttle_days": 0}))
    assert smtp_server.messages == []
    assert client.post(path).status_code == 200  # twice: still fine


def test_queued_email_of_an_unsubscribed_person_is_cancelled(
        app, client, smtp_server, make_survey, make_people):
    from survey_app.surveys.models import Survey
    from survey_app.waves import services, tasks
    from survey_app.waves.audience import Audience

    make_people(1)
    survey_id = make_survey("nps")
    with app.app_context():
        wave = services.send_wave(db.session.get(Survey, survey_id), Audience("customer"))
        db.session.commit()
        db.session.scalars(select(Person)).one().unsubscribed_dt = wave.started_dt
        db.session.commit()
        tasks.deliver_wave(wave.id)
        email = db.session.scalars(select(InvitationEmail)).one()
        assert (email.status, email.last_error) == ("cancelled", "unsubscribed")
    assert smtp_server.messages == []


def test_unknown_or_malformed_token_is_404(client):
    assert client.get("/u/AAAAAAAAAAAAAAAAAAAAAA").status_code == 404
    assert client.post("/u/not-a-token").status_code == 404
