"""POST /api/v1/responses: answers through a link or a public survey, refused as the form is."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from survey_app.core.db import db, utcnow
from survey_app.invitations.models import Invitation, InvitationStatus
from survey_app.responses.models import Response
from survey_app.surveys.models import Survey
from tests.api.conftest import assert_problem


def _answer(api, token, **body):
    return api.post("/api/v1/responses", token, json=body)


def _responses(app) -> list[Response]:
    with app.app_context():
        return list(db.session.scalars(select(Response).order_by(Response.id)))


def test_an_answer_through_a_link_is_recorded_like_the_forms(app, api, tokens, make_survey,
                                                             make_link):
    survey_id = make_survey("nps")
    link = make_link(survey_id, email="ann@example.com", attributes={"plan": "pro"})
    response = _answer(api, tokens["support"], link_token=link, score=9,
                       comment="Great support", language="it")
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["category"] == "promoter" and body["score"] == 9
    [stored] = _responses(app)
    assert body["id"] == str(stored.id)  # as GET /responses/{id}, the lists and webhooks
    assert (stored.channel, stored.locale, stored.segment) == ("api", "it", {"plan": "pro"})
    assert stored.comment == "Great support" and stored.person_id is not None
    with app.app_context():
        invitation = db.session.scalar(select(Invitation))
        assert invitation.status == InvitationStatus.RESPONDED
    again = _answer(api, tokens["support"], link_token=link, score=3)
    assert_problem(again, 409, "already-answered")
    assert len(_responses(app)) == 1


def test_an_anonymous_answer_gives_no_id_and_no_time(app, api, tokens, make_survey, make_link):
    survey_id = make_survey("enps")  # employee surveys are anonymous
    link = make_link(survey_id, email="emp@example.com")
    body = _answer(api, tokens["hr"], link_token=link, score=4).get_json()
    assert body == {"id": None, "survey": body["survey"], "score": 4,
                    "category": "detractor", "is_anonymous": True}
    [stored] = _responses(app)
    assert stored.person_id is None and stored.invitation_id is None
    assert stored.submitted_dt.hour == stored.submitted_dt.minute == 0


def test_extra_questions_are_checked_by_the_same_rules(app, api, tokens, make_survey,
                                                       make_link):
    survey_id = make_survey("pulse", anonymous=False)
    with app.app_context():
        questions = db.session.get(Survey, survey_id).extra_questions
        agreement = next(q for q in questions if q.kind == "agreement")
    link = make_link(survey_id)
    bad = _answer(api, tokens["hr"], link_token=link, score=8,
                  answers=[{"question_id": agreement.id, "value": 9},
                           {"question_id": 999999, "value": 1}])
    body = assert_problem(bad, 422, "validation")
    assert set(body["errors"]) >= {f"answers.{agreement.id}", "answers.999999"}
    with app.app_context():
        score_question = next(q.id for q in db.session.get(Survey, survey_id).questions
                              if q.position == 0)
    mistaken = assert_problem(_answer(api, tokens["hr"], link_token=link, score=8,
                                      comment="x" * 5001,
                                      answers=[{"question_id": score_question, "value": 8}]),
                              422, "validation")["errors"]
    assert mistaken[f"answers.{score_question}"] == [
        "is the score question: give its answer as score"]
    assert mistaken["comment"] == ["at most 5000 characters (5001 given)"]
    assert _responses(app) == []
    good = _answer(api, tokens["hr"], link_token=link, score=8,
                   answers=[{"question_id": agreement.id, "value": 4}])
    assert good.status_code == 201
    [stored] = _responses(app)
    with app.app_context():
        stored = db.session.get(Response, stored.id)
        assert [(a.question_id, a.value_int) for a in stored.answers] == [(agreement.id, 4)]


def test_a_public_survey_takes_one_answer_per_call(app, api, tokens, make_survey):
    make_survey("csat", slug="kiosk", is_public=True)
    for score in (5, 1):
        assert _answer(api, tokens["support"], survey="kiosk", score=score).status_code == 201
    assert [r.category for r in _responses(app)] == ["satisfied", "dissatisfied"]
    assert all(r.channel == "api" and r.person_id is None for r in _responses(app))
    assert_problem(_answer(api, tokens["support"], survey="kiosk", score=0), 422)


def test_refusals(app, api, tokens, make_survey, make_link):
    token = tokens["admin"]
    make_survey("nps", slug="not-public")
    assert_problem(_answer(api, token, survey="not-public", score=5), 404)
    assert_problem(_answer(api, token, link_token="x" * 22, score=5), 404)
    make_survey("nps", slug="closed-public", is_public=True, settings={"status": "closed"})
    assert_problem(_answer(api, token, survey="closed-public", score=5), 410, "survey-closed")
    survey_id = make_survey("nps")
    expired = make_link(survey_id)
    with app.app_context():
        for invitation in db.session.scalars(select(Invitation)):
            invitation.expires_dt = utcnow() - timedelta(days=1)
        db.session.commit()
    assert_problem(_answer(api, token, link_token=expired, score=5), 410, "link-expired")
    both = _answer(api, token, link_token=expired, survey="x", score=5)
    assert "link_token" in assert_problem(both, 422)["errors"]
    assert_problem(_answer(api, token, score=5), 422)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Response)) == 0


def test_scope(app, api, tokens, make_survey, make_link):
    link = make_link(make_survey("enps"))
    assert_problem(_answer(api, tokens["viewer"], link_token=link, score=5), 403)
    hidden = assert_problem(_answer(api, tokens["support"], link_token=link, score=5), 404)
    unknown = assert_problem(_answer(api, tokens["support"], link_token="y" * 22, score=5), 404)
    assert hidden["detail"] == unknown["detail"]
    assert _responses(app) == []
