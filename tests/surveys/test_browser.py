"""An admin on a phone, in a real Chromium without JavaScript: sign in, create, preview."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from survey_app.core.db import db
from survey_app.surveys.models import Survey
from tests.conftest import DEFAULT_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.live]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport=PHONE, java_script_enabled=False, is_mobile=True,
                                  has_touch=True, device_scale_factor=2)
    yield context.new_page()
    context.close()


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_admin_creates_a_survey_with_an_extra_question_and_previews_it_on_a_phone(
        app, live_server, make_user, phone, tmp_path):
    make_user("admin", email="ada@example.com", name="Ada")
    phone.goto(f"{live_server.url}/surveys/new")
    assert phone.url.startswith(f"{live_server.url}/login?next=")  # sent to sign in first
    phone.get_by_label("E-mail").fill("ada@example.com")
    phone.get_by_label("Password").fill(DEFAULT_PASSWORD)
    phone.get_by_role("button", name="Sign in").click()

    assert phone.get_by_role("heading", name="New survey").is_visible()  # next= followed
    assert phone.get_by_role("link", name="Surveys", exact=True).is_visible() and fits(phone)
    phone.get_by_label("Title").fill("Customer check-in")
    phone.get_by_label("Kind").first.select_option("nps")
    phone.locator("#questions-0-kind").select_option("agreement")
    phone.locator("#questions-0-text_en").fill("The app is easy to use.")
    phone.locator("#questions-0-text_it").fill("L'app è facile da usare.")
    phone.get_by_role("button", name="Add a question").click()
    phone.locator("#questions-1-kind").select_option("choice")
    phone.locator("#questions-1-text_en").fill("Which plan do you use?")
    phone.locator("#questions-1-text_it").fill("Quale piano usi?")
    phone.locator("#questions-1-choices_en").fill("Free\nPro\nEnterprise")
    phone.locator("#questions-1-choices_it").fill("Gratuito\nPro\nEnterprise")
    phone.screenshot(path=tmp_path / "editor.png", full_page=True)
    assert fits(phone)
    phone.get_by_role("button", name="Create survey").click()

    assert phone.get_by_text("Survey created as a draft.").is_visible()
    with app.app_context():
        survey = db.session.scalars(select(Survey)).one()
        assert (survey.kind, survey.status, [q.kind for q in survey.questions]) == (
            "nps", "draft", ["score", "agreement", "choice"])

    phone.get_by_role("link", name="Preview").click()
    expect(phone.get_by_text("this is exactly what respondents see")).to_be_visible()
    assert phone.get_by_role("heading", name="Customer check-in").is_visible()
    assert phone.get_by_text("The app is easy to use.").is_visible()
    for option in ("Free", "Pro", "Enterprise"):
        assert phone.locator(".scale-option", has_text=option).first.is_visible()
    assert phone.get_by_role("button", name="Send my answer").is_disabled()
    for box in (phone.locator(".scale-option").nth(i).bounding_box() for i in range(11)):
        assert box["width"] >= 44 and box["height"] >= 44
    assert fits(phone)
    phone.screenshot(path=tmp_path / "preview.png", full_page=True)

    phone.get_by_role("link", name="Italiano").click()
    expect(phone.get_by_text("L'app è facile da usare.")).to_be_visible()
    assert phone.locator(".scale-option", has_text="Gratuito").first.is_visible()
