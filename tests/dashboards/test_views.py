"""The dashboard page: roles, what it shows, and a bounded number of SQL statements."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from survey_app.core.db import db
from survey_app.responses.models import Response
from tests.dashboards.helpers import rows, section, text

ROLES = ("admin", "hr", "support", "viewer")
#: Who sees which audience's dashboards, and who may export (docs/roles.md).
SEES = {"customers": {"admin", "support", "viewer"}, "employees": {"admin", "hr"}}
EXPORTS = {"customers": {"admin", "support"}, "employees": {"admin", "hr"}}


@pytest.fixture
def surveys(make_survey, add_responses):
    customers, employees = make_survey("nps"), make_survey("enps")
    for survey in (customers, employees):
        add_responses(survey, [dict(score=s, segment={"team": "A"}) for s in range(11)])
    return {"customers": customers, "employees": employees}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("audience", ["customers", "employees"])
def test_role_matrix(client, login, surveys, role, audience):
    login(client, role)
    survey = surveys[audience]
    page = client.get(f"/surveys/{survey}")
    export = client.get(f"/surveys/{survey}/export.csv?period=all")
    assert page.status_code == (200 if role in SEES[audience] else 404)
    # Viewers may not export at all (their role: 403); others only surveys in scope (404).
    refused = 403 if role == "viewer" else 404
    assert export.status_code == (200 if role in EXPORTS[audience] else refused)
    if page.status_code == 200:
        body = page.get_data(as_text=True)
        assert ("Download CSV" in body) is (role in EXPORTS[audience])
    else:  # the same page as a missing survey: nothing of it shown
        assert "NPS survey" not in page.get_data(as_text=True)


def test_signed_out_visitors_go_to_the_login_page(client, surveys):
    for path in (f"/surveys/{surveys['customers']}", f"/surveys/{surveys['customers']}/export.csv"):
        response = client.get(path)
        assert response.status_code == 302 and "/login?next=" in response.headers["Location"]


def test_missing_survey_is_404(client, login):
    login(client, "admin")
    assert client.get("/surveys/999999").status_code == 404
    assert client.get("/surveys/999999/export.csv").status_code == 404


def test_headline_distribution_categories_and_breakdown(client, login, make_survey,
                                                        add_responses):
    survey = make_survey("nps")
    # 5 promoters, 3 passives, 2 detractors → NPS 30; margin 1.96·100·√((0.7 − 0.09)/10) = 48
    scores = [10, 10, 9, 9, 9, 8, 7, 7, 3, 0]
    add_responses(survey, [dict(score=s, segment={"plan": "pro" if i < 6 else "free"},
                                comment="fast delivery" if s >= 9 else None)
                           for i, s in enumerate(scores)])
    login(client, "viewer")
    page = client.get(f"/surveys/{survey}").get_data(as_text=True)
    headline = text(section(page, "headline-title"))
    assert "+30 ± 48" in headline and "10 responses" in headline
    assert "Promoters 5 Passives 3 Detractors 2" in headline
    desc = re.search(r'<desc id="chart-distribution-desc">(.*?)</desc>', page).group(1)
    assert "0: 1, 1: 0, 2: 0, 3: 1, 4: 0, 5: 0, 6: 0, 7: 2, 8: 1, 9: 3, 10: 2" in desc
    table = rows(page, "breakdown-title")
    # pro: 10 10 9 9 9 8 → 5 promoters of 6 = +83; free: 7 7 3 0 → −50
    assert table["pro"].startswith("6 | +83") and table["free"].startswith("4 | -50")
    # The two-word phrase takes the place of its words.
    phrases = section(page, "phrases-title")
    assert re.findall(r"<li>(.*?) <span", phrases) == ["fast delivery"]
    assert "fast delivery 5" in text(phrases)


def test_change_against_the_previous_period_is_tested(client, login, make_survey,
                                                      add_responses):
    survey = make_survey("csat")
    # 90 of 100 satisfied now, 80 of 100 in the 90 days before: z = 2.0, p = 0.046
    add_responses(survey, [dict(score=5 if i < 90 else 2, days_ago=5) for i in range(100)]
                  + [dict(score=4 if i < 80 else 1, days_ago=100) for i in range(100)])
    login(client, "support")
    headline = text(section(client.get(f"/surveys/{survey}").get_data(as_text=True),
                            "headline-title"))
    assert "90% ± 6" in headline
    assert "+10 points vs the previous period (80%, n = 100)" in headline
    assert "Statistically significant (two-sample z-test, p = 0.046)" in headline


def test_too_few_to_test_and_empty_periods(client, login, make_survey, add_responses):
    survey = make_survey("nps")
    add_responses(survey, [dict(score=10, days_ago=2), dict(score=0, days_ago=95)])
    login(client, "admin")
    page = text(client.get(f"/surveys/{survey}").get_data(as_text=True))
    assert "Too few responses to test" in page
    empty = text(client.get(f"/surveys/{survey}?period=custom&from=2020-01-01&to=2020-02-01"
                            ).get_data(as_text=True))
    assert "No responses match these filters in this period." in empty


def test_response_rate_from_invitations(client, login, make_survey, make_link, submit):
    survey = make_survey("nps")
    links = [make_link(survey) for _ in range(4)]
    assert submit(f"/s/{links[0]}", {"score": "9", "comment": "Great support, they answered "
                                     "quickly."}).status_code == 303
    login(client, "admin")
    headline = text(section(client.get(f"/surveys/{survey}").get_data(as_text=True),
                            "headline-title"))
    assert "Response rate: 25% (1 answered of 4 invited)" in headline
    # A rate of the invited cohort: not shown beside answers narrowed by any filter.
    for narrowed in ("category=promoter", "sentiment=positive", "theme=support"):
        page = section(client.get(f"/surveys/{survey}?{narrowed}").get_data(as_text=True),
                       "headline-title")
        assert "1 response" in text(page) and "Response rate" not in page, narrowed


def test_pulse_questions_by_segment(client, login, make_survey, add_responses):
    survey = make_survey("pulse")
    rows_ = ([dict(score=8, segment={"team": "Alpha"}, answers={1: 5, 2: 4, 3: 0})] * 6
             + [dict(score=6, segment={"team": "Beta"}, answers={1: 2, 2: 4, 3: 2})] * 6
             + [dict(score=9, segment={"team": "Gamma"}, answers={1: 1, 3: 1})] * 2)
    add_responses(survey, rows_)
    login(client, "hr")
    page = client.get(f"/surveys/{survey}").get_data(as_text=True)
    questions = text(section(page, "questions-title"))
    # Q1: 6×5 + 6×2 + 2×1 = 44 / 14 = 3.14
    assert "Mean 3.14" in questions and "14 answers" in questions
    assert "Every week 6, Every month 2, Rarely or never 6" in questions
    first_table = re.search(r"<tbody>(.*?)</tbody>", section(page, "questions-title"), re.S)
    by_team = {text(a): text(b) for a, b in re.findall(
        r'<tr><th scope="row">(.*?)</th>(.*?)</tr>', first_table.group(1), re.S)}
    # Gamma (2) is hidden, and by differencing the next-smallest team too (a tie: by name).
    assert by_team == {"Alpha": "Not enough responses to protect anonymity",
                       "Beta": "6 2.00 (too few answers)",  # n < 10: no ± 0
                       "Gamma": "Not enough responses to protect anonymity"}


def _statements(app, action) -> list[str]:
    seen: list[str] = []
    with app.app_context():
        engine = db.engine
    listener = lambda *args: seen.append(args[2])  # noqa: E731
    sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        action()
    finally:
        sa.event.remove(engine, "before_cursor_execute", listener)
    return [" ".join(s.split())[:40] for s in seen
            if not s.startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO"))]


@pytest.mark.parametrize("kind", ["nps", "pulse"])
def test_sql_statements_do_not_grow_with_responses(app, client, login, make_survey,
                                                   add_responses, kind):
    """The page runs the same handful of statements for 10 and for 200 responses."""
    counts = []
    login(client, "admin")
    for n in (10, 200):
        survey = make_survey(kind)
        # Half promoters, half detractors, all commented: the same sections show for both n.
        add_responses(survey, [dict(score=10 if i % 2 else 0, comment=f"comment {i}",
                                    sentiment="positive",
                                    segment={"team": f"t{i % 3}", "plan": "pro"},
                                    answers={1: i % 5 + 1} if kind == "pulse" else {},
                                    days_ago=i % 60) for i in range(n)])
        for query in ("", "?period=all&segment=plan:pro&sentiment=positive"):
            response = None

            def get(survey: int = survey, query: str = query) -> None:
                nonlocal response
                response = client.get(f"/surveys/{survey}{query}")

            counts.append(_statements(app, get))
            assert response.status_code == 200
    assert counts[:2] == counts[2:]
    # 16 before the themes panel, which adds exactly one (dashboards.themes.counts).
    assert max(len(statements) for statements in counts) <= 17, counts


def test_breakdown_by_an_attribute_with_too_many_values_is_declined(client, login, make_survey,
                                                                    add_responses,
                                                                    monkeypatch):
    from survey_app.dashboards import queries

    monkeypatch.setattr(queries, "MAX_GROUP_ROWS", 8)
    survey = make_survey("nps")
    add_responses(survey, [dict(score=9, segment={"ticket": f"T-{i}", "plan": "pro"})
                           for i in range(12)])
    login(client, "admin")
    page = client.get(f"/surveys/{survey}?breakdown=ticket").get_data(as_text=True)
    assert "too many different values" in page
    assert "12 responses" in text(section(page, "headline-title"))  # the rest still shows
    assert rows(client.get(f"/surveys/{survey}?breakdown=plan").get_data(as_text=True),
                "breakdown-title")["pro"].startswith("12 |")


def test_one_comment_is_labelled_with_its_own_category(client, login, make_survey,
                                                       add_responses):
    """A single answer is "2 · detractor", not "2 · Detractors" (the legend's plural)."""
    survey = make_survey("nps", title="Acme NPS")
    add_responses(survey, [dict(score=2, comment="Slow replies", sentiment="negative")])
    login(client, "admin")
    page = client.get(f"/surveys/{survey}").get_data(as_text=True)
    [meta] = [text(m) for m in re.findall(r'<p class="comment-meta">(.*?)</p>', page, re.S)]
    assert meta.startswith("2 · detractor Negative · ")


def test_italian_sentiment_is_neuter_apart_from_the_csat_category(client, login, make_survey,
                                                                 add_responses):
    """A neutral comment is "Neutro" (like Negativo, Positivo); CSAT's category stays
    "Neutrali" (people)."""
    survey = make_survey("csat", title="Supporto")
    add_responses(survey, [dict(score=3, comment="Ok", sentiment="neutral")])
    login(client, "admin")
    page = client.get(f"/surveys/{survey}?lang=it").get_data(as_text=True)
    legend = text(section(page, "sentiment-title"))
    assert "Negativo" in legend and "Neutro" in legend and "Neutrali" not in legend
    assert re.search(r"<option value=\"neutral\"[^>]*>Neutro</option>", page)
    assert "Neutrali" in text(section(page, "headline-title"))


def test_the_headline_says_flagged_answers_are_left_out(app, client, login, make_survey,
                                                        add_responses):
    """"2 responses" next to "3 answered" reads wrong unless the page says one waits apart."""
    survey = make_survey("nps", title="Acme NPS")
    add_responses(survey, [dict(score=9), dict(score=3), dict(score=10)])
    login(client, "admin")
    assert "suspected" not in client.get(f"/surveys/{survey}").get_data(as_text=True)
    with app.app_context():
        db.session.scalars(sa.select(Response)).first().is_suspected_automated = True
        db.session.commit()
    page = client.get(f"/surveys/{survey}").get_data(as_text=True)
    headline = text(section(page, "headline-title"))
    assert "2 responses" in headline
    assert ("1 more answer is flagged as suspected automated and not counted until someone "
            "reviews it. Review") in headline
    assert f'href="/surveys/{survey}/suspected"' in section(page, "headline-title")
    italian = text(section(client.get(f"/surveys/{survey}?lang=it").get_data(as_text=True),
                           "headline-title"))
    assert "Un'altra risposta è segnalata come sospetta automatica" in italian


def test_choice_answers_are_drawn_in_neutral_colours_not_the_agreement_scale(
        client, login, make_survey, add_responses):
    """Choice options have no order of good to bad: red for "Every week" would read as bad."""
    survey = make_survey("pulse")
    add_responses(survey, [dict(score=8, answers={1: 4, 3: v}) for v in (0, 0, 1, 2, 2, 2)])
    login(client, "hr")
    page = client.get(f"/surveys/{survey}").get_data(as_text=True)
    charts = re.findall(r'<svg[^>]*id="chart-q\d+".*?</svg>', page, re.S)
    choice_chart = [c for c in charts if "Every week" in c]
    assert len(choice_chart) == 1, "no chart for the choice question"
    classes = re.findall(r'class="(choice-\d+|scale-\d+)"', choice_chart[0])
    assert classes == ["choice-1", "choice-2", "choice-3"]


def test_all_time_by_week_is_refused_only_past_two_years_of_answers(client, login, make_survey,
                                                                   add_responses):
    """The menu offers "All time" and "Week" together: a year of answers shows 53 weeks; the
    refusal (and its reason) comes only once the answers span more than 130 weeks."""
    survey = make_survey("nps")
    add_responses(survey, [{"score": 9, "days_ago": 360}, {"score": 3, "days_ago": 2}])
    login(client, "admin")
    url = f"/surveys/{survey}?period=all&trend=week"
    page = client.get(url)
    assert page.status_code == 200
    trend = section(page.get_data(as_text=True), "trend-title")
    assert "Trend by week" in trend
    assert len(set(re.findall(r"\d{4}-\d{2}-\d{2}: ", trend))) >= 52
    add_responses(survey, [{"score": 7, "days_ago": 7 * 131}])
    refused = client.get(url)
    assert refused.status_code == 400
    assert "weekly trend is available for periods up to two years" in refused.get_data(
        as_text=True)
    assert client.get(f"/surveys/{survey}?period=all&trend=month").status_code == 200
