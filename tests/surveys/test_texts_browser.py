"""Issue 12 points 11 and 12 in a real Chromium, in Italian: an Italian staff user in Rome
writes the Italian texts of a survey and reads times in her zone; an Italian respondent reads
them and is told until when (Rome time, no seconds) the answer can be changed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from survey_app.accounts.models import User
from survey_app.core.db import db
from survey_app.responses.models import Response
from survey_app.surveys.models import Survey
from tests.conftest import DEFAULT_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.live]


@pytest.fixture
def italian(browser):
    context = browser.new_context(locale="it-IT", java_script_enabled=False,
                                  viewport={"width": 1000, "height": 900})
    yield context.new_page()
    context.close()


def test_italian_staff_writes_italian_texts_and_an_italian_respondent_reads_them(
        app, live_server, make_user, make_survey, make_link, italian, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "TIMEZONE", "Europe/Rome")
    make_user("admin", email="giulia@example.com", name="Giulia", locale="it",
              timezone="America/New_York")
    survey_id = make_survey("nps", title="How are we doing?")
    page = italian
    page.goto(f"{live_server.url}/login")
    page.locator("#email").fill("giulia@example.com")
    page.locator("#password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Accedi").click()
    expect(page).to_have_url(f"{live_server.url}/surveys")  # signed in before going on

    # Her time zone: from New York to Rome, on her own page.
    page.goto(f"{live_server.url}/account/timezone")
    assert page.get_by_role("heading", name="Il mio fuso orario").is_visible()
    page.get_by_label("Fuso orario").select_option("Europe/Rome")
    page.get_by_role("button", name="Salva", exact=True).click()
    # expect(): waits for the page the redirect leads to (is_visible() would not)
    expect(page.get_by_text("Gli orari sono ora mostrati nel fuso Europe/Rome.")).to_be_visible()

    with app.app_context():
        user = db.session.scalars(select(User)).one()
        user.last_login_dt = datetime(2026, 12, 1, 23, 5, 42, tzinfo=UTC)
        db.session.commit()
    page.goto(f"{live_server.url}/users")
    assert page.get_by_role("cell", name="2 dic 2026, 00:05").is_visible()  # 23:05:42 UTC
    page.screenshot(path=tmp_path / "users.png", full_page=True)

    page.goto(f"{live_server.url}/surveys/{survey_id}/edit")
    assert page.get_by_role("group", name="Testi in italiano").is_visible()
    page.locator("#texts_it-title").fill("Come stiamo andando?")
    page.locator("#texts_it-intro").fill("Ci vogliono due minuti.")
    page.locator("#texts_it-thanks").fill("Grazie davvero: leggiamo ogni risposta.")
    page.screenshot(path=tmp_path / "editor.png", full_page=True)
    page.get_by_role("button", name="Salva", exact=True).click()
    expect(page.get_by_text("Sondaggio salvato.")).to_be_visible()
    with app.app_context():
        assert db.session.get(Survey, survey_id).texts["it"]["title"] == "Come stiamo andando?"

    respondent = page.context.browser.new_context(locale="it-IT", java_script_enabled=False)
    answer = respondent.new_page()
    answer.goto(f"{live_server.url}/s/{make_link(survey_id, locale='it')}")
    assert answer.title() == "Come stiamo andando?"
    assert answer.get_by_role("heading", name="Come stiamo andando?").is_visible()
    assert answer.get_by_text("Ci vogliono due minuti.").is_visible()
    assert not answer.get_by_text("How are we doing?").count()
    answer.locator(".scale-option", has_text="8").first.click()
    answer.get_by_role("button", name="Invia la mia risposta").click()
    expect(answer.get_by_role("heading", name="Grazie!")).to_be_visible()
    assert answer.get_by_text("Grazie davvero: leggiamo ogni risposta.").is_visible()
    with app.app_context():
        submitted = db.session.scalars(select(Response)).one().submitted_dt
    deadline = (submitted + timedelta(hours=24)).astimezone(ZoneInfo("Europe/Rome"))
    months = "gen feb mar apr mag giu lug ago set ott nov dic".split()
    expected = f"{deadline.day} {months[deadline.month - 1]} {deadline.year}, " \
               f"{deadline:%H:%M}."
    assert answer.get_by_text(f"Puoi modificare la tua risposta fino al {expected}").is_visible()
    answer.screenshot(path=tmp_path / "thanks.png", full_page=True)
    respondent.close()
