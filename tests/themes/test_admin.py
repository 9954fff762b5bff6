"""The survey themes page: admins add terms and themes; stored answers are re-tagged."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from survey_app.audit.models import AuditEvent
from survey_app.core.db import db
from survey_app.themes.models import SurveyTheme, SurveyThemeTerm
from tests.conftest import csrf_token


def _audit(app) -> list[tuple[str, dict]]:
    with app.app_context():
        return [(e.action, e.details) for e in db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action.like("themes.%"))
            .order_by(AuditEvent.id))]


def test_page_lists_the_built_in_themes_in_both_languages(client, login, make_survey):
    survey = make_survey("nps")
    login(client, "admin")
    page = client.get(f"/surveys/{survey}/themes").get_data(as_text=True)
    for name in ("Delivery", "Billing and refunds", "Support responsiveness",
                 "Stock and availability"):
        assert name in page
    italian = client.get(f"/surveys/{survey}/themes?lang=it",
                         headers={"Accept-Language": "it"}).get_data(as_text=True)
    assert "Consegna" in italian and "Fatturazione e rimborsi" in italian


@pytest.mark.parametrize(("role", "audience", "status"), [
    ("support", "nps", 403), ("viewer", "nps", 403), ("hr", "nps", 404), ("hr", "enps", 200),
    ("admin", "enps", 200)])
def test_who_may_change_themes(client, login, make_survey, role, audience, status):
    survey = make_survey(audience)
    login(client, role)
    assert client.get(f"/surveys/{survey}/themes").status_code == status
    if status != 200:  # refused before the form is even read
        token = csrf_token(client.get("/surveys").get_data(as_text=True))
        reply = client.post(f"/surveys/{survey}/themes/terms",
                            data={"theme": "pay", "lang": "en", "term": "stipend",
                                  "csrf_token": token})
        assert reply.status_code == status


def test_adding_a_term_retags_stored_answers(app, client, login, make_survey, answer,
                                             stored_themes):
    survey = make_survey("nps")
    before = answer(survey, 3, "The chairs wobble")
    login(client, "admin")
    page = client.get(f"/surveys/{survey}/themes").get_data(as_text=True)
    reply = client.post(f"/surveys/{survey}/themes/terms", data={
        "theme": "quality", "lang": "en", "term": "wobbl*", "csrf_token": csrf_token(page)})
    assert reply.status_code == 303
    assert stored_themes(before) == [("quality", None)]  # the job ran (immediately in tests)
    assert _audit(app) == [("themes.term_added",
                            {"theme": "quality", "lang": "en", "term": "wobbl*"})]
    page = client.get(f"/surveys/{survey}/themes").get_data(as_text=True)
    assert "wobbl*" in page and "Term added" in page


@pytest.mark.parametrize(("data", "message"), [
    ({"theme": "quality", "lang": "en", "term": "ab*"}, "at least 3 letters"),
    ({"theme": "quality", "lang": "en", "term": "!!!"}, "letters or digits"),
    ({"theme": "quality", "lang": "en", "term": "one two three four five"}, "at most 4 words"),
    ({"theme": "nope", "lang": "en", "term": "x"}, "Not a valid choice"),
    ({"theme": "quality", "lang": "de", "term": "kaputt"}, "Not a valid choice"),
    ({"theme": "quality", "lang": "en", "term": ""}, "This field is required"),
])
def test_bad_terms_are_refused_and_kept_in_the_form(app, client, login, make_survey, data,
                                                     message):
    survey = make_survey("nps")
    login(client, "admin")
    page = client.get(f"/surveys/{survey}/themes").get_data(as_text=True)
    reply = client.post(f"/surveys/{survey}/themes/terms",
                        data={**data, "csrf_token": csrf_token(page)})
    assert reply.status_code == 422
    html = reply.get_data(as_text=True)
    assert message in html
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(SurveyThemeTerm)) == 0


def test_a_surveys_own_theme_tags_shows_and_goes(app, client, login, make_survey, answer,
                                                 stored_themes):
    survey = make_survey("nps")
    tagged = answer(survey, 2, "No space in the car park")
    login(client, "admin")
    token = csrf_token(client.get(f"/surveys/{survey}/themes").get_data(as_text=True))
    assert client.post(f"/surveys/{survey}/themes", data={
        "label": "Car park", "csrf_token": token}).status_code == 303
    again = client.post(f"/surveys/{survey}/themes", data={"label": "car  PARK",
                                                           "csrf_token": token})
    assert again.status_code == 422 and "already a theme" in again.get_data(as_text=True)
    assert client.post(f"/surveys/{survey}/themes", data={
        "label": "Delivery", "csrf_token": token}).status_code == 422  # a built-in one
    assert client.post(f"/surveys/{survey}/themes/terms", data={
        "theme": "car_park", "lang": "en", "term": "car park",
        "csrf_token": token}).status_code == 303
    assert stored_themes(tagged) == [("car_park", None)]
    dashboard = client.get(f"/surveys/{survey}").get_data(as_text=True)
    assert 'data-theme="car_park"' in dashboard and "Car park" in dashboard
    assert client.post(f"/surveys/{survey}/themes/delivery/delete",
                       data={"csrf_token": token}).status_code == 404
    assert client.post(f"/surveys/{survey}/themes/car_park/delete",
                       data={"csrf_token": token}).status_code == 303
    assert stored_themes(tagged) == []
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(SurveyTheme)) == 0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(SurveyThemeTerm)) == 0
    assert [action for action, _ in _audit(app)] == [
        "themes.theme_added", "themes.term_added", "themes.theme_removed"]


def test_removing_a_term(app, client, login, make_survey, answer, stored_themes):
    survey = make_survey("nps")
    tagged = answer(survey, 2, "The chairs wobble")
    login(client, "admin")
    token = csrf_token(client.get(f"/surveys/{survey}/themes").get_data(as_text=True))
    client.post(f"/surveys/{survey}/themes/terms", data={
        "theme": "quality", "lang": "en", "term": "wobbl*", "csrf_token": token})
    with app.app_context():
        term_id = db.session.scalar(sa.select(SurveyThemeTerm.id))
    other = make_survey("nps")
    assert client.post(f"/surveys/{other}/themes/terms/{term_id}/delete",
                       data={"csrf_token": token}).status_code == 404  # not that survey's
    assert client.post(f"/surveys/{survey}/themes/terms/{term_id}/delete",
                       data={"csrf_token": token}).status_code == 303
    assert stored_themes(tagged) == []
    assert _audit(app)[-1][0] == "themes.term_removed"
