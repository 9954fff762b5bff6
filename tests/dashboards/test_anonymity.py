"""Anonymity rules on the dashboard, breakdown, trend, comments and export (threshold 5)."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from survey_app.core.db import db
from survey_app.dashboards.anonymity import NarrowingRefusedError, Policy
from survey_app.dashboards.filters import bucket_start, parse_filters
from survey_app.people.services import get_or_create_person
from survey_app.responses.models import Response
from survey_app.surveys.models import Survey
from tests.dashboards.helpers import NOT_ENOUGH, csv_rows, rows, section, text

SCORES = [9, 10, 7, 3, 8, 6, 10, 2, 9, 5, 8, 0]


def group(department: str, n: int, *, comments: int = 0, days_ago: int = 1,
          sentiment: str = "unknown", score: int | None = None) -> list[dict]:
    return [dict(score=SCORES[i % len(SCORES)] if score is None else score,
                 segment={"department": department, "team": f"T{i % 2}"},
                 comment=f"{department} comment number {i}" if i < comments else None,
                 sentiment=sentiment, days_ago=days_ago) for i in range(n)]


@pytest.fixture
def hr(client, login):
    login(client, "hr")
    return client


# -- the rules themselves ------------------------------------------------------------------

POLICY = Policy(is_anonymous=True, min_group=5, min_comments=5)


@pytest.mark.parametrize(("sizes", "hidden"), [
    ({"a": 2, "b": 4, "c": 5, "d": 6}, {"a", "b"}),       # both small: 2 + 4 ≥ 5, enough
    ({"a": 3, "b": 10, "c": 12}, {"a", "b"}),              # differencing: next-smallest too
    ({"a": 4, "b": 5, "c": 6}, {"a", "b"}),                # 4 alone could be computed
    ({"a": 5, "b": 6}, set()),
    ({"a": 1, "b": 1, "c": 1, "d": 1, "e": 1, "f": 9}, {"a", "b", "c", "d", "e"}),
    ({"a": 2, "b": 2, "c": 7, "d": 8}, {"a", "b", "c"}),  # 2 + 2 < 5: one more
    ({"a": 2}, {"a"}),
    ({"a": 0, "b": 6}, set()),                             # an empty group hides nothing
    ({None: 2, "None": 6, "x": 9}, {None, "None"}),        # "not set" is a sibling too
])
def test_hidden_groups_and_their_siblings(sizes, hidden):
    assert POLICY.hidden(sizes) == hidden
    assert Policy(False, 5, 5).hidden(sizes) == set()


def test_a_filter_that_leaves_out_fewer_than_the_threshold_is_refused(app_ctx):
    POLICY.check_narrowing(20, {"category": 25})      # 5 left out: fine
    POLICY.check_narrowing(20, {"category": 20})      # nothing left out: fine
    with pytest.raises(NarrowingRefusedError) as refused:
        POLICY.check_narrowing(20, {"category": 40, "segment:team": 24})
    assert refused.value.filter_name == "segment:team"
    Policy(False, 5, 5).check_narrowing(20, {"category": 21})


@pytest.mark.parametrize(("n", "comments", "shown"), [(4, 4, False), (6, 4, False),
                                                      (6, 5, True), (4, 5, False)])
def test_comments_have_their_own_threshold(n, comments, shown):
    assert POLICY.shows_comments(n, comments) is shown
    assert Policy(False, 5, 5).shows_comments(n, comments)


# -- dashboard ----------------------------------------------------------------------------

def test_breakdown_hides_groups_of_2_and_4_and_shows_5_and_6(hr, make_survey, add_responses):
    survey = make_survey("enps")
    add_responses(survey, group("Legal", 2) + group("Ops", 4) + group("Sales", 5)
                  + group("Tech", 6))
    page = hr.get(f"/surveys/{survey}?breakdown=department").get_data(as_text=True)
    table = rows(page, "breakdown-title")
    assert table["Legal"] == NOT_ENOUGH and table["Ops"] == NOT_ENOUGH
    assert table["Sales"].startswith("5 |") and table["Tech"].startswith("6 |")
    assert "17 responses" in text(section(page, "headline-title"))


def test_differencing_hides_the_next_smallest_group(hr, make_survey, add_responses):
    survey = make_survey("enps")
    add_responses(survey, group("Legal", 3) + group("Sales", 10) + group("Tech", 12))
    page = hr.get(f"/surveys/{survey}?breakdown=department").get_data(as_text=True)
    table = rows(page, "breakdown-title")
    # Legal (3) alone hidden would be 25 − 10 − 12: Sales must go too.
    assert table["Legal"] == NOT_ENOUGH and table["Sales"] == NOT_ENOUGH
    assert table["Tech"].startswith("12 |")
    assert "25 responses" in text(section(page, "headline-title"))


@pytest.mark.parametrize(("department", "shown"), [("Legal", False), ("Ops", False),
                                                   ("Sales", True), ("Tech", True)])
def test_a_filter_result_below_the_threshold_shows_no_numbers(hr, make_survey, add_responses,
                                                              department, shown):
    survey = make_survey("enps")
    add_responses(survey, group("Legal", 2, comments=2) + group("Ops", 4, comments=4)
                  + group("Sales", 5, comments=5) + group("Tech", 6, comments=6)
                  + group("Rest", 20))
    response = hr.get(f"/surveys/{survey}?segment=department:{department}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert (NOT_ENOUGH in text(page)) is not shown
    assert ('id="chart-distribution"' in page) is shown
    assert (f"{department} comment number 0" in page) is shown


def test_a_filter_that_narrows_a_group_by_fewer_than_five_is_refused(hr, make_survey,
                                                                     add_responses):
    survey = make_survey("enps")
    add_responses(survey, group("Tech", 5, sentiment="negative")
                  + group("Tech", 1, sentiment="positive") + group("Sales", 12))
    ok = hr.get(f"/surveys/{survey}?segment=department:Tech")
    assert ok.status_code == 200 and "6 responses" in text(ok.get_data(as_text=True))
    # Tech's negative comments are Tech minus one person: refused, and nothing of it shown.
    refused = hr.get(f"/surveys/{survey}?segment=department:Tech&sentiment=negative")
    body = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "fewer than 5" in body and "chart-distribution" not in body


def test_a_category_filter_is_refused_until_it_leaves_out_five(hr, make_survey, add_responses):
    survey = make_survey("enps")
    add_responses(survey, group("Sales", 12, score=3) + group("Sales", 3, score=10))
    assert hr.get(f"/surveys/{survey}?category=detractor").status_code == 422  # 15 − 12 = 3
    promoters = hr.get(f"/surveys/{survey}?category=promoter")  # 3: hidden, not refused
    assert promoters.status_code == 200 and NOT_ENOUGH in promoters.get_data(as_text=True)
    add_responses(survey, group("Sales", 2, score=9))
    shown = hr.get(f"/surveys/{survey}?category=detractor")  # 17 − 12 = 5
    assert shown.status_code == 200 and "12 responses" in text(shown.get_data(as_text=True))


def test_trend_points_below_the_threshold_are_hidden_with_a_sibling(hr, make_survey,
                                                                   add_responses):
    survey = make_survey("enps")
    add_responses(survey, group("A", 2, days_ago=1) + group("A", 6, days_ago=15)
                  + group("A", 12, days_ago=29))
    page = hr.get(f"/surveys/{survey}?trend=week").get_data(as_text=True)
    desc = re.search(r'<desc id="chart-trend-desc">(.*?)</desc>', page, re.S).group(1)
    points = [p for p in desc.split(": ", 1)[1].split("; ") if "no responses" not in p]
    assert len(points) == 3
    assert sum(NOT_ENOUGH in p for p in points) == 2  # the 2 and, by differencing, the 6
    assert sum("(n = 12)" in p for p in points) == 1
    assert "(n = 2)" not in desc and "(n = 6)" not in desc


def test_comments_need_five_comments_and_come_shuffled_dated_by_period(
        app, hr, make_survey, add_responses):
    survey = make_survey("enps")
    add_responses(survey, group("Tech", 8, comments=4) + group("Sales", 10))
    # A weekly trend asked for (9 answers would default to months): dated by week.
    tech = f"/surveys/{survey}?segment=department:Tech&trend=week"
    comments = text(section(hr.get(tech).get_data(as_text=True), "comments-title"))
    assert "Not enough comments" in comments and "comment number" not in comments
    words = text(section(hr.get(tech).get_data(as_text=True), "phrases-title"))
    assert "Not enough comments to show" in words and "number" not in words

    add_responses(survey, group("Tech", 1, comments=1))
    page = hr.get(tech).get_data(as_text=True)
    shown = re.findall(r'<li class="comment">(.*?)</li>', page, re.S)
    assert len(shown) == 5
    with app.app_context():
        expected = db.session.scalars(
            select(Response.comment).where(Response.survey_id == survey,
                                           Response.comment.is_not(None))
            .order_by(Response.token_digest)).all()
    assert [text(re.search(r'comment-text">(.*?)</p>', c, re.S).group(1)) for c in shown] == (
        expected)
    for comment in shown:
        meta = text(re.search(r'comment-meta">(.*?)</p>', comment, re.S).group(1))
        assert "week of" in meta  # the week's Monday, never the day
        assert "department" not in meta and "T0" not in meta and "@" not in meta


def test_hr_never_sees_who_answered_an_anonymous_survey(app, hr, make_survey, add_responses):
    survey = make_survey("enps")
    with app.app_context():
        person = get_or_create_person("asked.to.be.contacted@example.com", kind="employee")
        db.session.commit()
        person_id = person.id
    rows_ = group("Tech", 9, comments=9)
    rows_[0]["person_id"] = person_id  # ticked "contact me": identity attached to the row
    add_responses(survey, rows_)
    page = hr.get(f"/surveys/{survey}").get_data(as_text=True)
    export = hr.get(f"/surveys/{survey}/export.csv").get_data(as_text=True)
    for body in (page, export):
        assert "asked.to.be.contacted" not in body
    assert "email" not in export.splitlines()[0]


# -- export -------------------------------------------------------------------------------

@pytest.fixture
def groups_2_4_5_6(make_survey, add_responses):
    survey = make_survey("enps")
    add_responses(survey, group("Legal", 2, comments=2) + group("Ops", 4, comments=4)
                  + group("Sales", 5, comments=5) + group("Tech", 6, comments=3))
    return survey


@pytest.mark.parametrize(("department", "status"), [("Legal", 422), ("Ops", 422),
                                                    ("Sales", 200), ("Tech", 200)])
def test_export_of_a_group_below_the_threshold_is_refused(hr, groups_2_4_5_6, department,
                                                          status):
    response = hr.get(f"/surveys/{groups_2_4_5_6}/export.csv?segment=department:{department}")
    assert response.status_code == status
    if status == 422:
        body = response.get_data(as_text=True)
        assert NOT_ENOUGH in body and "comment number" not in body


def test_anonymous_export_has_no_identity_dates_by_week_and_keeps_comment_threshold(
        hr, groups_2_4_5_6):
    everyone = csv_rows(hr.get(f"/surveys/{groups_2_4_5_6}/export.csv").get_data(as_text=True))
    assert len(everyone) == 17
    assert list(everyone[0]) == ["period", "score", "category", "comment", "sentiment",
                                 "sentiment_label"]
    assert all(date.fromisoformat(r["period"]).weekday() == 0 for r in everyone)  # Mondays
    assert sum(bool(r["comment"]) for r in everyone) == 14

    sales = csv_rows(hr.get(f"/surveys/{groups_2_4_5_6}/export.csv?"
                            "segment=department:Sales").get_data(as_text=True))
    assert [r["department"] for r in sales] == ["Sales"] * 5
    assert sum(bool(r["comment"]) for r in sales) == 5
    tech = csv_rows(hr.get(f"/surveys/{groups_2_4_5_6}/export.csv?"
                           "segment=department:Tech").get_data(as_text=True))
    assert len(tech) == 6 and not any(r["comment"] for r in tech)  # only 3 comments


def test_cli_export_follows_the_same_rules(app, groups_2_4_5_6):
    runner = app.test_cli_runner()
    with app.app_context():
        from survey_app.surveys.models import Survey
        slug = db.session.get(Survey, groups_2_4_5_6).slug
    refused = runner.invoke(args=["responses", "export", slug, "--segment", "department:Ops"])
    assert refused.exit_code == 2 and NOT_ENOUGH in refused.output
    assert "comment number" not in refused.output
    sales = runner.invoke(args=["responses", "export", slug, "--segment", "department:Sales"])
    assert sales.exit_code == 0
    assert [r["department"] for r in csv_rows(sales.output)] == ["Sales"] * 5
    assert list(csv_rows(sales.output)[0])[0] == "period"


def test_key_phrases_of_a_language_with_few_comments_are_left_out(hr, make_survey,
                                                                  add_responses):
    # Six detractors write in English, two in Italian: enough comments on the side, but the
    # two Italian ones would be read nearly word for word, so their language is left out.
    survey = make_survey("enps")
    add_responses(survey, [dict(score=2, comment=f"Workload too high, overtime again {i}")
                           for i in range(6)]
                  + [dict(score=3, comment="Carico di lavoro eccessivo", locale="it")
                     for _ in range(2)])
    phrases = section(hr.get(f"/surveys/{survey}").get_data(as_text=True), "phrases-title")
    assert "overtime 6" in text(phrases) and "workload 6" in text(phrases)
    assert "carico" not in phrases and "Italian" not in phrases and 'lang="it"' not in phrases

    add_responses(survey, [dict(score=3, comment="Carico di lavoro eccessivo", locale="it")
                           for _ in range(3)])
    phrases = section(hr.get(f"/surveys/{survey}").get_data(as_text=True), "phrases-title")
    assert "carico di lavoro 5" in text(phrases) and "Italian" in phrases


# -- periods of an anonymous survey --------------------------------------------------------

def _responses_shown(client, survey: int, start: date, last: date) -> str:
    page = client.get(f"/surveys/{survey}?period=custom&from={start}&to={last}&trend=week")
    assert page.status_code == 200
    return text(section(page.get_data(as_text=True), "headline-title"))


def test_two_custom_periods_never_differ_by_a_few_days(hr, make_survey, add_responses):
    """Monday to Thursday and Monday to Friday would tell Friday's three answers apart: both
    cover the whole week, and the page says so."""
    survey = make_survey("enps")
    monday = bucket_start(date.today() - timedelta(days=21), "week")
    days_ago = {day: (date.today() - (monday + timedelta(days=day))).days for day in range(5)}
    add_responses(survey, [row for day in range(4) for row in group("All", 8,
                                                                     days_ago=days_ago[day])]
                  + group("All", 3, days_ago=days_ago[4], score=0))
    to_thursday = _responses_shown(hr, survey, monday, monday + timedelta(days=3))
    to_friday = _responses_shown(hr, survey, monday, monday + timedelta(days=4))
    assert "35 responses" in to_thursday and "35 responses" in to_friday
    page = hr.get(f"/surveys/{survey}?period=custom&from={monday + timedelta(days=2)}"
                  f"&to={monday + timedelta(days=2)}&trend=week").get_data(as_text=True)
    assert "cover whole weeks" in text(page) and "35 responses" in text(page)


def test_a_period_of_a_survey_with_names_is_shown_as_asked(hr, make_survey, add_responses):
    survey = make_survey("enps", anonymous=False)
    monday = bucket_start(date.today() - timedelta(days=21), "week")
    add_responses(survey, group("All", 6, days_ago=(date.today() - monday).days)
                  + group("All", 6, days_ago=(date.today() - monday).days - 4))
    shown = _responses_shown(hr, survey, monday, monday + timedelta(days=3))
    assert "6 responses" in shown


def test_widened_periods_and_the_previous_one_keep_to_whole_months(app_ctx, make_survey):
    survey = db.session.get(Survey, make_survey("enps"))
    asked = {"period": "custom", "from": "2026-02-10", "to": "2026-03-05", "trend": "month"}
    period = parse_filters(asked, survey, today=date(2026, 6, 1)).period
    assert (period.start, period.end) == (date(2026, 2, 1), date(2026, 4, 1))
    assert period.is_widened and period.asked == (date(2026, 2, 10), date(2026, 3, 6))
    previous = period.previous()
    assert (previous.start, previous.end) == (date(2025, 12, 1), date(2026, 2, 1))
    weekly = period.with_step("week")  # from the days asked, not from the widened month
    assert (weekly.start, weekly.end) == (date(2026, 2, 9), date(2026, 3, 9))
    assert weekly.previous().start == date(2026, 1, 12)
