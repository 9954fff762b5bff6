"""Link history: opens, the honeypot, and flagging scanner answers out of the scores."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from survey_app.core.db import db, utcnow
from survey_app.followups.models import FollowUp
from survey_app.invitations.models import Invitation, LinkOpen
from survey_app.invitations.tracking import record_open
from survey_app.responses.models import Response
from survey_app.responses.queries import countable
from survey_app.responses.review import confirm_human, discard
from tests.waves.conftest import html_links, path_of


def _email_links(smtp_server):
    [message] = smtp_server.messages
    links = html_links(message)
    survey = next(u for u in links if "?" not in u and "/s/" in u and not u.endswith("/x"))
    return path_of(survey), [path_of(u) for u in links if "?score=" in u], path_of(survey + "/x")


def _count(app, model, *where):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_opens_are_recorded_and_mark_the_invitation_opened(
        app, client, smtp_server, make_survey, make_people, send):
    make_people(1)
    send(make_survey("nps"))
    survey_url, buttons, _ = _email_links(smtp_server)
    client.get(buttons[9])
    client.get(survey_url)
    with app.app_context():
        invitation = db.session.scalars(select(Invitation)).one()
        assert invitation.status == "opened" and invitation.opened_dt is not None
        assert sorted(db.session.scalars(select(LinkOpen.score)), key=str) == [9, None]


def test_honeypot_is_remembered_and_does_not_count_as_opened(
        app, client, smtp_server, make_survey, make_people, send):
    make_people(1)
    send(make_survey("nps"))
    _, _, honeypot = _email_links(smtp_server)
    response = client.get(honeypot)
    assert response.status_code == 200
    assert _count(app, LinkOpen, LinkOpen.is_honeypot) == 1
    with app.app_context():
        invitation = db.session.scalars(select(Invitation)).one()
        assert invitation.status == "sent" and invitation.scanner_dt is not None
    assert client.get("/s/AAAAAAAAAAAAAAAAAAAAAA/x").status_code == 404


def test_answer_right_after_a_scanner_burst_is_flagged_and_not_counted(
        app, client, submit, smtp_server, make_survey, make_people, send):
    make_people(1)
    send(make_survey("nps"))
    survey_url, buttons, _ = _email_links(smtp_server)
    for url in buttons:  # a scanner opens all eleven buttons within a second
        client.get(url)
    assert submit(survey_url, {"score": "0", "comment": "x"}).status_code == 303
    with app.app_context():
        response = db.session.scalars(select(Response)).one()
        assert response.is_suspected_automated
        assert db.session.scalar(select(func.count()).select_from(Response)
                                 .where(countable())) == 0
        assert db.session.scalar(select(func.count()).select_from(FollowUp)) == 0
        confirm_human(response)  # a person checks it: it counts, and the detractor gets a case
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(Response)
                                 .where(countable())) == 1
        assert db.session.scalar(select(func.count()).select_from(FollowUp)) == 1


def test_answer_after_honeypot_is_flagged_and_can_be_discarded(
        app, client, submit, smtp_server, make_survey, make_people, send):
    make_people(1)
    send(make_survey("csat"))
    survey_url, _, honeypot = _email_links(smtp_server)
    client.get(honeypot)
    assert submit(survey_url, {"score": "5"}).status_code == 303
    with app.app_context():
        response = db.session.scalars(select(Response)).one()
        assert response.is_suspected_automated
        discard(response)
        db.session.commit()
    assert _count(app, Response) == 0
    # the person can still answer through the same link
    assert submit(survey_url, {"score": "4"}).status_code == 303
    assert _count(app, Response) == 1


def test_a_person_answering_some_buttons_or_long_after_a_scan_is_not_flagged(
        app, app_ctx, make_survey, make_link):
    from survey_app.invitations.tracking import looks_automated

    survey_id = make_survey("nps")
    make_link(survey_id)
    invitation = db.session.scalars(select(Invitation)).one()
    t0 = utcnow()
    for score in (3, 7, 9):  # a person hesitating between three buttons
        record_open(invitation, score=score, now=t0)
    assert not looks_automated(invitation, t0 + timedelta(seconds=30))
    for score in range(11):  # all buttons, but spread over 40 seconds: not a burst
        record_open(invitation, score=score, now=t0 + timedelta(seconds=4 * score))
    assert not looks_automated(invitation, t0 + timedelta(seconds=60))
    assert invitation.scanner_dt is None  # the history is judged as opens come in
    burst = t0 + timedelta(hours=1)
    for score in range(11):
        record_open(invitation, score=score, now=burst + timedelta(milliseconds=50 * score))
    assert invitation.scanner_dt == burst + timedelta(milliseconds=500)
    assert looks_automated(invitation, burst + timedelta(minutes=10))
    assert not looks_automated(invitation, burst + timedelta(minutes=11))
