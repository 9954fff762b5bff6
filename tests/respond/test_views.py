"""The respondent flow over the test client: show, validate, record, edit, refuse."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from survey_app.core.db import db, utcnow
from survey_app.followups.models import FollowUp
from survey_app.invitations.models import Invitation
from survey_app.responses.models import Answer, Response
from survey_app.surveys.models import Survey


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def only_response(app) -> Response:
    with app.app_context():
        response = db.session.scalars(select(Response)).one()
        db.session.expunge(response)
        return response


def test_page_shows_eleven_score_buttons_and_a_comment_box(client, make_survey, make_link):
    token = make_link(make_survey("nps"))
    html = client.get(f"/s/{token}").get_data(as_text=True)
    assert html.count('name="score"') == 11
    assert "Not at all likely" in html and "Extremely likely" in html
    assert '<textarea' in html and 'name="comment"' in html
    assert "<script" not in html


def test_csat_page_offers_one_to_five(client, make_survey, make_link):
    html = client.get(f"/s/{make_link(make_survey('csat'))}").get_data(as_text=True)
    assert html.count('name="score"') == 5
    assert 'value="0"' not in html


def test_page_speaks_the_persons_language(client, make_survey, make_link):
    token = make_link(make_survey("nps"), locale="it")
    html = client.get(f"/s/{token}").get_data(as_text=True)
    assert '<html lang="it">' in html
    assert "Quanto è probabile che ci raccomandi" in html
    assert "Invia la mia risposta" in html
    assert "Send my answer" in client.get(f"/s/{token}?lang=en").get_data(as_text=True)


def test_get_with_score_preselects_and_records_nothing(app, client, make_survey, make_link):
    token = make_link(make_survey("nps"))
    for _ in range(3):  # a mail scanner opening every button link
        html = client.get(f"/s/{token}?score=9").get_data(as_text=True)
    assert 'value="9"\n               checked' in html or 'value="9" checked' in html.replace(
        "\n               ", " ")
    assert count(app, Response) == 0
    with app.app_context():  # opening is tracked (delivery status), answering is not
        assert db.session.scalars(select(Invitation.status)).one() in ("sent", "opened")


@pytest.mark.parametrize("bad", ["x", "NaN", "true", "1_0", "٣", "-1", "11", "3.0", " "])
def test_bad_score_is_refused_with_a_message(app, client, submit, make_survey, make_link, bad):
    token = make_link(make_survey("nps"))
    response = submit(f"/s/{token}", {"score": bad, "comment": "kept text"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'class="field-error"' in html
    assert "kept text" in html  # what was typed is kept
    assert count(app, Response) == 0


def test_missing_score_is_refused(app, client, submit, make_survey, make_link):
    response = submit(f"/s/{make_link(make_survey('nps'))}", {"comment": "hi"})
    assert response.status_code == 422
    assert "Choose a score from 0 to 10" in response.get_data(as_text=True)
    assert count(app, Response) == 0


def test_duplicate_field_is_refused(app, client, submit, make_survey, make_link):
    token = make_link(make_survey("nps"))
    response = submit(f"/s/{token}", [("score", "9"), ("score", "0")])
    assert response.status_code == 422
    assert "sent more than once" in response.get_data(as_text=True)
    response = submit(f"/s/{token}", [("score", "9"), ("comment", "a"), ("comment", "b")])
    assert response.status_code == 422
    assert count(app, Response) == 0


@pytest.mark.parametrize("comment", ["x" * 5001, "nul\x00byte"])
def test_bad_comment_is_refused(app, client, submit, make_survey, make_link, comment):
    response = submit(f"/s/{make_link(make_survey('nps'))}", {"score": "5", "comment": comment})
    assert response.status_code == 422
    assert count(app, Response) == 0


def test_longest_allowed_comment_is_accepted(app, client, submit, make_survey, make_link):
    response = submit(f"/s/{make_link(make_survey('nps'))}", {"score": "8", "comment": "y" * 5000})
    assert response.status_code == 303
    assert len(only_response(app).comment) == 5000


OUT_OF_DATE = "This page is out of date: please send it again."


@pytest.mark.parametrize("csrf", [None, "", "1700000000.forged", "abc.def", "\u0661.x"])
def test_post_without_a_valid_csrf_token_is_refused(app, client, make_survey, make_link, csrf):
    token = make_link(make_survey("nps"))
    client.get(f"/s/{token}")
    data = {"score": "9", "comment": "typed"} | ({} if csrf is None else {"csrf_token": csrf})
    response = client.post(f"/s/{token}", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert OUT_OF_DATE in html and 'href="#csrf_token-error"' not in html  # nothing to point at
    assert "typed" in html
    assert count(app, Response) == 0


def test_personal_link_sets_no_cookie_and_its_token_is_bound_to_it(app, make_survey,
                                                                   make_link):
    from tests.conftest import csrf_token

    survey = make_survey("nps")
    first, second = make_link(survey), make_link(survey)
    browser = app.test_client()
    page = browser.get(f"/s/{first}")
    assert "Set-Cookie" not in page.headers
    token_of_first = csrf_token(page.get_data(as_text=True))
    refused = app.test_client().post(f"/s/{second}", data={"score": "9",
                                                           "csrf_token": token_of_first})
    assert refused.status_code == 422 and OUT_OF_DATE in refused.get_data(as_text=True)
    assert count(app, Response) == 0
    # No cookie needed: another browser (a mail client's preview, say) posts the page's token.
    sent = app.test_client().post(f"/s/{first}", data={"score": "9", "csrf_token": token_of_first})
    assert sent.status_code == 303 and "Set-Cookie" not in sent.headers
    assert count(app, Response) == 1


def test_link_bound_csrf_token_expires_when_a_time_limit_is_set(app, client, make_survey,
                                                                make_link, monkeypatch):
    import time

    from tests.conftest import csrf_token

    token = make_link(make_survey("nps"))
    field = csrf_token(client.get(f"/s/{token}").get_data(as_text=True))
    app.config["WTF_CSRF_TIME_LIMIT"] = 60
    later = time.time() + 61
    monkeypatch.setattr(time, "time", lambda: later)
    response = client.post(f"/s/{token}", data={"score": "9", "csrf_token": field})
    assert response.status_code == 422 and OUT_OF_DATE in response.get_data(as_text=True)
    assert count(app, Response) == 0


def test_valid_answer_is_stored_with_category_sentiment_and_segment(
        app, client, submit, make_survey, make_link):
    token = make_link(make_survey("nps"), attributes={"plan": "pro", "region": "north"})
    response = submit(f"/s/{token}", {"score": "10", "comment": "Great, friendly and fast!"})
    assert response.status_code == 303
    assert response.headers["Location"].startswith(f"/s/{token}/thanks")
    stored = only_response(app)
    assert (stored.score, stored.category, stored.channel) == (10, "promoter", "email")
    assert stored.sentiment_label == "positive" and stored.sentiment_polarity > 0
    assert stored.segment == {"plan": "pro", "region": "north"}
    assert stored.invitation_id is not None and stored.person_id is not None
    with app.app_context():
        assert db.session.scalars(select(Invitation.status)).one() == "responded"
    thanks = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Thank you!" in thanks and "Change my answer" in thanks


def test_detractor_opens_a_red_case_when_the_comment_is_negative(
        app, client, submit, make_survey, make_link):
    token = make_link(make_survey("nps"))
    submit(f"/s/{token}", {"score": "5", "comment": "Terrible support, the worst experience."})
    with app.app_context():
        case = db.session.scalars(select(FollowUp)).one()
        assert (case.priority, case.status, case.reason, case.team) == (
            "red", "new", "detractor", "support")


def test_answer_can_be_changed_within_the_window_and_stays_one_row(
        app, client, submit, make_survey, make_link):
    token = make_link(make_survey("nps"))
    submit(f"/s/{token}", {"score": "3", "comment": "slow"})
    page = client.get(f"/s/{token}").get_data(as_text=True)
    assert "You can change your answer until" in page and 'value="1"' in page  # version field
    response = submit(f"/s/{token}", {"score": "9", "comment": "fixed now", "version": "1"})
    assert response.status_code == 303
    stored = only_response(app)
    assert (stored.score, stored.category, stored.comment, stored.version) == (
        9, "promoter", "fixed now", 2)
    assert count(app, Response) == 1


def test_second_first_answer_is_told_already_answered(app, client, submit, make_survey, make_link):
    token = make_link(make_survey("nps"))
    submit(f"/s/{token}", {"score": "3"})
    response = submit(f"/s/{token}", {"score": "9"})  # no version: not an edit
    assert response.status_code == 409
    assert "already been used" in response.get_data(as_text=True)
    assert only_response(app).score == 3


def test_stale_edit_is_refused(app, client, submit, make_survey, make_link):
    token = make_link(make_survey("nps"))
    submit(f"/s/{token}", {"score": "3"})
    submit(f"/s/{token}", {"score": "4", "version": "1"})
    response = submit(f"/s/{token}", {"score": "10", "version": "1"})
    assert response.status_code == 409
    assert only_response(app).score == 4


def test_after_the_window_the_link_only_says_answered(app, client, submit, make_survey, make_link):
    token = make_link(make_survey("nps"))
    submit(f"/s/{token}", {"score": "2", "comment": "private words"})
    with app.app_context():
        response = db.session.scalars(select(Response)).one()
        response.submitted_dt = utcnow() - timedelta(hours=25)
        db.session.commit()
    page = client.get(f"/s/{token}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Already answered" in html and "private words" not in html and 'name="score"' not in html
    assert submit(f"/s/{token}", {"score": "9", "version": "1"}).status_code == 409
    assert only_response(app).score == 2


def test_unknown_and_malformed_links_look_the_same(client):
    pages = set()
    for token in ["A" * 22, "short", "%00%01", "x" * 300]:
        response = client.get(f"/s/{token}")
        assert response.status_code == 404
        pages.add(response.get_data(as_text=True))
    assert len(pages) == 1 and "Link not found" in pages.pop()
    assert client.get("/s/..%2F..%2Fetc").status_code == 404
    assert client.post("/s/" + "B" * 22, data={"score": "1"}).status_code == 404


def test_expired_link_is_410_and_stores_nothing(app, client, make_survey, make_link):
    token = make_link(make_survey("nps"))
    with app.app_context():
        invitation = db.session.scalars(select(Invitation)).one()
        invitation.expires_dt = utcnow() - timedelta(seconds=1)
        db.session.commit()
    response = client.get(f"/s/{token}")
    assert response.status_code == 410
    assert "This link has expired" in response.get_data(as_text=True)
    assert count(app, Response) == 0


def test_closed_survey_is_410(app, client, make_survey, make_link):
    survey_id = make_survey("nps")
    token = make_link(survey_id)
    with app.app_context():
        db.session.get(Survey, survey_id).status = "closed"
        db.session.commit()
    response = client.get(f"/s/{token}")
    assert response.status_code == 410
    assert "This survey is closed" in response.get_data(as_text=True)


def test_anonymous_response_keeps_no_link_to_the_person(
        app, client, submit, make_survey, make_link):
    token = make_link(make_survey("enps"), attributes={"team": "Support"})
    html = client.get(f"/s/{token}").get_data(as_text=True)
    assert "This survey is anonymous" in html
    submit(f"/s/{token}", {"score": "2", "comment": "Burnout everywhere, awful manager."})
    stored = only_response(app)
    assert stored.is_anonymous
    assert stored.invitation_id is None and stored.person_id is None
    assert stored.segment == {"team": "Support"}
    assert (stored.submitted_dt.hour, stored.submitted_dt.minute) == (0, 0)  # only the day
    with app.app_context():
        invitation = db.session.scalars(select(Invitation)).one()
        assert invitation.status == "responded" and invitation.responded_dt is None
    assert count(app, FollowUp) == 0  # detractor, but anonymous: no case


def test_anonymous_answer_and_edit_log_no_response_id(app, submit, make_survey, make_link,
                                                    caplog):
    token = make_link(make_survey("enps"))
    with caplog.at_level(logging.DEBUG, logger="survey_app"):
        assert submit(f"/s/{token}", {"score": "2"}).status_code == 303
        assert submit(f"/s/{token}", {"score": "3", "version": "1"}).status_code == 303
    stored = only_response(app)
    assert stored.score == 3
    lines = [record.getMessage() for record in caplog.records]
    assert "response (anonymous) updated" in lines
    assert not [line for line in lines if f"response {stored.id} " in line]


def test_anonymous_contact_request_attaches_identity_and_opens_hr_case(
        app, client, submit, make_survey, make_link):
    token = make_link(make_survey("pulse"), email="ann@example.com")
    html = client.get(f"/s/{token}").get_data(as_text=True)
    assert "no longer anonymous" in html
    submit(f"/s/{token}", {"score": "8", "contact": "y"})
    stored = only_response(app)
    assert stored.is_contact_requested and stored.person_id is not None
    assert stored.invitation_id is None
    with app.app_context():
        case = db.session.scalars(select(FollowUp)).one()
        assert (case.team, case.reason, case.person.email) == ("hr", "contact_request",
                                                               "ann@example.com")


def test_pulse_questions_are_validated_and_stored(app, client, submit, make_survey, make_link):
    survey_id = make_survey("pulse")
    token = make_link(survey_id)
    with app.app_context():
        agreement, workload, choice, text = [q.id for q in db.session.get(
            Survey, survey_id).extra_questions]
    bad = submit(f"/s/{token}", {"score": "7", f"q_{agreement}": "6", f"q_{choice}": "9"})
    assert bad.status_code == 422
    assert count(app, Response) == 0
    good = submit(f"/s/{token}", {"score": "7", f"q_{agreement}": "4", f"q_{choice}": "2",
                                  f"q_{text}": "More focus time"})
    assert good.status_code == 303
    with app.app_context():
        answers = {a.question_id: (a.value_int, a.value_text)
                   for a in db.session.scalars(select(Answer))}
    assert answers == {agreement: (4, None), choice: (2, None), text: (None, "More focus time")}


def test_required_extra_question_must_be_answered(app, client, submit, make_survey, make_link):
    survey_id = make_survey("pulse")
    with app.app_context():
        question = db.session.get(Survey, survey_id).extra_questions[0]
        question.is_required = True
        question_id = question.id
        db.session.commit()
    response = submit(f"/s/{make_link(survey_id)}", {"score": "9"})
    assert response.status_code == 422
    assert f'id="q_{question_id}-error"' in response.get_data(as_text=True)
    assert count(app, Response) == 0


def test_public_link_takes_one_response_per_browser(app, client, submit, make_survey):
    make_survey("nps", slug="open-nps", is_public=True)
    assert submit("/p/open-nps", {"score": "9"}).status_code == 303
    assert submit("/p/open-nps", {"score": "2"}).status_code == 409
    assert count(app, Response) == 1
    assert only_response(app).channel == "public"
    other_browser = app.test_client()
    page = other_browser.get("/p/open-nps").get_data(as_text=True)
    from tests.conftest import csrf_token

    assert other_browser.post("/p/open-nps", data={"score": "6", "csrf_token": csrf_token(page)}
                              ).status_code == 303
    assert count(app, Response) == 2


def test_public_form_with_a_bad_csrf_token_says_so_in_plain_words(app, client, make_survey):
    make_survey("nps", slug="open-words", is_public=True)
    client.get("/p/open-words?lang=it")
    response = client.post("/p/open-words?lang=it", data={"score": "6", "comment": "scritto",
                                                          "csrf_token": "forged"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Questa pagina non è più valida" in html and "scritto" in html
    assert count(app, Response) == 0


def test_private_survey_has_no_public_link(client, make_survey):
    make_survey("nps", slug="private-nps")
    assert client.get("/p/private-nps").status_code == 404


def test_public_posts_are_rate_limited(app, client, make_survey):
    make_survey("nps", slug="limited", is_public=True)
    statuses = [client.post("/p/limited", data={"score": "x"}).status_code for _ in range(12)]
    assert statuses[-1] == 429
    assert statuses[:10] == [422] * 10  # before the limit: refused for the missing CSRF token


def test_a_detractors_answer_costs_a_fixed_handful_of_statements(app, client, make_survey,
                                                                  make_link):
    """The hot path: one query for the link, one for alert recipients, then the writes —
    one statement on PostgreSQL, one per row on SQLite (plus nothing the unit of work adds) —
    and one for the active webhook endpoints (issue 15: none here, so nothing more is
    written; read once a second per process, here for the first time)."""
    import sqlalchemy as sa

    from tests.conftest import csrf_token

    token = make_link(make_survey("nps"))
    token_field = csrf_token(client.get(f"/s/{token}").get_data(as_text=True))
    seen: list[str] = []
    with app.app_context():
        engine = db.engine
    listener = lambda *args: seen.append(args[2].split()[0])  # noqa: E731
    sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        reply = client.post(f"/s/{token}", data={"score": "1", "comment": "Awful, never again",
                                                 "csrf_token": token_field})
    finally:
        sa.event.remove(engine, "before_cursor_execute", listener)
    assert reply.status_code == 303
    kinds = [k for k in seen if k not in ("SAVEPOINT", "RELEASE", "ROLLBACK")]
    if engine.dialect.name == "postgresql":
        assert kinds == ["SELECT", "SELECT", "SELECT", "WITH"]
    else:  # the invitation, then the response, its case and the case's first timeline line
        assert kinds == ["SELECT", "SELECT", "SELECT", "UPDATE", "INSERT", "INSERT", "INSERT"]
    with app.app_context():
        case = db.session.scalars(select(FollowUp)).one()
        assert (case.priority, [e.kind for e in case.events]) == ("red", ["opened"])
        assert db.session.scalars(select(Invitation.status)).one() == "responded"
