"""A respondent opens the e-mail they received and taps a score button, in a real Chromium."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from survey_app.core.db import db
from survey_app.invitations.models import Invitation
from survey_app.responses.models import Response

pytestmark = [pytest.mark.browser, pytest.mark.live]


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True, java_script_enabled=False)
    yield context.new_page()
    context.close()


def test_score_button_in_the_received_email_opens_the_survey_and_the_answer_is_sent(
        app, live_server, smtp_server, make_survey, make_people, send, phone, tmp_path):
    app.config["BASE_URL"] = live_server.url
    try:
        make_people(1, name="Ann", locale="en")
        send(make_survey("nps", title="Acme — how are we doing?"))
    finally:
        app.config["BASE_URL"] = "http://polso.test"
    [message] = smtp_server.messages
    phone.set_content(message.get_body(("html",)).get_content())  # the e-mail, as a client shows it
    phone.screenshot(path=tmp_path / "email.png", full_page=True)
    buttons = phone.locator("a[href*='?score=']")
    assert buttons.count() == 11
    for i in range(11):  # the whole row fits a phone and every button can be tapped
        box = buttons.nth(i).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390 and box["height"] >= 40
    assert not phone.locator("a[href$='/x']").is_visible()  # the honeypot is hidden

    buttons.nth(8).click()  # "8"
    phone.wait_for_url(f"{live_server.url}/s/*?score=8")
    assert phone.get_by_label("8", exact=True).is_checked()
    phone.get_by_label("What is the main reason for your score?").fill("Quick and friendly.")
    phone.get_by_role("button", name="Send my answer").click()
    expect(phone.get_by_role("heading", name="Thank you!")).to_be_visible()
    with app.app_context():
        response = db.session.scalars(select(Response)).one()
        assert (response.score, response.category, response.comment) == (
            8, "passive", "Quick and friendly.")
        assert not response.is_suspected_automated
        assert db.session.scalars(select(Invitation.status)).one() == "responded"
