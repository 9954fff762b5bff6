"""A respondent on a phone, in Italian, in a real Chromium — without JavaScript."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from survey_app.core.db import db
from survey_app.responses.models import Response

pytestmark = [pytest.mark.browser, pytest.mark.live]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport=PHONE, locale="it-IT", java_script_enabled=False,
                                  is_mobile=True, has_touch=True, device_scale_factor=2)
    yield context.new_page()
    context.close()


def test_italian_respondent_answers_and_changes_the_answer_on_a_phone(
        app, live_server, make_survey, make_link, phone, tmp_path):
    token = make_link(make_survey("nps", title="Come stiamo andando?"), locale="it",
                      attributes={"plan": "pro"})
    phone.goto(f"{live_server.url}/s/{token}?score=6")

    assert phone.locator("html").get_attribute("lang") == "it"
    assert phone.get_by_text("Quanto è probabile che ci raccomandi").is_visible()
    assert phone.get_by_label("6", exact=True).is_checked()  # preselected from the e-mail
    # Every score button is at least 44 px wide: tappable with a thumb.
    for box in (phone.locator(".scale-option").nth(i).bounding_box() for i in range(11)):
        assert box["width"] >= 44 and box["height"] >= 44
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    phone.locator(".scale-option", has_text="3").first.click()
    phone.get_by_label("Qual è il motivo principale").fill("Nessuno ha risposto alle mie email.")
    phone.screenshot(path=tmp_path / "form.png", full_page=True)
    phone.get_by_role("button", name="Invia la mia risposta").click()

    assert phone.get_by_role("heading", name="Grazie!").is_visible()
    with app.app_context():
        first = db.session.scalars(select(Response)).one()
        assert (first.score, first.locale, first.segment) == (3, "it", {"plan": "pro"})

    phone.get_by_role("link", name="Modifica la mia risposta").click()
    assert phone.get_by_label("3", exact=True).is_checked()
    phone.locator(".scale-option", has_text="9").first.click()
    phone.get_by_role("button", name="Aggiorna la mia risposta").click()
    expect(phone.get_by_role("heading", name="Grazie!")).to_be_visible()
    with app.app_context():
        again = db.session.scalars(select(Response)).one()
        assert (again.id, again.score, again.category) == (first.id, 9, "promoter")


def test_validation_message_is_shown_next_to_the_score(live_server, make_survey, make_link,
                                                       phone):
    token = make_link(make_survey("csat"), locale="it")
    phone.goto(f"{live_server.url}/s/{token}")
    phone.get_by_label("Qual è il motivo principale").fill("testo da non perdere")
    phone.get_by_role("button", name="Invia la mia risposta").click()
    assert phone.locator("#score-error").inner_text().startswith("Scegli un punteggio da 1 a 5")
    assert phone.get_by_label("Qual è il motivo principale").input_value() == (
        "testo da non perdere")


def test_italian_answer_sent_again_from_a_second_tab_is_kept_and_applied_with_one_button(
        app, live_server, make_survey, make_link, phone):
    token = make_link(make_survey("nps"), locale="it")
    second_tab = phone.context.new_page()
    second_tab.goto(f"{live_server.url}/s/{token}")  # opened before the first answer
    phone.goto(f"{live_server.url}/s/{token}")
    phone.locator(".scale-option", has_text="3").first.click()
    phone.get_by_role("button", name="Invia la mia risposta").click()
    expect(phone.get_by_role("heading", name="Grazie!")).to_be_visible()

    second_tab.locator(".scale-option", has_text="9").first.click()
    second_tab.get_by_label("Qual è il motivo principale").fill("Hanno risolto in un'ora.")
    second_tab.get_by_role("button", name="Invia la mia risposta").click()
    expect(second_tab.get_by_text("Questo link è già stato usato per rispondere.")).to_be_visible()
    assert second_tab.get_by_label("9", exact=True).is_checked()  # what was typed, kept
    assert second_tab.get_by_label("Qual è il motivo principale").input_value() == (
        "Hanno risolto in un'ora.")
    with app.app_context():
        assert db.session.scalars(select(Response.score)).one() == 3
    second_tab.get_by_role("button", name="Aggiorna la mia risposta").click()
    expect(second_tab.get_by_role("heading", name="Grazie!")).to_be_visible()
    with app.app_context():
        response = db.session.scalars(select(Response)).one()
        assert (response.score, response.comment) == (9, "Hanno risolto in un'ora.")
