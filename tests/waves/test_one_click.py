"""One click should count, scanners should not: provisional answers from e-mail score buttons."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from survey_app.core import jobs
from survey_app.core.db import db, utcnow
from survey_app.followups.models import FollowUp
from survey_app.invitations.models import Invitation
from survey_app.people.models import Person
from survey_app.privacy.erasure import erase_person
from survey_app.responses import tasks
from survey_app.responses.models import ProvisionalAnswer, Response
from survey_app.responses.provisional import settle_due
from survey_app.responses.queries import countable
from tests.waves.conftest import html_links, path_of


def _buttons(smtp_server) -> dict[int, str]:
    [message] = smtp_server.messages
    return {int(u.rsplit("=", 1)[1]): path_of(u) for u in html_links(message) if "?score=" in u}


def _count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _settle(app, minutes_later: int) -> tuple[int, int]:
    with app.app_context():
        result = settle_due(utcnow() + timedelta(minutes=minutes_later))
        db.session.commit()
        return result


def test_a_lone_click_becomes_the_answer_once_its_time_is_up(
        app, client, smtp_server, make_survey, make_people, send):
    make_people(1)
    wave_id = send(make_survey("nps"))
    client.get(_buttons(smtp_server)[3])  # taps 3 and closes the tab
    assert _count(app, Response) == 0 and _count(app, ProvisionalAnswer) == 1
    assert _settle(app, 29) == (0, 0)  # before PROVISIONAL_MINUTES (30): still provisional
    assert _settle(app, 31) == (1, 0)
    with app.app_context():
        response = db.session.scalars(select(Response).where(countable())).one()
        invitation = db.session.scalars(select(Invitation)).one()
        assert (response.score, response.channel, response.wave_id) == (3, "email", wave_id)
        assert invitation.status == "responded"
        assert db.session.scalar(select(func.count()).select_from(FollowUp)) == 1  # detractor
    assert _count(app, ProvisionalAnswer) == 0


def test_a_burst_of_all_eleven_buttons_never_becomes_an_answer(
        app, client, smtp_server, make_survey, make_people, send):
    make_people(1)
    send(make_survey("nps"))
    for url in _buttons(smtp_server).values():  # a mail scanner opening every button
        client.get(url)
    assert _settle(app, 31) == (0, 1)
    assert _count(app, Response) == 0 and _count(app, ProvisionalAnswer) == 0
    assert _count(app, FollowUp) == 0


def test_a_form_sent_before_the_time_is_up_wins_over_the_click(
        app, client, submit, smtp_server, make_survey, make_people, send):
    make_people(1)
    send(make_survey("nps"))
    button = _buttons(smtp_server)[3]
    client.get(button)
    assert submit(button, {"score": "9", "comment": "Changed my mind"}).status_code == 303
    assert _settle(app, 31) == (0, 1)
    with app.app_context():
        assert db.session.scalars(select(Response.score)).all() == [9]


def test_the_periodic_job_settles_due_clicks(
        app, client, smtp_server, make_survey, make_people, send, monkeypatch):
    make_people(1)
    send(make_survey("csat"))
    client.get(_buttons(smtp_server)[5])
    monkeypatch.setitem(app.config, "PROVISIONAL_MINUTES", 0)
    with app.app_context():
        assert tasks.settle_provisional_answers.call_local() == 1
    assert _count(app, Response, countable()) == 1
    periodic = {t.name for t in jobs.get_huey(app)._registry.periodic_tasks}
    assert "survey_app.responses.tasks.settle_provisional_answers" in periodic


def test_anonymous_surveys_keep_no_provisional_click(
        app, client, smtp_server, make_survey, make_people, send):
    make_people(1, kind="employee")
    send(make_survey("enps"))
    page = client.get(_buttons(smtp_server)[4])
    assert page.status_code == 200 and 'value="4"' in page.get_data(as_text=True)
    assert _count(app, ProvisionalAnswer) == 0
    assert _settle(app, 31) == (0, 0) and _count(app, Response) == 0


def test_provisional_answers_are_shown_apart_on_the_wave_page(
        app, client, smtp_server, make_survey, make_people, send, login):
    make_people(1)
    wave_id = send(make_survey("nps"))
    client.get(_buttons(smtp_server)[8])
    staff = app.test_client()
    login(staff, "admin")
    html = staff.get(f"/waves/{wave_id}").get_data(as_text=True)
    assert "One-click answers waiting: 1" in html


def test_erasing_the_person_erases_their_clicked_score(
        app, client, smtp_server, make_survey, make_people, send):
    [person_id] = make_people(1)
    send(make_survey("nps"))
    client.get(_buttons(smtp_server)[2])
    with app.app_context():
        erase_person(db.session.get(Person, person_id))
        db.session.commit()
    assert _count(app, ProvisionalAnswer) == 0
