"""The retention page in a real Chromium, in Italian, on a laptop and a phone, without JS."""

from __future__ import annotations

from pathlib import Path

import pytest

from survey_app.core.db import db
from tests.conftest import DEFAULT_PASSWORD
from tests.dashboards.test_browser import DETRACTOR, PROMOTER, pixels, share_of
from tests.retention.helpers import build_shop

pytestmark = [pytest.mark.browser, pytest.mark.live]


@pytest.fixture
def shop(app, make_user):
    with app.app_context():
        build_shop()
        db.session.commit()
    make_user("support", email="support@browser.example.com")


@pytest.mark.parametrize(("width", "height"), [(1280, 900), (390, 844)])
def test_retention_page_in_italian(browser, live_server, shop, tmp_path: Path, width, height):
    context = browser.new_context(viewport={"width": width, "height": height},
                                  java_script_enabled=False, locale="it-IT")
    page = context.new_page()
    page.goto(f"{live_server.url}/login")
    page.locator("input[name=email]").fill("support@browser.example.com")
    page.locator("input[name=password]").fill(DEFAULT_PASSWORD)
    page.locator("button[type=submit]").last.click()
    page.goto(f"{live_server.url}/retention")
    page.get_by_role("button", name="Italiano").click()  # the staff language switch
    assert page.get_by_role("heading", name="Fidelizzazione clienti").is_visible()

    # The form works without JavaScript: choose the worked example's period and send it.
    page.get_by_label("Dal", exact=True).fill("2026-01-01")
    page.get_by_label("Al", exact=True).fill("2026-03-31")
    page.get_by_role("button", name="Mostra").click()
    assert "from=2026-01-01" in page.url and "to=2026-03-31" in page.url
    page.screenshot(path=tmp_path / f"retention-{width}.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= width

    # The first picture: churn by last NPS answer, labelled, painted, on screen.
    first_chart = page.locator("svg.chart").first
    assert first_chart.get_attribute("id") == "churn-by-category"
    assert first_chart.get_attribute("role") == "img"
    assert first_chart.locator("title").text_content() == \
        "Tasso di abbandono per ultima risposta NPS"
    assert "Detrattori: 100" in first_chart.locator("desc").text_content()
    first_chart.scroll_into_view_if_needed()
    box = first_chart.bounding_box()
    assert box["width"] >= min(300, width - 40) and box["x"] + box["width"] <= width
    rgb = pixels(first_chart.screenshot())[2]
    assert share_of(DETRACTOR, rgb) > 0.02  # detractors: 100 %
    assert share_of(PROMOTER, rgb) < 0.001  # promoters: 0 %, no bar

    figure = page.locator("#figure-crr")
    assert "Tasso di fidelizzazione (CRR)" in figure.inner_text()
    assert "25 %" in figure.inner_text()
    assert figure.locator("abbr").get_attribute("title") == "CRR = (E − N) / S × 100"
    assert "60,00\xa0€" in page.locator("#figure-average_order_value").inner_text()
    assert page.locator("#rfm-table").is_visible()
    context.close()
