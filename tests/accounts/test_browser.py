"""In a real Chromium without JavaScript: an admin invites a colleague from the Users page, the
colleague opens the e-mailed link and chooses a password; a role refusal keeps the navigation."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.conftest import DEFAULT_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.live]


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1024, "height": 800},
                                  java_script_enabled=False)
    yield context.new_page()
    context.close()


def sign_in(page, url: str, email: str, password: str = DEFAULT_PASSWORD) -> None:
    page.goto(f"{url}/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_an_admin_invites_and_the_colleague_chooses_a_password(
        app, live_server, make_user, smtp_server, browser, page):
    make_user("admin", email="ada@example.com")
    app.config["BASE_URL"] = live_server.url
    try:
        sign_in(page, live_server.url, "ada@example.com")
        page.goto(f"{live_server.url}/users")
        form = page.locator("form[action^='/users/invite']")
        form.get_by_label("E-mail").fill("grace@example.com")
        form.get_by_label("Role").select_option("hr")
        form.get_by_role("button", name="Send invitation").click()
        expect(page.get_by_text("Invitation e-mailed to grace@example.com.")).to_be_visible()
        pending = page.locator("#invited + .table-wrap")
        assert pending.get_by_text("grace@example.com").is_visible()
    finally:
        app.config["BASE_URL"] = "http://polso.test"
    [message] = smtp_server.to("grace@example.com")

    grace = browser.new_context(java_script_enabled=False).new_page()
    grace.set_content(message.get_body(("html",)).get_content())  # the e-mail as a client shows
    grace.get_by_role("link", name="Choose my password").click()
    expect(grace.get_by_role("heading", name="Choose your password")).to_be_visible()
    grace.get_by_label("New password", exact=True).fill("grace's own passphrase")
    grace.get_by_label("New password again").fill("grace's own passphrase")
    grace.get_by_role("button", name="Save my password").click()
    expect(grace.get_by_text("Your password is set. Sign in with it now.")).to_be_visible()
    sign_in(grace, live_server.url, "grace@example.com", "grace's own passphrase")
    assert grace.get_by_role("link", name="People").is_visible()

    grace.goto(f"{live_server.url}/users")  # HR may not manage users
    assert grace.get_by_role("heading", name="Not available for your role").is_visible()
    assert grace.get_by_role("link", name="Surveys", exact=True).is_visible()
    assert re.search(r"for Admin users", grace.content())
    grace.context.close()
