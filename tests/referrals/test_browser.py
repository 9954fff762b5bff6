"""The thank-you page per category on a phone, without JavaScript, in a real Chromium."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from survey_app.core.db import db
from survey_app.people.models import Person
from survey_app.referrals.models import Referral, ReviewLink
from survey_app.responses.models import Response
from tests.referrals.conftest import GOOGLE

pytestmark = [pytest.mark.browser, pytest.mark.live]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport=PHONE, locale="it-IT", java_script_enabled=False,
                                  is_mobile=True, has_touch=True, device_scale_factor=2)
    yield context.new_page()
    context.close()


def answer_on_phone(phone, url: str, score: int) -> None:
    phone.goto(url)
    phone.locator(".scale-option", has_text=str(score)).first.click()
    phone.get_by_role("button", name="Invia la mia risposta").click()
    expect(phone.get_by_role("heading", name="Grazie!")).to_be_visible()


def test_promoter_reviews_and_invites_a_friend(app, live_server, loop_survey, make_link, phone,
                                               tmp_path):
    token = make_link(loop_survey(), locale="it", email="fan@example.com")
    answer_on_phone(phone, f"{live_server.url}/s/{token}", 10)
    assert phone.get_by_role("heading", name="Lo diresti ad altri?").is_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    link = phone.get_by_label("Il tuo link di invito personale:").input_value()
    assert "/join/" in link
    phone.screenshot(path=tmp_path / "promoter.png", full_page=True)
    # The review site is not on this machine: follow our redirect up to its answer.
    href = phone.get_by_role("link", name="Lascia una recensione su Google").get_attribute("href")
    redirect = phone.request.get(live_server.url + href, max_redirects=0)
    assert (redirect.status, redirect.headers["location"]) == (303, GOOGLE)
    with app.app_context():
        assert db.session.scalar(select(ReviewLink.clicks).where(ReviewLink.position == 1)) == 1

    phone.goto(link.replace("http://localhost", live_server.url))
    assert phone.get_by_role("heading", name="Sei invitato").is_visible()
    phone.get_by_label("Il tuo nome").fill("Amica")
    phone.get_by_label("Il tuo indirizzo e-mail").fill("amica@example.com")
    phone.get_by_role("button", name="Iscriviti").click()
    expect(phone.locator("#consent-error")).to_be_visible()  # refused, and nothing lost:
    assert phone.get_by_label("Il tuo nome").input_value() == "Amica"
    phone.get_by_label("Accetto di essere contattato").check()
    phone.get_by_role("button", name="Iscriviti").click()
    expect(phone.get_by_role("heading", name="Grazie!")).to_be_visible()
    with app.app_context():
        friend = db.session.scalars(select(Person).where(
            Person.email == "amica@example.com")).one()
        assert db.session.scalars(select(Referral)).one().person_id == friend.id


def test_passive_says_what_would_make_it_a_ten(app, live_server, loop_survey, make_link, phone):
    survey_id = loop_survey()
    answer_on_phone(phone, f"{live_server.url}/s/{make_link(survey_id, locale='it')}", 8)
    assert phone.get_by_role("link", name="Lascia una recensione su Google").count() == 0
    phone.get_by_role("textbox", name="Cosa ti farebbe dare un 10?").fill("Consegne più veloci.")
    phone.get_by_role("button", name="Invia").click()
    expect(phone.get_by_text("Grazie per averci detto cosa ti farebbe dare un 10.")).to_be_visible()
    with app.app_context():
        assert db.session.scalars(select(Response.improvement)).one() == "Consegne più veloci."


def test_detractor_is_told_someone_will_be_in_touch(live_server, loop_survey, make_link, phone):
    answer_on_phone(phone, f"{live_server.url}/s/{make_link(loop_survey(), locale='it')}", 2)
    assert phone.get_by_text("Una persona del nostro team ti ricontatterà").is_visible()
    assert phone.get_by_role("link", name="Lascia una recensione su Google").count() == 0
    assert phone.get_by_role("textbox", name="Cosa ti farebbe dare un 10?").count() == 0
