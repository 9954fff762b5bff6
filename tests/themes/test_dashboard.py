"""The dashboard's themes panel: ranking by impact, split, months, click-through, anonymity."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from survey_app.core.db import db
from survey_app.responses.tagging import retag_responses
from survey_app.surveys.models import Survey
from tests.dashboards.conftest import add_responses  # noqa: F401  (fixture)
from tests.dashboards.helpers import section, text


@pytest.fixture
def tagged(app, add_responses):  # noqa: F811
    """``tagged(survey_id, rows)``: add responses (see ``add_responses``) and tag them."""

    def add(survey_id: int, rows: list[dict]) -> None:
        add_responses(survey_id, rows)
        with app.app_context():
            retag_responses(db.session.get(Survey, survey_id))
            db.session.commit()

    return add


def theme_rows(page: str) -> dict[str, list[str]]:
    """Theme key → the text of each cell of its row, in the panel's order."""
    panel = section(page, "themes-title")
    found = {}
    for key, row in re.findall(r'<tr data-theme="([^"]+)">(.*?)</tr>', panel, re.S):
        found[key] = [text(cell) for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
    return found


def test_themes_ranked_by_impact_with_split_and_noise(app, client, login, make_survey,
                                                      tagged):
    survey = make_survey("nps")
    tagged(survey, [dict(score=2, comment="The courier was late again")] * 40
           + [dict(score=10, comment="Excellent product quality")] * 40
           + [dict(score=8, comment="Fine")] * 17
           + [dict(score=8, comment="A bit pricey"), dict(score=10, comment="Fair price"),
              dict(score=3, comment="Price went up")]
           + [dict(score=9)] * 10)  # no comment: not part of the comparison
    login(client, "admin")
    page = client.get(f"/surveys/{survey}?period=all").get_data(as_text=True)
    found = theme_rows(page)
    assert list(found) == ["delivery", "quality", "price"]  # drivers by impact, then noise
    delivery, quality, price = found["delivery"], found["quality"], found["price"]
    # Delivery: 40 of 100 comments, NPS −100 against the other 60 (41 P, 18 pass., 1 D →
    # (41 − 1) / 60 = +66.7): difference −166.7, impact 0.4 × −166.7 = −66.7.
    assert delivery[1] == "40 (40%)" and delivery[2] == "-100"
    assert delivery[3].startswith("-167 ±") and delivery[4] == "-66.7"
    assert delivery[5] == "Promoters 0 · Passives 0 · Detractors 40"
    # Quality: 40 promoters (+100) against 1 P, 18 pass., 41 D (−66.7): impact +66.7.
    assert quality[2] == "+100" and quality[4] == "+66.7"
    assert price[1] == "3 (3%)" and "too few comments to tell" in price[4]  # 3 < 30: untested
    assert "Impact of themes on NPS" in section(page, "themes-title")
    assert "With fewer than 30 comments on either side a theme is not tested." in page
    # the chart writes each bar's value past its end, in the reader's language
    values = re.findall(r'<text class="chart-value"[^>]*text-anchor="(\w+)">([^<]+)</text>',
                        section(page, "themes-title"))
    assert ("end", "-66.7") in values and ("start", "+66.7") in values
    reader = app.test_client()
    login(reader, "admin", locale="it")
    italian = reader.get(f"/surveys/{survey}?period=all").get_data(as_text=True)
    assert 'text-anchor="end">-66,7</text>' in section(italian, "themes-title")


def test_the_share_by_month(client, login, make_survey, tagged):
    survey = make_survey("nps")
    today = datetime.now(UTC).date()
    last_month = today.day + 1  # the last day of the month before
    tagged(survey, [dict(score=2, comment="Delivery late", days_ago=last_month)] * 2
           + [dict(score=9, comment="Good", days_ago=last_month)] * 2
           + [dict(score=2, comment="Delivery late", days_ago=0)]
           + [dict(score=9, comment="Good", days_ago=0)] * 3)
    login(client, "admin")
    page = client.get(f"/surveys/{survey}?period=all").get_data(as_text=True)
    months = theme_rows(page)["delivery"][6]
    assert re.fullmatch(r"\w+ '\d\d 50% · \w+ '\d\d 25%", months), months


def test_click_through_shows_the_comments_of_a_theme(client, login, make_survey, tagged):
    survey = make_survey("nps")
    tagged(survey, [dict(score=2, comment="Courier lost the parcel"),
                    dict(score=9, comment="Nice staff"), dict(score=5, comment="Too expensive")])
    login(client, "admin")
    page = client.get(f"/surveys/{survey}?period=all").get_data(as_text=True)
    link = re.search(r'<tr data-theme="delivery">.*?href="([^"]+)"', page, re.S).group(1)
    assert "theme=delivery" in link and link.endswith("#comments")
    filtered = client.get(link.replace("&amp;", "&")).get_data(as_text=True)
    comments = text(re.search(r'<section aria-labelledby="comments-title".*?</section>',
                              filtered, re.S).group(0))
    assert "Courier lost the parcel" in comments
    assert "Nice staff" not in comments and "Too expensive" not in comments
    assert "Theme = Delivery ✕" in filtered


@pytest.mark.parametrize("value", ["nope", "delivery&theme=price", "x" * 300, "quality\x00"])
def test_a_bad_theme_filter_is_a_400(client, login, make_survey, value):
    survey = make_survey("nps")
    login(client, "admin")
    reply = client.get(f"/surveys/{survey}", query_string={"theme": value})
    assert reply.status_code == 400


def test_theme_filter_given_twice_is_a_400(client, login, make_survey):
    survey = make_survey("nps")
    login(client, "admin")
    assert client.get(f"/surveys/{survey}?theme=price&theme=delivery").status_code == 400


# --- anonymity: the theme list obeys the comment threshold (Policy.shows_comments) ----------


def test_anonymous_survey_hides_themes_below_the_comment_threshold(client, login, make_survey,
                                                                  tagged):
    survey = make_survey("enps")  # anonymous, groups of 5, comments need 5
    tagged(survey, [dict(score=3, comment="My manager never listens")] * 4
           + [dict(score=9)] * 6)
    login(client, "admin")
    page = client.get(f"/surveys/{survey}?period=all").get_data(as_text=True)
    panel = text(section(page, "themes-title"))
    assert "Not enough comments to show their themes" in panel
    assert "Manager" not in panel and theme_rows(page) == {}


def test_anonymous_survey_withholds_rare_themes_and_small_comparisons(client, login,
                                                                     make_survey, tagged):
    survey = make_survey("enps")
    tagged(survey, [dict(score=3, comment="My manager never listens")] * 6
           + [dict(score=9, comment="Too much work lately")] * 2
           + [dict(score=9, comment="Nice")] * 2)
    login(client, "admin")
    page = client.get(f"/surveys/{survey}?period=all").get_data(as_text=True)
    found = theme_rows(page)
    assert list(found) == ["manager"]  # workload: 2 mentions, fewer than 5 — withheld
    assert "Too few other comments to compare with." in found["manager"][4]  # rest: 4 < 5
    assert found["manager"][3] == ""  # its difference: none (the cell hidden on a phone)
    panel = text(section(page, "themes-title"))
    assert "1 more theme is mentioned too rarely" in panel and "Workload" not in panel


def test_anonymous_theme_filter_obeys_the_narrowing_rule(client, login, make_survey, tagged):
    survey = make_survey("enps")
    tagged(survey, [dict(score=3, comment="My manager never listens")] * 8
           + [dict(score=9, comment="Nice")] * 3)
    login(client, "admin")
    # Leaving out 3 answers (fewer than 5) would let them be worked out: refused.
    assert client.get(f"/surveys/{survey}?period=all&theme=manager").status_code == 422


def test_the_panel_in_italian(client, login, make_survey, tagged):
    survey = make_survey("nps")
    tagged(survey, [dict(score=2, comment="Il corriere è in ritardo", locale="it")] * 5
           + [dict(score=10, comment="Ottimo")] * 5)
    login(client, "admin")
    page = client.get(f"/surveys/{survey}?period=all&lang=it",
                      headers={"Accept-Language": "it"}).get_data(as_text=True)
    panel = text(section(page, "themes-title"))
    assert "Temi" in panel and "Consegna" in panel and "Impatto" in panel
