"""Survey texts per language (issue 12 point 11): edited on the survey page, shown to respondents
in their language, falling back to the survey's default language."""

from __future__ import annotations

import pytest

from tests.surveys.test_views import load, post, survey_form

ITALIAN = {"texts_it-title": "Come stiamo andando?", "texts_it-intro": "Due minuti.\nGrazie!",
           "texts_it-thanks": "Grazie davvero, ci aiuti a migliorare.",
           "texts_it-email_subject": "Ci dai un parere?", "texts_it-email_body": "Ciao dal team."}


def test_editor_saves_the_texts_of_each_language_and_shows_them_again(app, client, login,
                                                                      make_survey):
    login(client, "admin")
    survey_id = make_survey("nps", title="How are we doing?")
    response = post(client, f"/surveys/{survey_id}/edit",
                    survey_form([], kind="nps", anonymity="identified", title="How are we doing?",
                                **ITALIAN, **{"texts_en-intro": "  Two minutes.  "}))
    assert response.status_code == 303
    survey = load(app, survey_id)
    assert survey.texts == {
        "en": {"intro": "Two minutes."},
        "it": {"title": "Come stiamo andando?", "intro": "Due minuti.\nGrazie!",
               "thanks": "Grazie davvero, ci aiuti a migliorare.",
               "email_subject": "Ci dai un parere?", "email_body": "Ciao dal team."}}
    page = client.get(f"/surveys/{survey_id}/edit").get_data(as_text=True)
    assert 'value="Come stiamo andando?"' in page and "Due minuti.\nGrazie!</textarea>" in page


@pytest.mark.parametrize("field", ["texts_it-title", "texts_en-email_subject"])
def test_a_subject_or_title_with_a_line_break_is_refused_and_nothing_changes(
        app, client, login, make_survey, field):
    login(client, "admin")
    survey_id = make_survey("nps")
    response = post(client, f"/surveys/{survey_id}/edit",
                    survey_form([], kind="nps", anonymity="identified", title="NPS survey",
                                **{field: "Ciao\r\nBcc: evil@example.com"}))
    assert response.status_code == 422
    # The form refuses it before the service's own check (which guards the CLI and the API).
    assert "Write this on one line" in response.get_data(as_text=True)
    assert load(app, survey_id).texts == {}


def test_a_text_too_long_is_refused_with_a_message(app, client, login, make_survey):
    login(client, "admin")
    survey_id = make_survey("nps")
    response = post(client, f"/surveys/{survey_id}/edit",
                    survey_form([], kind="nps", anonymity="identified", title="NPS survey",
                                **{"texts_it-intro": "x" * 2001}))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Field cannot be longer than 2000 characters." in html
    assert 'href="#texts_it"' in html
    assert load(app, survey_id).texts == {}


def test_an_italian_respondent_sees_the_italian_title_intro_and_thanks(
        app, client, submit, make_survey, make_link):
    survey_id = make_survey("nps", title="How are we doing?", settings={"texts": {
        "it": {"title": "Come stiamo andando?", "intro": "Due minuti.",
               "thanks": "Grazie davvero."}}})
    token = make_link(survey_id, locale="it")
    html = client.get(f"/s/{token}").get_data(as_text=True)
    assert "<title>Come stiamo andando?" in html and "<h1>Come stiamo andando?</h1>" in html
    assert "Due minuti." in html and "How are we doing?" not in html
    answered = submit(f"/s/{token}", {"score": "9"})
    thanks = client.get(answered.headers["Location"]).get_data(as_text=True)
    assert "Grazie davvero." in thanks and "Come stiamo andando?" in thanks


def test_a_missing_text_falls_back_to_the_default_language(app, client, make_survey, make_link):
    survey_id = make_survey("nps", title="Staff title", locale="it", settings={"texts": {
        "it": {"title": "Come stiamo andando?", "intro": "Due minuti."},
        "en": {"intro": "Two minutes."}}})
    html = client.get(f"/s/{make_link(survey_id, locale='en')}").get_data(as_text=True)
    assert "<h1>Come stiamo andando?</h1>" in html and "Two minutes." in html
    assert "Due minuti." not in html


def test_texts_are_shown_as_text_never_as_markup(app, client, make_survey, make_link):
    survey_id = make_survey("nps", settings={"texts": {
        "it": {"title": "<i>Ciao</i>", "intro": '<script>alert("x")</script>'}}})
    html = client.get(f"/s/{make_link(survey_id, locale='it')}").get_data(as_text=True)
    assert "<script>alert" not in html and "&lt;script&gt;alert" in html
    assert "<i>Ciao</i>" not in html and "&lt;i&gt;Ciao&lt;/i&gt;" in html
