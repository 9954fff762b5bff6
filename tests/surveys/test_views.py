"""The survey editor over the test client: create, edit rules, preview, activate, close."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from survey_app.audit.models import AuditEvent
from survey_app.core.db import db
from survey_app.core.tokens import new_token
from survey_app.responses.models import Suspicion
from survey_app.responses.services import Submission, record_response
from survey_app.surveys.models import Survey
from tests.conftest import csrf_token


def question(n: int, kind: str = "agreement", **extra: Any) -> dict[str, Any]:
    return {"kind": kind, "text_en": f"Question {n}?", "text_it": f"Domanda {n}?", **extra}


def survey_form(questions: list[dict[str, Any]] | None = None, **overrides: Any) -> dict:
    data = {"title": "Team pulse", "kind": "pulse", "default_locale": "en",
            "anonymity": "anonymous", "min_group_size": "5", "link_lifetime_days": "30",
            "edit_window_hours": "24", "score_text_en": "", "score_text_it": ""}
    data.update(overrides)
    for i, q in enumerate(questions if questions is not None else [question(1)]):
        for key, value in q.items():
            data[f"questions-{i}-{key}"] = value
    return {k: v for k, v in data.items() if v is not None}


def post(client, url: str, data: dict, page: str | None = None):
    token = csrf_token(client.get(page or url).get_data(as_text=True))
    return client.post(url, data={**data, "csrf_token": token})


def load(app, survey_id: int) -> Survey:
    with app.app_context():
        survey = db.session.get(Survey, survey_id)
        _ = [q.text for q in survey.questions]
        db.session.expunge_all()
        return survey


def audit(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        rows = db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()
        db.session.expunge_all()
        return rows


def survey_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Survey))


def test_hr_creates_a_pulse_with_an_extra_choice_question(app, client, login):
    hr_id = login(client, "hr")
    page = client.get("/surveys/new").get_data(as_text=True)
    assert 'value="nps"' not in page and 'value="pulse"' in page  # HR: employee kinds only
    data = survey_form([question(1), question(2, "choice", choices_en="Yes\nNo",
                                                 choices_it="Sì\nNo", is_required="y")])
    response = post(client, "/surveys/new", data)
    assert response.status_code == 303
    survey_id = int(response.headers["Location"].split("/")[2])
    survey = load(app, survey_id)
    assert (survey.status, survey.kind, survey.audience, survey.anonymity, survey.slug) == (
        "draft", "pulse", "employees", "anonymous", "team-pulse")
    assert [q.kind for q in survey.questions] == ["score", "agreement", "choice"]
    assert survey.questions[0].text["en"].startswith("How likely are you to recommend working")
    assert survey.questions[2].choices == [{"en": "Yes", "it": "Sì"}, {"en": "No", "it": "No"}]
    assert survey.questions[2].is_required
    [event] = audit(app, "survey.create")
    assert (event.actor_id, event.target_id, event.details) == (
        hr_id, survey_id, {"kind": "pulse", "title": "Team pulse"})


def test_hr_cannot_create_a_customer_survey(app, client, login):
    login(client, "hr")
    response = post(client, "/surveys/new", survey_form(kind="nps"))
    assert response.status_code == 422
    assert "Not a valid choice." in response.get_data(as_text=True)
    assert survey_count(app) == 0


def test_add_a_question_button_adds_a_slot_and_saves_nothing(app, client, login):
    login(client, "admin")
    response = post(client, "/surveys/new", {**survey_form(), "add_question": "1"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'name="questions-1-text_en"' in html and 'value="Question 1?"' in html
    assert survey_count(app) == 0


def test_eleven_questions_are_refused_and_nothing_changes(app, client, login, make_survey):
    login(client, "admin")
    survey_id = make_survey("pulse")
    before = load(app, survey_id)
    response = post(client, f"/surveys/{survey_id}/edit",
                    survey_form([question(n) for n in range(1, 11)], title="Changed"))
    assert response.status_code == 422
    assert ("A survey has at most 10 questions, the score question included: remove 1."
            in response.get_data(as_text=True))
    after = load(app, survey_id)
    assert after.title == before.title and len(after.questions) == len(before.questions) == 5
    assert audit(app, "survey.edit") == []


def test_ten_questions_are_fine(app, client, login, make_survey):
    login(client, "admin")
    survey_id = make_survey("pulse")
    response = post(client, f"/surveys/{survey_id}/edit",
                    survey_form([question(n) for n in range(1, 10)]))
    assert response.status_code == 303
    assert len(load(app, survey_id).questions) == 10


@pytest.mark.parametrize(("overrides", "questions", "message"), [
    ({"min_group_size": "2"}, None, "Number must be between 3 and 1000."),
    ({"min_group_size": "-5"}, None, "Choose one of the numbers offered."),
    ({"link_lifetime_days": "0"}, None, "Number must be between 1 and 365."),
    ({"edit_window_hours": "1_0"}, None, "Choose one of the numbers offered."),
    ({"title": ""}, None, "This field is required."),
    ({}, [{"kind": "agreement", "text_en": "Only English"}], "Write the question here."),
    ({}, [question(1, "choice", choices_en="One only", choices_it="Solo una")],
     "Give 2 to 10 options, one per line."),
    ({}, [question(1, "choice", choices_en="A\nB", choices_it="A")],
     "Give as many Italian options as English ones."),
    ({"kind": "bogus"}, None, "Not a valid choice."),
])
def test_invalid_edits_say_why_and_change_nothing(app, client, login, make_survey, overrides,
                                                  questions, message):
    login(client, "admin")
    survey_id = make_survey("pulse")
    before = load(app, survey_id)
    response = post(client, f"/surveys/{survey_id}/edit", survey_form(questions, **overrides))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    after = load(app, survey_id)
    assert (after.title, after.min_group_size, after.link_lifetime_days,
            len(after.questions)) == (before.title, before.min_group_size,
                                      before.link_lifetime_days, len(before.questions))


def test_edit_saves_and_audits_what_changed(app, client, login, make_survey):
    admin_id = login(client, "admin")
    survey_id = make_survey("nps", anonymous=False)
    response = post(client, f"/surveys/{survey_id}/edit", survey_form(
        [], title="Renamed", kind="nps", anonymity="identified", min_group_size="7",
        score_text_it="Ci consiglieresti?"))
    assert response.status_code == 303
    survey = load(app, survey_id)
    assert (survey.title, survey.min_group_size) == ("Renamed", 7)
    assert survey.questions[0].text["it"] == "Ci consiglieresti?"
    assert survey.questions[0].text["en"].startswith("How likely are you to recommend us")
    [event] = audit(app, "survey.edit")
    assert event.actor_id == admin_id
    assert event.details == {"changed": ["title", "min_group_size", "score_text"]}


def answered_survey(make_survey, make_link, submit, **options) -> int:
    survey_id = make_survey("pulse", **options)
    token = make_link(survey_id)
    assert submit(f"/s/{token}", {"score": "9"}).status_code == 303
    return survey_id


@pytest.mark.parametrize(("overrides", "questions", "message"), [
    ({"anonymity": "identified"}, None, "it cannot become identified"),
    ({"min_group_size": "4"}, None, "can be raised but not lowered below 5"),
    ({"kind": "enps"}, None, "The kind cannot change once the survey has responses."),
    ({}, [question(1)], "none removed or changed in kind"),
])
def test_loosening_after_responses_is_refused(app, client, login, make_survey, make_link, submit,
                                              overrides, questions, message):
    survey_id = answered_survey(make_survey, make_link, submit)
    login(client, "hr")
    before = load(app, survey_id)
    current = [{"kind": q.kind, "text_en": q.text["en"], "text_it": q.text["it"],
                "choices_en": "\n".join(o["en"] for o in q.choices or []),
                "choices_it": "\n".join(o["it"] for o in q.choices or [])}
               for q in before.extra_questions]
    response = post(client, f"/surveys/{survey_id}/edit",
                    survey_form(questions if questions is not None else current,
                                title="Should not be saved", **overrides))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    after = load(app, survey_id)
    assert (after.title, after.anonymity, after.min_group_size, after.kind,
            len(after.questions)) == (before.title, "anonymous", 5, "pulse", 5)


def test_tightening_and_rewording_after_responses_is_fine(app, client, login, make_survey,
                                                          make_link, submit):
    survey_id = answered_survey(make_survey, make_link, submit)
    login(client, "admin")
    before = load(app, survey_id)
    current = [{"kind": q.kind, "text_en": q.text["en"] + " (reworded)", "text_it": q.text["it"],
                "choices_en": "\n".join(o["en"] for o in q.choices or []),
                "choices_it": "\n".join(o["it"] for o in q.choices or [])}
               for q in before.extra_questions]
    response = post(client, f"/surveys/{survey_id}/edit",
                    survey_form(current + [question(9)], min_group_size="8"))
    assert response.status_code == 303
    after = load(app, survey_id)
    assert after.min_group_size == 8 and len(after.questions) == 6
    assert after.questions[1].text["en"].endswith("(reworded)")


def test_preview_is_the_respondent_page_read_only(app, client, login, make_survey):
    login(client, "hr")
    survey_id = make_survey("pulse", locale="it")
    html = client.get(f"/surveys/{survey_id}/preview").get_data(as_text=True)
    assert "Quanto è probabile che consigli a un amico di lavorare qui?" in html
    assert 'name="score"' in html and html.count('name="score"') == 11
    assert "Ho ciò che mi serve per lavorare bene." in html
    assert "disabled>" in html and 'name="csrf_token"' not in html
    assert "staff-nav" not in html  # the respondent layout, not the staff one
    english = client.get(f"/surveys/{survey_id}/preview?lang=en").get_data(as_text=True)
    assert "I have what I need to do my job well." in english
    assert client.post(f"/surveys/{survey_id}/preview").status_code == 405


def test_activate_and_close_are_audited_and_change_the_public_page(app, client, login,
                                                                   make_survey):
    login(client, "admin")
    survey_id = make_survey("nps", is_public=True, settings={"status": "draft"})
    slug = load(app, survey_id).slug
    assert client.get(f"/p/{slug}").status_code == 404
    edit_page = f"/surveys/{survey_id}/edit"
    assert post(client, f"/surveys/{survey_id}/activate", {}, edit_page).status_code == 303
    assert load(app, survey_id).status == "active"
    assert client.get(f"/p/{slug}").status_code == 200
    assert post(client, f"/surveys/{survey_id}/close", {}, edit_page).status_code == 303
    assert load(app, survey_id).status == "closed"
    assert client.get(f"/p/{slug}").status_code == 410
    assert [len(audit(app, a)) for a in ("survey.activate", "survey.close")] == [1, 1]


@pytest.mark.parametrize("path", ["/surveys/new", "/surveys/{id}/edit", "/surveys/{id}/activate",
                                  "/surveys/{id}/close"])
def test_survey_forms_need_a_csrf_token(app, client, login, make_survey, path):
    login(client, "admin")
    survey_id = make_survey("nps", settings={"status": "draft"})
    response = client.post(path.format(id=survey_id), data=survey_form(title="No token"))
    assert response.status_code == 400
    survey = load(app, survey_id)
    assert (survey.status, survey.title) == ("draft", "NPS survey")
    assert survey_count(app) == 1


def test_list_shows_live_scores_and_hides_small_anonymous_groups(app, client, login,
                                                                 make_survey, make_link, submit):
    nps = make_survey("nps", title="Customers")
    for score in (10, 9, 6, 8):
        submit(f"/s/{make_link(nps)}", {"score": str(score)})
    csat = make_survey("csat", title="Support")
    for score in (5, 4, 2):
        submit(f"/s/{make_link(csat)}", {"score": str(score)})
    enps = make_survey("enps", title="Staff")
    for score in (10, 9):
        submit(f"/s/{make_link(enps)}", {"score": str(score)})
    login(client, "admin")
    html = " ".join(client.get("/surveys").get_data(as_text=True).split())
    assert '<span class="score-value">+25</span> <span class="muted">NPS</span>' in html
    assert '<span class="score-value">67%</span> <span class="muted">CSAT</span>' in html
    assert ">hidden</span>" in html  # 2 anonymous responses < threshold 5
    assert "+100" not in html


def test_list_links_to_the_dashboard_when_it_exists(app, client, login, make_survey):
    survey_id = make_survey("nps")
    login(client, "admin")
    html = client.get("/surveys").get_data(as_text=True)
    expected = (f"/surveys/{survey_id}" if "dashboards.survey" in app.view_functions
                else f"/surveys/{survey_id}/edit")
    assert f'<a href="{expected}">NPS survey</a>' in html


def test_retention_is_set_on_the_edit_page_and_audited(app, client, login, make_survey):
    admin_id = login(client, "admin")
    survey_id = make_survey("nps")
    page = f"/surveys/{survey_id}/edit"
    assert "Anonymise answers after" in client.get(page).get_data(as_text=True)
    response = post(client, f"/surveys/{survey_id}/retention", {"retention_days": "365"}, page)
    assert response.status_code == 303
    assert load(app, survey_id).retention_days == 365
    [event] = audit(app, "survey.retention")
    assert (event.actor_id, event.details) == (admin_id, {"old": None, "new": 365})
    assert post(client, f"/surveys/{survey_id}/retention", {"retention_days": ""},
                page).status_code == 303
    assert load(app, survey_id).retention_days is None


@pytest.mark.parametrize("value", ["29", "3651", "-1", "abc", "1e3", "365.5"])
def test_bad_retention_says_why_and_keeps_the_old_value(app, client, login, make_survey, value):
    login(client, "hr")
    survey_id = make_survey("enps", settings={"retention_days": 400})
    page = f"/surveys/{survey_id}/edit"
    response = post(client, f"/surveys/{survey_id}/retention", {"retention_days": value}, page)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "between 30 and 3650" in html and f'value="{value}"' in html
    assert load(app, survey_id).retention_days == 400


def test_retention_of_a_survey_one_may_not_manage_is_404(app, client, login, make_survey):
    login(client, "hr")
    survey_id = make_survey("nps")
    token = csrf_token(client.get("/surveys").get_data(as_text=True) or "")
    assert client.post(f"/surveys/{survey_id}/retention",
                       data={"retention_days": "60", "csrf_token": token}).status_code == 404


def test_retention_setting_speaks_italian(app, client, login, make_survey):
    login(client, "admin")
    survey_id = make_survey("nps")
    html = client.get(f"/surveys/{survey_id}/edit?lang=it").get_data(as_text=True)
    assert "Rendi anonime le risposte dopo … giorni" in html and "Salva la conservazione" in html
    response = post(client, f"/surveys/{survey_id}/retention?lang=it", {"retention_days": "7"},
                    f"/surveys/{survey_id}/edit")
    assert "Scrivi un numero di giorni tra 30 e 3650" in response.get_data(as_text=True)


def test_the_survey_list_counts_flagged_answers_in_italian_agreement(app, client, login,
                                                                     make_survey):
    survey_id = make_survey("nps")
    login(client, "admin", locale="it")

    def flag_one() -> str:
        with app.app_context():
            record_response(db.session.get(Survey, survey_id), Submission(score=9),
                            token=new_token(), channel="link", suspected=Suspicion.TOO_FAST)
            db.session.commit()
        return " ".join(client.get("/surveys").get_data(as_text=True).split())

    assert "1 segnalata" in flag_one()
    assert "2 segnalate" in flag_one()
