"""In a real Chromium without JavaScript: an admin creates an API token (shown once), a program
uses it, the admin sees its last use and revokes it; the reference page reads without script."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import expect

from tests.accounts.test_browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.live]


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1024, "height": 800},
                                  java_script_enabled=False)
    yield context.new_page()
    context.close()


def _status(url: str, secret: str) -> int:
    request = urllib.request.Request(
        f"{url}/api/v1/surveys/nowhere/invitations", method="POST",
        data=json.dumps({"person": {"email": "a@example.com"}}).encode(),
        headers={"Authorization": f"Bearer {secret}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_an_admin_creates_uses_and_revokes_a_token(live_server, make_user, page):
    make_user("admin", email="ada@example.com")
    sign_in(page, live_server.url, "ada@example.com")
    page.goto(f"{live_server.url}/users")
    page.get_by_role("link", name="API tokens").click()
    page.get_by_label("Name").fill("helpdesk")
    page.get_by_label("Role").select_option("support")
    page.get_by_role("button", name="Create token").click()
    expect(page.get_by_text("Copy it now: it is shown only this once.")).to_be_visible()
    secret = page.locator("code.token-secret").inner_text()
    assert re.fullmatch(r"polso_[A-Za-z0-9_-]{22}", secret)
    assert _status(live_server.url, secret) == 404  # authenticated; the survey does not exist

    page.goto(f"{live_server.url}/settings/tokens")
    assert page.locator("code.token-secret").count() == 0  # never shown again
    row = page.get_by_role("row", name=re.compile("helpdesk"))
    assert row.get_by_text("never").count() == 0  # its last use is shown
    row.get_by_role("button", name="Revoke").click()
    expect(page.get_by_text("Token helpdesk is revoked")).to_be_visible()
    assert _status(live_server.url, secret) == 401


def test_the_reference_page_reads_without_script(live_server, page):
    page.goto(f"{live_server.url}/api/docs")
    assert page.get_by_role("heading", name="Polso API v1").is_visible()
    page.get_by_role("link", name="POST /api/v1/responses").first.click()
    expect(page.get_by_role("heading", name="POST /api/v1/responses")).to_be_visible()
