"""The dashboard's themes panel in a real Chromium, on a laptop and a phone, without JavaScript."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from survey_app.core.db import db
from survey_app.responses.tagging import retag_responses
from survey_app.surveys.models import Survey
from tests.conftest import DEFAULT_PASSWORD
from tests.dashboards.conftest import add_responses  # noqa: F401  (fixture)
from tests.dashboards.test_browser import DETRACTOR, PROMOTER, pixels, share_of

pytestmark = [pytest.mark.browser, pytest.mark.live]


@pytest.fixture
def themed(app, make_survey, add_responses, make_user):  # noqa: F811
    survey = make_survey("nps", title="Shop NPS")
    add_responses(survey, [dict(score=2, comment=f"Courier late again ({i})") for i in range(35)]
                  + [dict(score=10, comment=f"Great product quality ({i})") for i in range(35)]
                  + [dict(score=8, comment=f"Fine ({i})") for i in range(30)])
    with app.app_context():
        retag_responses(db.session.get(Survey, survey))
        db.session.commit()
    make_user("viewer", email="viewer@themes.example.com")
    return survey


@pytest.mark.parametrize(("width", "height"), [(1280, 900), (390, 844)])
def test_themes_panel_is_drawn_and_leads_to_the_comments(browser, live_server, themed,
                                                         tmp_path: Path, width, height):
    context = browser.new_context(viewport={"width": width, "height": height},
                                  java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/login")
    page.get_by_label("E-mail").fill("viewer@themes.example.com")
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server.url}/surveys/{themed}?period=all")
    page.screenshot(path=tmp_path / f"themes-{width}.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert page.get_by_role("heading", name="Themes").is_visible()
    chart = page.locator("#chart-themes")
    chart.scroll_into_view_if_needed()
    assert chart.is_visible()
    assert page.get_by_role("img", name=re.compile("^Impact of themes on NPS")).count() == 1
    box = chart.bounding_box()
    assert box["x"] + box["width"] <= width and box["width"] >= min(300, width - 40)
    drawn = pixels(chart.screenshot())[2]
    # Delivery drags the score down (red bar), quality lifts it (green bar).
    assert share_of(DETRACTOR, drawn) > 0.01 and share_of(PROMOTER, drawn) > 0.01
    rows = page.locator("#themes tbody tr")
    assert rows.count() == 2 and "Delivery" in rows.first.inner_text()
    page.get_by_role("link", name="Delivery", exact=True).click()
    assert "theme=delivery" in page.url
    comments = page.locator(".comment-list .comment")
    assert comments.count() == 20  # a full page of the 35
    assert all("Courier late again" in t for t in comments.all_inner_texts())
    assert page.get_by_role("link", name=re.compile("Remove filter theme")).is_visible()
    context.close()
