"""A support agent in a real Chromium: claim the most urgent case, add a note, resolve it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from survey_app.core.db import db, utcnow
from survey_app.followups.models import FollowUp
from tests.conftest import DEFAULT_PASSWORD
from tests.followups.conftest import NEGATIVE_EN, SCRIPT

pytestmark = [pytest.mark.browser, pytest.mark.live]


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 900},
                                      {"width": 390, "height": 844}])
def test_agent_claims_notes_and_resolves(app, browser, live_server, make_case, make_user,
                                         viewport, tmp_path):
    make_user("support", email="sam@browser.example.com", name="Sam Agent")
    yellow = make_case(6, None, name="Yellow Customer")
    urgent = make_case(1, f"{NEGATIVE_EN} {SCRIPT}", name="Urgent Customer",
                       now=utcnow() - timedelta(hours=30))
    context = browser.new_context(viewport=viewport, locale="en-GB")
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))

    page.goto(f"{live_server.url}/followups")
    page.get_by_label("E-mail").fill("sam@browser.example.com")
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    assert page.url.endswith("/followups")
    cards = page.locator(".case-card")
    assert cards.count() == 2
    assert "Urgent Customer" in cards.nth(0).inner_text()  # red and overdue come first
    assert "overdue by 6 hours" in cards.nth(0).inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    page.screenshot(path=tmp_path / "queue.png", full_page=True)

    page.get_by_role("button", name="Claim next case").click()
    assert page.url.endswith(f"/followups/{urgent}")
    assert page.get_by_text(f"Case #{urgent} is yours.").is_visible()
    assert page.locator("blockquote.comment").inner_text().endswith(SCRIPT)  # shown as text

    page.get_by_label("Internal note", exact=True).fill("Called, promised a refund by Friday.")
    page.get_by_role("button", name="Add note").click()
    expect(page.get_by_text("Note added.")).to_be_visible()
    assert page.locator(".note-body").first.inner_text() == "Called, promised a refund by Friday."

    page.get_by_role("button", name="Resolve case").click()  # no outcome chosen yet
    # said at the top and at the Outcome field itself
    assert page.get_by_role("alert").filter(
        has_text="Choose the outcome to resolve the case.").is_visible()
    assert page.locator("#outcome-error").inner_text().strip() == (
        "Choose the outcome to resolve the case.")
    assert page.locator("select[name=outcome]").get_attribute("aria-invalid") == "true"
    page.get_by_label("Outcome").select_option("refunded")
    page.locator(".resolve-form").get_by_label("Note", exact=True).fill("Refund sent.")
    page.get_by_role("button", name="Resolve case").click()
    expect(page.get_by_text("The case is now resolved.")).to_be_visible()
    assert page.get_by_text("Sam Agent changed the status from in progress to resolved."
                            ).is_visible()
    assert page.get_by_text("Outcome: refunded.").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    page.screenshot(path=tmp_path / "case.png", full_page=True)
    assert dialogs == []  # the comment's <script> never ran

    page.get_by_role("link", name="← Follow-ups").click()
    assert page.locator(".case-card").count() == 1
    assert f"/followups/{yellow}" in page.locator(".case-link").first.get_attribute("href")
    context.close()
    with app.app_context():
        case = db.session.get(FollowUp, urgent)
        assert (case.status, case.outcome) == ("resolved", "refunded")
        assert db.session.scalars(select(FollowUp.status).where(FollowUp.id == yellow)
                                  ).one() == "new"
