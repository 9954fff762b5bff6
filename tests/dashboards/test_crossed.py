"""Crossed segment filters: the page's counts read once (``dashboards.crossed``) give the same
dashboard as one raw statement per count, suppressed groups and refusals included."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from survey_app.core.db import db
from survey_app.dashboards import crossed
from survey_app.dashboards.anonymity import NarrowingRefusedError
from survey_app.dashboards.filters import parse_filters
from survey_app.dashboards.services import Dashboard, build_dashboard
from survey_app.responses.models import Response
from survey_app.surveys.models import Survey
from survey_app.surveys.services import create_survey
from tests.dashboards.helpers import stored_response

SENTIMENTS = ("negative", "neutral", "positive", "unknown")
TEAMS = ("Alpha", "Beta", "Gamma", "Delta")
REGIONS = ("north", "south", "east")




def _board(app: Flask, survey: Survey, args: dict[str, Any], *, once: bool) -> Any:
    """The dashboard for ``args`` with its counts read once (the default) or each from its
    own raw statement (``DASHBOARD_ROLLUPS`` off), or the refusal it raises."""
    before = app.config["DASHBOARD_ROLLUPS"]
    app.config["DASHBOARD_ROLLUPS"] = once
    try:
        return build_dashboard(survey, parse_filters(args, survey))
    except NarrowingRefusedError as error:
        return ("refused", str(error))
    finally:
        app.config["DASHBOARD_ROLLUPS"] = before


@pytest.fixture
def surveys(app: Flask) -> Iterator[list[Survey]]:
    """An anonymous eNPS and an identified NPS survey, 700 responses each over 500 days,
    with three attributes (team missing on some, plan on most) and a tiny team in the north."""
    with app.test_request_context():
        made = [create_survey(kind="enps", title="Pulse", slug="crossed-enps"),
                create_survey(kind="nps", title="Shop", slug="crossed-nps")]
        for survey in made:
            for i in range(700):
                segment: dict[str, Any] = {"team": TEAMS[i % 4], "region": REGIONS[i % 3],
                                           "plan": ("pro", "free")[i % 5 == 0]}
                if i % 17 == 0:
                    del segment["team"]
                if i % 23 == 0:
                    segment["plan"] = None
                db.session.add(stored_response(survey, (i * 7) % 11, (i * 37) % 500, i % 3 == 0,
                                                SENTIMENTS[i % 4], segment, suspected=i % 29 == 0))
            for i in range(3):  # a group below the threshold, recent
                db.session.add(stored_response(survey, 2 + i, 4 + i, True, "negative",
                                                {"team": "Tiny", "region": "north", "plan": "pro"}))
        db.session.commit()
        yield made


#: Views crossing two or three attributes; all read the crossed counts.
VIEWS = [
    {"segment": ["team:Alpha", "region:north"]},
    {"period": "30d", "segment": ["team:Alpha", "region:north"]},
    {"period": "365d", "segment": ["team:Beta", "region:south"]},
    {"period": "365d", "trend": "week", "segment": ["team:Beta", "region:south"]},
    {"period": "all", "segment": ["team:Alpha", "region:north"]},
    {"period": "all", "trend": "month", "segment": ["region:east", "plan:pro"]},
    {"period": "custom", "from": "2025-06-03", "to": "2026-01-17",
     "segment": ["team:Gamma", "region:east"]},
    {"period": "365d", "segment": ["team:Alpha", "region:north"], "breakdown": "region"},
    {"period": "365d", "segment": ["team:Alpha", "region:north"], "breakdown": "plan"},
    {"period": "365d", "segment": ["team:", "region:north"]},
    {"period": "all", "segment": ["plan:", "region:south"]},
    {"period": "all", "segment": ["team:Alpha", "region:north", "plan:pro"]},
    {"period": "all", "category": "promoter", "segment": ["team:Delta", "region:east"]},
    {"period": "365d", "category": "detractor", "segment": ["team:Alpha", "plan:pro"]},
    {"period": "30d", "segment": ["team:Tiny", "region:north"]},
    {"period": "30d", "segment": ["team:Alpha", "region:north"], "breakdown": "team"},
    {"period": "all", "segment": ["team:Nobody", "region:north"]},
    {"period": "all", "segment": ["plan:pro", "region:north"], "page": "2"},
    {"period": "all", "segment": ["plan:pro", "region:north"], "page": "3"},
    {"period": "all", "segment": ["plan:pro", "region:north"], "page": "6"},
]


@pytest.mark.parametrize("args", VIEWS)
def test_crossed_views_equal_one_statement_per_count(app, surveys, args):
    for survey in surveys:
        assert crossed.usable(parse_filters(args, survey))
        board = _board(app, survey, args, once=True)
        assert board == _board(app, survey, args, once=False), (survey.slug, args)


def test_the_views_exercise_the_anonymity_rules(app, surveys):
    """Refused filters, hidden groups and hidden trend points all occur among the views, so
    the equality above covers them."""
    boards = [_board(app, surveys[0], args, once=True) for args in VIEWS]
    assert any(isinstance(board, tuple) for board in boards)  # refused: narrows too little
    shown = [board for board in boards if isinstance(board, Dashboard)]
    assert any(board.hidden for board in shown)
    assert any(group.hidden for board in shown for group in board.trend)
    assert any(not board.hidden and board.n for board in shown)
    assert any(board.comments for board in shown if board.filters.page == 2)


def _statements(app: Flask, action: Any) -> list[str]:
    seen: list[str] = []
    with app.app_context():
        engine = db.engine

    def listener(*args: Any) -> None:
        seen.append(" ".join(args[2].split()))

    sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        action()
    finally:
        sa.event.remove(engine, "before_cursor_execute", listener)
    return seen


def _scans(statements: list[str]) -> list[str]:
    """Statements that group the responses (each a scan of the period)."""
    return [s for s in statements if "FROM responses" in s and "GROUP BY" in s
            and "response_themes" not in s and "FROM surveys" not in s]


def test_a_crossed_page_reads_the_combination_rollup_once(app, client, login, surveys):
    """Filtered on two attributes, broken down by one of them (the first, by default): one
    ``GROUP BY`` of ``rollup_combo_scores``, none of the responses."""
    login(client, "admin")
    url = f"/surveys/{surveys[0].id}"
    args = {"segment": ["plan:pro", "region:north"]}
    page = client.get(url, query_string=args)
    assert page.status_code == 200 and "A comment" in page.get_data(as_text=True)
    statements = _statements(app, lambda: client.get(url, query_string=args))
    app.config["DASHBOARD_ROLLUPS"] = False
    try:
        each = _scans(_statements(app, lambda: client.get(url, query_string=args)))
    finally:
        app.config["DASHBOARD_ROLLUPS"] = True
    combos = [s for s in statements if "FROM rollup_combo_scores" in s and "GROUP BY" in s]
    assert len(combos) == 1 and not _scans(statements) and len(each) >= 5, (statements, each)
    with app.app_context():
        postgresql = db.engine.dialect.name == "postgresql"
    # PostgreSQL reads the comment page's tokens in token order (a few comments: no bound;
    # see the next test), then those rows; SQLite reads the page in token order.
    assert len([s for s in statements if "ORDER BY responses.token_digest LIMIT" in s]) == 1
    assert any("token_digest IN" in s for s in statements) is postgresql


@pytest.mark.parametrize("skewed", [False, True], ids=["uniform", "skewed"])
def test_the_comment_pages_in_token_order_are_exact_whatever_the_bound(app, skewed):
    """PostgreSQL reads an anonymous crossed group's first comment pages below a token bound
    (``CrossedCounts.comment_tokens``): uniform digests are found within it; digests all
    above it (skewed) make it grow until the pages are complete. Either way the pages are
    those of the plain token order."""
    with app.test_request_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("PostgreSQL only: SQLite reads the page in index order")
        survey = create_survey(kind="enps", title="Tokens", slug=f"tokens-{int(skewed)}")
        for i in range(500):
            segment = {"team": "Alpha", "region": "north"} if i % 5 else \
                {"team": "Beta", "region": "north"}
            response = stored_response(survey, i % 11, i % 20, True, "neutral", segment)
            # Fixed digests, so the uniform case never misses its bound by chance.
            digest = hashlib.sha256(f"tokens:{i}".encode()).hexdigest()
            response.token_digest = "ff" + digest[2:] if skewed and i % 5 else digest
            db.session.add(response)
        db.session.commit()
        filters = parse_filters({"segment": ["team:Alpha", "region:north"], "period": "30d"},
                                survey)
        counts = crossed.CrossedCounts(survey, filters, None, tokens=60)
        group = sorted(db.session.scalars(
            sa.select(Response.token_digest).where(
                Response.survey_id == survey.id,
                Response.segment["team"].as_string() == "Alpha")))
        assert len(group) == 400
        statements = _statements(app, lambda: [
            counts.comment_tokens(filters, offset, 20) for offset in (0, 20, 40)])
        for offset in (0, 20, 40):
            assert counts.comment_tokens(filters, offset, 20) == group[offset:offset + 20]
        assert counts.comment_tokens(filters, 60, 20) is None  # a later page: read on its own
        bounds = [s for s in statements if "responses.token_digest <" in s]
        # Page 1 reads 2 × 20 of 400 comments' range: a tenth. Skewed, it grows to 40 % and
        # then to all of it.
        assert bounds and (len(statements) > len(bounds)) is skewed


segments = st.dictionaries(st.sampled_from(["team", "region", "plan"]),
                           st.sampled_from(["a", "b", "north", 7, None]), max_size=3)
answers = st.lists(st.tuples(st.integers(0, 10), st.integers(0, 120), st.booleans(),
                             st.sampled_from(SENTIMENTS), segments, st.booleans()),
                   min_size=1, max_size=40)
crossings = st.lists(st.tuples(st.sampled_from(["team", "region", "plan"]),
                               st.sampled_from(["a", "b", "north", "7", ""])),
                     min_size=2, max_size=3, unique_by=lambda pair: pair[0])
_slugs = iter(range(1, 10_000))


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(kind=st.sampled_from(["enps", "nps"]), rows=answers, crossing=crossings,
       period=st.sampled_from(["30d", "90d", "all"]),
       category=st.sampled_from([None, "promoter", "detractor"]),
       breakdown=st.sampled_from([None, "team", "region", "plan"]))
def test_any_crossing_of_random_answers_is_the_same_both_ways(app, kind, rows, crossing, period,
                                                              category, breakdown):
    with app.test_request_context():
        survey = create_survey(kind=kind, title="Random", slug=f"crossed-{next(_slugs)}")
        for row in rows:
            db.session.add(stored_response(survey, *row))
        db.session.flush()
        args: dict[str, Any] = {"period": period,
                                "segment": [f"{key}:{value}" for key, value in crossing]}
        args |= {"category": category} if category else {}
        args |= {"breakdown": breakdown} if breakdown else {}
        assert _board(app, survey, args, once=True) == _board(app, survey, args, once=False)
