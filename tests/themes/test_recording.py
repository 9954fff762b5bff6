"""Themes are stored with the answer, follow its edits, survive erasure, and use survey terms."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from survey_app.core.db import db
from survey_app.people.models import Person
from survey_app.privacy.erasure import erase_person
from survey_app.responses.models import Response
from survey_app.responses.services import Submission, update_response
from survey_app.responses.tagging import retag_responses
from survey_app.surveys.models import QuestionKind, Survey
from survey_app.themes import services
from tests.conftest import csrf_token


def test_a_first_answer_is_tagged_in_its_own_transaction(make_survey, answer, stored_themes):
    survey = make_survey("nps")
    response = answer(survey, 2, "Il corriere è in ritardo e l'assistenza non risponde",
                      locale="it")
    assert stored_themes(response) == [("delivery", None), ("support", None)]
    assert stored_themes(answer(survey, 10, "Tutto perfetto", locale="it")) == []
    assert stored_themes(answer(survey, 9, None)) == []


def test_an_answer_through_the_respondent_page_is_tagged(app, client, make_survey, make_link,
                                                         stored_themes):
    survey = make_survey("nps")
    token = make_link(survey)
    page = client.get(f"/s/{token}").get_data(as_text=True)
    reply = client.post(f"/s/{token}", data={
        "score": "3", "comment": "Way too expensive and the app keeps crashing",
        "csrf_token": csrf_token(page)})
    assert reply.status_code == 303
    with app.app_context():
        response_id = db.session.scalar(sa.select(Response.id).where(
            Response.survey_id == survey))
    assert stored_themes(response_id) == [("price", None), ("usability", None)]


def test_free_text_answers_are_tagged_with_their_question(app, make_survey, answer,
                                                          stored_themes):
    survey = make_survey("pulse", anonymous=False)
    with app.app_context():
        question = next(q.id for q in db.session.get(Survey, survey).extra_questions
                        if q.kind == QuestionKind.TEXT)
    response = answer(survey, 6, "My manager never listens", text="Too much work, no balance")
    assert stored_themes(response) == [("balance", question), ("manager", None),
                                       ("workload", question)]


def _loaded(response_id: int) -> Response:
    """The response as the edit page loads it (its answers with it: loading them later would
    flush the edit half-way, a second version)."""
    return db.session.scalar(sa.select(Response).where(Response.id == response_id)
                             .options(selectinload(Response.answers)))


def test_an_edit_replaces_the_themes_in_one_new_version(app, make_survey, answer,
                                                        stored_themes):
    survey = make_survey("nps")
    response_id = answer(survey, 3, "Delivery was late")
    with app.app_context():
        response = _loaded(response_id)
        update_response(response, Submission(score=4, comment="Delivery fine, but overpriced"),
                        version=1)
        db.session.commit()
        assert response.version == 2
    assert stored_themes(response_id) == [("delivery", None), ("price", None)]
    with app.app_context():
        response = _loaded(response_id)
        update_response(response, Submission(score=5, comment="Great!"), version=2)
        db.session.commit()
        assert response.version == 3
    assert stored_themes(response_id) == []


def test_erasure_keeps_the_themes_and_retag_does_not_drop_them(app, make_survey, make_link,
                                                               answer, stored_themes):
    survey = make_survey("nps")
    make_link(survey, email="gone@example.com")
    with app.app_context():
        person = db.session.scalar(sa.select(Person).where(Person.email == "gone@example.com"))
        person_id = person.id
    response_id = answer(survey, 1, "Refund still missing")
    with app.app_context():
        db.session.get(Response, response_id).person_id = person_id
        db.session.commit()
        erase_person(db.session.get(Person, person_id))
        db.session.commit()
        assert db.session.get(Response, response_id).comment is None
        retag_responses(db.session.get(Survey, survey))
        db.session.commit()
    assert stored_themes(response_id) == [("billing", None)]


def test_survey_terms_apply_to_new_answers_and_to_retagged_ones(app, make_survey, answer,
                                                                stored_themes):
    survey = make_survey("nps")
    before = answer(survey, 4, "The table wobbles")
    assert stored_themes(before) == []
    with app.app_context():
        row = db.session.get(Survey, survey)
        services.add_term(row, "quality", "en", "wobbl*")
        db.session.commit()
        assert row.themes_stamp is not None
    assert stored_themes(answer(survey, 4, "Chairs wobble too")) == [("quality", None)]
    assert stored_themes(before) == []  # stored answers change only when re-tagged
    with app.app_context():
        assert retag_responses(db.session.get(Survey, survey)) == 1
        db.session.commit()
    assert stored_themes(before) == [("quality", None)]


def test_retag_leaves_answers_and_their_versions_alone(app, make_survey, answer, stored_themes):
    survey = make_survey("nps")
    response_id = answer(survey, 4, "Shipping was slow")
    with app.app_context():
        db.session.execute(sa.text("DELETE FROM response_themes"))
        db.session.commit()
        assert retag_responses(db.session.get(Survey, survey)) == 1
        assert retag_responses(db.session.get(Survey, survey)) == 0
        db.session.commit()
        assert db.session.get(Response, response_id).version == 1
    assert stored_themes(response_id) == [("delivery", None)]
