"""Issue #12 point 2: one suppression policy for every table, the export and the CLI.

A group hidden in the breakdown stays hidden (count included) in every question table, a lone
hidden group takes the next-smallest with it (else total − shown = the hidden one), and a
filter straight onto a group hidden by that rule shows, exports and prints nothing.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from survey_app.core.db import db
from survey_app.dashboards.anonymity import Policy
from survey_app.surveys.models import Survey
from tests.dashboards.helpers import NOT_ENOUGH, rows, section, text

POLICY = Policy(is_anonymous=True, min_group=5, min_comments=5)


def people(department: str, n: int, **answers: int) -> list[dict]:
    """``n`` pulse responses of ``department`` (answers by question position)."""
    return [dict(score=(9, 6, 8)[i % 3], segment={"department": department},
                 answers={int(k[1:]): v for k, v in answers.items()}) for i in range(n)]


@pytest.mark.parametrize(("sizes", "also", "hidden"), [
    ({"a": 6, "b": 10, "c": 12}, {"a"}, {"a", "b"}),     # hidden elsewhere: alone it is derivable
    ({"a": 6, "b": 10}, {"a"}, {"a", "b"}),
    ({"a": 6, "b": 10, "c": 12}, {"z"}, set()),           # not in this table: nothing to hide
    ({"a": 3, "b": 3, "c": 12}, {"a"}, {"a", "b"}),       # two hidden, 6 ≥ 5: enough
])
def test_groups_hidden_elsewhere_are_hidden_with_a_sibling(sizes, also, hidden):
    assert POLICY.hidden(sizes, also=also) == hidden
    assert Policy(False, 5, 5).hidden(sizes, also=also) == set()


def test_question_tables_hide_what_the_breakdown_hides(client, login, make_survey,
                                                       add_responses):
    survey = make_survey("pulse")
    # Legal (3) skips question 1; Ops (6) is hidden in the breakdown with it (differencing).
    add_responses(survey, people("Legal", 3) + people("Ops", 6, q1=1) + people("Sales", 8, q1=3)
                  + people("Tech", 20, q1=5))
    login(client, "hr")
    page = client.get(f"/surveys/{survey}").get_data(as_text=True)
    breakdown = rows(page, "breakdown-title")
    assert breakdown["Legal"] == breakdown["Ops"] == NOT_ENOUGH
    assert breakdown["Sales"].startswith("8 ") and breakdown["Tech"].startswith("20 ")
    first = re.search(r"<tbody>(.*?)</tbody>", section(page, "questions-title"), re.S).group(1)
    by_team = {text(a): text(b) for a, b in re.findall(
        r'<tr><th scope="row">(.*?)</th>(.*?)</tr>', first, re.S)}
    # Ops hidden as in the breakdown, and Sales with it: 34 − 20 would give Ops alone.
    assert by_team["Ops"] == by_team["Sales"] == NOT_ENOUGH
    assert by_team["Tech"].startswith("20 ")
    assert "Legal" not in by_team


@given(sizes=st.dictionaries(st.sampled_from("abcdefgh"), st.integers(0, 30), max_size=8),
       also=st.sets(st.sampled_from("abcdefgh")), threshold=st.integers(3, 10))
def test_no_hidden_group_can_be_computed_from_the_shown_ones(sizes, also, threshold):
    hidden = Policy(True, threshold, 5).hidden(sizes, also=also)
    present = {k for k, n in sizes.items() if n > 0}
    assert hidden <= present                                  # an empty group hides nothing
    assert {k for k in present if sizes[k] < threshold or k in also} <= hidden
    if hidden and hidden != present:
        # total − shown = the hidden ones together: at least two, at least the threshold.
        assert len(hidden) >= 2 and sum(sizes[k] for k in hidden) >= threshold


@pytest.fixture
def legal_ops_tech(make_survey, add_responses):
    survey = make_survey("enps")
    add_responses(survey, [dict(score=s, segment={"department": d})
                           for d, n in (("Legal", 3), ("Ops", 6), ("Tech", 20))
                           for s in [9, 6, 8] * (n // 3) + [10] * (n % 3)])
    return survey


def test_a_filter_onto_a_group_hidden_with_its_sibling_shows_no_numbers(client, login,
                                                                       legal_ops_tech):
    login(client, "hr")
    page = client.get(f"/surveys/{legal_ops_tech}?segment=department:Ops")
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and NOT_ENOUGH in body
    assert "6 responses" not in text(body)
    tech = client.get(f"/surveys/{legal_ops_tech}?segment=department:Tech")
    assert "20 responses" in text(tech.get_data(as_text=True))


def test_export_and_cli_refuse_a_group_hidden_with_its_sibling(app, client, login,
                                                               legal_ops_tech):
    login(client, "hr")
    refused = client.get(f"/surveys/{legal_ops_tech}/export.csv?segment=department:Ops")
    assert refused.status_code == 422 and NOT_ENOUGH in refused.get_data(as_text=True)
    tech = client.get(f"/surveys/{legal_ops_tech}/export.csv?segment=department:Tech")
    assert tech.status_code == 200 and len(tech.get_data(as_text=True).splitlines()) == 21
    with app.app_context():
        slug = db.session.get(Survey, legal_ops_tech).slug
    runner = app.test_cli_runner()
    cli = runner.invoke(args=["responses", "export", slug, "--segment", "department:Ops"])
    assert cli.exit_code == 2 and NOT_ENOUGH in cli.output
    assert runner.invoke(args=["responses", "export", slug, "--segment",
                               "department:Tech"]).exit_code == 0


def test_a_filter_onto_a_group_hidden_in_a_question_table_hides_that_question(
        client, login, make_survey, add_responses):
    survey = make_survey("pulse")
    # Legal: 6 responses, 2 answer question 1 → its table hides Legal and, with it, Sales.
    add_responses(survey, people("Legal", 2, q1=1) + people("Legal", 4)
                  + people("Sales", 8, q1=3) + people("Tech", 20, q1=5))
    login(client, "hr")

    def first_question(query: str) -> str:
        page = client.get(f"/surveys/{survey}{query}").get_data(as_text=True)
        return text(re.search(r'<div class="dash-question">(.*?)</div>',
                              section(page, "questions-title"), re.S).group(1))

    assert "30 answers" in first_question("")
    # Sales' 8 answers and mean would give Legal's 2 as 30 − 20 − 8.
    sales = first_question("?segment=department:Sales")
    assert NOT_ENOUGH in sales and "8 answers" not in sales and "Mean" not in sales
    assert "20 answers" in first_question("?segment=department:Tech")
    legal = first_question("?segment=department:Legal")  # 6 responses, 2 answers: too few
    assert NOT_ENOUGH in legal and "Mean" not in legal
