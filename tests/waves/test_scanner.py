"""Link history: opens, the honeypot, and flagging scanner answers out of the scores."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from survey_app.core.db import db, utcnow
from survey_app.core.forms import LinkBoundCSRF
from survey_app.core.tokens import hash_token, new_token
from survey_app.followups.models import FollowUp
from survey_app.invitations.models import Invitation, LinkOpen
from survey_app.invitations.tracking import record_open
from survey_app.responses.models import Response, Suspicion
from survey_app.responses.queries import countable
from survey_app.responses.review import confirm_human, discard
from survey_app.responses.services import Submission, record_response
from survey_app.surveys.models import Survey
from tests.conftest import csrf_token
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


def test_answer_sent_right_after_a_scanner_burst_counts_opens_its_case_and_keeps_a_note(
        app, client, submit, smtp_server, make_survey, make_people, send):
    """A GET never records, so a sent form is a person's act (issue 12.4): it counts."""
    make_people(1)
    send(make_survey("nps"))
    survey_url, buttons, _ = _email_links(smtp_server)
    for url in buttons:  # a scanner opens all eleven buttons within a second
        client.get(url)
    assert submit(survey_url, {"score": "0", "comment": "x"}).status_code == 303
    with app.app_context():
        response = db.session.scalars(select(Response)).one()
        assert not response.is_suspected_automated and response.suspected_reason is None
        assert response.is_after_scanner  # the scanner information, kept as a note
        assert db.session.scalar(select(func.count()).select_from(Response)
                                 .where(countable())) == 1
        assert db.session.scalar(select(func.count()).select_from(FollowUp)) == 1


def test_filled_honeypot_field_is_flagged_then_confirmed_or_discarded(
        app, client, submit, smtp_server, make_survey, make_people, send):
    make_people(2)
    send(make_survey("csat"))
    for message in smtp_server.messages:
        links = html_links(message)
        survey_url = path_of(next(u for u in links if "?" not in u and "/s/" in u
                                  and not u.endswith("/x")))
        assert submit(survey_url, {"score": "1", "website": "http://spam.example"}
                      ).status_code == 303
    with app.app_context():
        first, second = db.session.scalars(select(Response).order_by(Response.id)).all()
        assert (first.is_suspected_automated, first.suspected_reason) == (True, "honeypot")
        assert db.session.scalar(select(func.count()).select_from(Response)
                                 .where(countable())) == 0
        assert db.session.scalar(select(func.count()).select_from(FollowUp)) == 0
        confirm_human(first)  # a person checks it: it counts, and the unhappy answer gets a case
        discard(second)
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(Response)
                                 .where(countable())) == 1
        assert db.session.scalar(select(func.count()).select_from(FollowUp)) == 1
        assert first.suspected_reason is None
    # the discarded one's link may answer again
    assert submit(survey_url, {"score": "4"}).status_code == 303
    assert _count(app, Response) == 2


def test_form_sent_faster_than_anyone_can_read_it_is_flagged(
        app, client, submit, make_survey, make_link, monkeypatch):
    monkeypatch.setitem(app.config, "MIN_ANSWER_SECONDS", 5)
    fast, slow = make_link(make_survey("nps")), make_link(make_survey("nps"))
    assert submit(f"/s/{fast}", {"score": "9"}).status_code == 303
    page = client.get(f"/s/{slow}").get_data(as_text=True)
    token = csrf_token(page)
    issued = int(token.split(".")[0])
    with app.test_request_context():  # the page as rendered 6 seconds ago, for that link
        older = LinkBoundCSRF()
        older.meta = type("Meta", (), {"csrf_secret": app.config["SECRET_KEY"],
                                       "csrf_context": hash_token(slow)})
        aged = f"{issued - 6}.{older._mac(str(issued - 6))}"
    assert client.post(f"/s/{slow}", data={"score": "9", "csrf_token": aged}).status_code == 303
    with app.app_context():
        flags = db.session.scalars(select(Response.suspected_reason).order_by(Response.id)).all()
    assert flags == ["too_fast", None]


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


def _suspected_answer(app, survey_id: int, comment: str) -> int:
    """A detractor's answer sent too fast to ``survey_id`` (returned), awaiting review."""
    with app.app_context():
        record_response(db.session.get(Survey, survey_id), Submission(score=2, comment=comment),
                        token=new_token(), channel="link", suspected=Suspicion.TOO_FAST)
        db.session.commit()
    return survey_id


def test_a_support_agent_sees_who_decides_and_what_was_written(app, client, login,
                                                               make_survey):
    survey_id = _suspected_answer(app, make_survey("nps"), "The courier never came.")
    login(client, "support")
    page = " ".join(client.get(f"/surveys/{survey_id}/suspected").get_data(as_text=True).split())
    assert "until someone who manages this survey (an admin) decides" in page
    assert "until you decide" not in page and "A person: count it" not in page
    assert "The courier never came." in page  # what a reviewer needs to tell a person


def test_the_suspected_list_of_an_anonymous_survey_shows_no_comment(app, client, login,
                                                                    make_survey):
    survey_id = _suspected_answer(app, make_survey("enps"), "My manager shouts at me.")
    login(client, "hr")
    page = client.get(f"/surveys/{survey_id}/suspected").get_data(as_text=True)
    assert "sent too fast" in page and "My manager shouts" not in page
