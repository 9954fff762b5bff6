"""Daily rollups: always equal to the raw aggregates, and every dashboard view the same from
either source (docs/dashboards.md, "Rollups")."""

from __future__ import annotations

import json
import threading
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from survey_app.core.db import db, set_write_intent
from survey_app.core.scoring import categorise
from survey_app.dashboards import rebuild, rollups
from survey_app.dashboards.anonymity import NarrowingRefusedError
from survey_app.dashboards.filters import parse_filters
from survey_app.dashboards.models import DailyComboScore, DailyScore, DailySegmentScore
from survey_app.dashboards.services import build_dashboard
from survey_app.privacy.erasure import strip_identity
from survey_app.privacy.retention import anonymise_expired
from survey_app.responses.models import Response
from survey_app.surveys.models import Survey
from survey_app.surveys.services import create_survey
from tests.dashboards.helpers import NOW, stored_response

SENTIMENTS = ("negative", "neutral", "positive", "unknown")

segments = st.dictionaries(st.sampled_from(["team", "region"]),
                           st.sampled_from(["a", "b", "north", 7, None]), max_size=2)
additions = st.tuples(st.just("add"), st.integers(0, 10), st.integers(0, 60),
                      st.booleans(), st.sampled_from(SENTIMENTS), segments, st.booleans())
index = st.integers(0, 50)
operations = st.lists(st.one_of(
    additions, additions,
    st.tuples(st.just("edit"), index, st.integers(0, 10), st.integers(0, 60)),
    st.tuples(st.just("segment"), index, segments),
    st.tuples(st.just("comment"), index, st.booleans(), st.sampled_from(SENTIMENTS)),
    st.tuples(st.just("suspect"), index, st.booleans()),
    st.tuples(st.just("delete"), index),
    st.tuples(st.just("erase"), index),
    st.tuples(st.just("anonymise")),
    st.tuples(st.just("rescore"), st.sampled_from(SENTIMENTS)),
), max_size=25)




def _apply(survey: Survey, operation: tuple[Any, ...], responses: list[Response]) -> None:
    """One change to the survey's responses, through the code paths the app uses."""
    name, *args = operation
    if name == "add":
        responses.append(stored_response(survey, *args))
        db.session.add(responses[-1])
    elif name == "anonymise":
        survey.retention_days = 30
        anonymise_expired(survey, now=NOW)
    elif name == "rescore":  # a bulk UPDATE, as sentiment.services.rescore_responses runs
        db.session.execute(sa.update(Response).where(Response.survey_id == survey.id)
                           .values(sentiment_label=args[0])
                           .execution_options(synchronize_session=False))
        db.session.expire_all()
    elif responses:
        response = responses[args[0] % len(responses)]
        if name == "edit":
            response.score, response.category = args[1], categorise(survey.kind, args[1])
            response.submitted_dt = NOW - timedelta(days=args[2])
        elif name == "segment":
            response.segment = args[1]
        elif name == "comment":
            response.comment = "Changed" if args[1] else None
            response.sentiment_label = args[2]
        elif name == "suspect":
            response.is_suspected_automated = args[1]
        elif name == "erase":
            strip_identity(response)
        elif name == "delete":
            responses.remove(response)
            db.session.delete(response)
    db.session.flush()


Rollups = tuple[dict[tuple[Any, ...], list[int]], ...]


def _canonical(segment: Any) -> str:
    """A segment's JSON with sorted keys: one spelling per combination of values."""
    return json.dumps(json.loads(segment) if isinstance(segment, str) else segment,
                      sort_keys=True)


def _expected(survey: Survey) -> Rollups:
    """The rollups computed here, in Python, from the survey's responses as stored: per
    score, per attribute value and per combination of values."""
    tables: list[defaultdict[tuple[Any, ...], list[int]]] = [
        defaultdict(lambda: [0] * 5) for _table in range(3)]
    scores, by_segment, by_combo = tables
    db.session.expire_all()
    for response in db.session.scalars(sa.select(Response).where(
            Response.survey_id == survey.id, Response.is_suspected_automated.is_(False))):
        day = response.submitted_dt.astimezone(UTC).date()
        counts = [1, response.comment is not None,
                  *(response.sentiment_label == s for s in ("negative", "neutral", "positive"))]
        keys = [(day, response.score, response.category, scores),
                (day, _canonical(response.segment), response.score, response.category,
                 by_combo)]
        keys += [(name, day, str(value), response.score, response.category, by_segment)
                 for name, value in response.segment.items() if value is not None]
        for *key, table in keys:
            table[tuple(key)] = [a + b for a, b in zip(table[tuple(key)], counts, strict=True)]
    return dict(scores), dict(by_segment), dict(by_combo)


def _stored(survey: Survey) -> Rollups:
    def read(table: Any, key: tuple[str, ...]) -> dict[tuple[Any, ...], list[int]]:
        rows = db.session.scalars(sa.select(table).where(table.survey_id == survey.id,
                                                         table.n != 0))
        found: defaultdict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0] * 5)
        for r in rows:
            at = tuple(_canonical(getattr(r, k)) if k == "segment" else getattr(r, k)
                       for k in key)
            found[at] = [a + b for a, b in zip(
                found[at], (r.n, r.comments, r.negative, r.neutral, r.positive), strict=True)]
        return dict(found)

    return (read(DailyScore, ("day", "score", "category")),
            read(DailySegmentScore, ("attribute", "day", "value", "score", "category")),
            read(DailyComboScore, ("day", "segment", "score", "category")))


@contextmanager
def _source(app: Flask, *, rollup: bool) -> Iterator[None]:
    before = app.config["DASHBOARD_ROLLUPS"]
    app.config["DASHBOARD_ROLLUPS"] = rollup
    try:
        yield
    finally:
        app.config["DASHBOARD_ROLLUPS"] = before


def _board(app: Flask, survey: Survey, args: dict[str, Any], *, rollup: bool) -> Any:
    """The dashboard for ``args`` from one source (or the refusal it raises)."""
    with _source(app, rollup=rollup):
        try:
            return build_dashboard(survey, parse_filters(args, survey))
        except NarrowingRefusedError as error:
            return ("refused", str(error))


_slugs = iter(range(1, 10_000))


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(kind=st.sampled_from(["enps", "nps", "csat"]), steps=operations)
def test_rollups_equal_the_raw_aggregates_after_any_changes(app, kind, steps):
    with app.test_request_context():
        survey = create_survey(kind=kind, title="Property", slug=f"property-{next(_slugs)}")
        responses: list[Response] = []
        for step in steps:
            if kind == "csat" and step[0] in ("add", "edit"):
                step = (*step[:2], 1 + step[2] % 5, *step[3:]) if step[0] == "edit" \
                    else (step[0], 1 + step[1] % 5, *step[2:])
            _apply(survey, step, responses)
        assert _stored(survey) == _expected(survey)
        assert rebuild.differences(survey.id) == 0
        for args in ({"period": "all"}, {"period": "all", "breakdown": "team"},
                     {"period": "all", "segment": "region:north"}):
            assert (_board(app, survey, args, rollup=True)
                    == _board(app, survey, args, rollup=False)), args


#: Every view the dashboard offers; ``True``: the rollups hold its counts.
VIEWS = [
    ({}, True),
    ({"period": "30d"}, True),
    ({"period": "365d"}, True),
    ({"period": "all"}, True),
    ({"period": "all", "trend": "month"}, True),
    ({"period": "365d", "trend": "week"}, True),
    ({"period": "custom", "from": "2025-06-03", "to": "2026-01-17"}, True),
    ({"breakdown": "region"}, True),
    ({"period": "all", "breakdown": "team"}, True),
    ({"segment": "region:north"}, True),
    ({"period": "365d", "segment": "region:north", "breakdown": "region"}, True),
    ({"period": "365d", "category": "promoter"}, True),
    ({"period": "all", "category": "detractor", "segment": "region:south"}, True),
    ({"period": "365d", "segment": "team:Alpha"}, False),  # crossed with region (default)
    ({"period": "365d", "segment": ["team:Alpha", "region:north"]}, False),
    ({"period": "all", "segment": "team:"}, False),
    ({"period": "all", "sentiment": "negative"}, False),
]


@pytest.fixture
def surveys(app: Flask) -> Iterator[list[Survey]]:
    """An anonymous eNPS and an identified NPS survey with 600 responses each over 500 days."""
    with app.test_request_context():
        made = [create_survey(kind="enps", title="Pulse", slug="rollup-enps"),
                create_survey(kind="nps", title="Shop", slug="rollup-nps")]
        for survey in made:
            for i in range(600):
                segment: dict[str, Any] = {"team": ("Alpha", "Beta", "Gamma", "Delta")[i % 4],
                                           "region": ("north", "south", "east")[i % 3]}
                if i % 17 == 0:
                    del segment["team"]
                db.session.add(stored_response(survey, (i * 7) % 11, (i * 37) % 500, i % 3 == 0,
                                                SENTIMENTS[i % 4], segment, suspected=i % 29 == 0))
        db.session.commit()
        yield made


@pytest.mark.parametrize(("args", "from_rollups"), VIEWS)
def test_every_view_is_the_same_from_rollups_and_from_responses(app, surveys, args,
                                                                from_rollups):
    for survey in surveys:
        filters = parse_filters(args, survey)
        breakdown = filters.breakdown or "region"
        assert rollups.usable(filters, breakdown) is from_rollups
        from_rollup = _board(app, survey, args, rollup=True)
        assert from_rollup == _board(app, survey, args, rollup=False)
        # Something to compare: figures, the small-group notice or a refusal, never nothing.
        assert isinstance(from_rollup, tuple) or from_rollup.n or from_rollup.hidden


def test_a_hidden_group_stays_hidden_from_rollups(app, surveys):
    """Complementary suppression runs on the rolled-up counts: a filter onto a small group is
    refused, a small group is hidden in the breakdown with a sibling."""
    enps = surveys[0]
    with app.test_request_context():
        for _ in range(2):
            db.session.add(stored_response(enps, 9, 3, False, "unknown", {"team": "Tiny"}))
        db.session.flush()
        board = _board(app, enps, {"period": "30d", "breakdown": "team"}, rollup=True)
        assert board == _board(app, enps, {"period": "30d", "breakdown": "team"}, rollup=False)
        hidden = [group.label for group in board.breakdown if group.hidden]
        assert "Tiny" in hidden and len(hidden) >= 2
        assert all(group.n is None for group in board.breakdown if group.hidden)
        refused = _board(app, enps, {"period": "30d", "segment": "team:Tiny"}, rollup=True)
        assert refused == _board(app, enps, {"period": "30d", "segment": "team:Tiny"},
                                 rollup=False)
        assert refused[0] == "refused" if isinstance(refused, tuple) else refused.hidden


def test_the_command_checks_and_rebuilds_the_rollups(app, surveys):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["db", "rollup"])
    assert result.exit_code == 0, result.output
    assert "Rollups exact for 2 survey(s)." in result.output
    with app.app_context():
        db.session.execute(sa.update(DailyScore).where(DailyScore.score == 9)
                           .values(n=DailyScore.n + 3))
        db.session.execute(sa.delete(DailySegmentScore).where(DailySegmentScore.value == "east"))
        db.session.execute(sa.update(DailyComboScore).where(DailyComboScore.score == 3)
                           .values(comments=DailyComboScore.comments + 1))
        db.session.commit()
    result = runner.invoke(args=["db", "rollup", "rollup-nps"])
    assert result.exit_code == 1
    assert "rollup-nps:" in result.output and "rows differ" in result.output
    result = runner.invoke(args=["db", "rollup", "--rebuild"])
    assert result.exit_code == 0, result.output
    assert "Rollups rebuilt for 2 survey(s)" in result.output
    assert "months" in result.output
    assert runner.invoke(args=["db", "rollup"]).exit_code == 0
    with app.app_context():
        assert all(rebuild.differences(s.id) == 0 for s in surveys)


def test_the_command_refuses_an_unknown_survey(app):
    result = app.test_cli_runner().invoke(args=["db", "rollup", "--rebuild", "nope"])
    assert result.exit_code == 2
    assert "No survey with the slug 'nope'." in result.output


@pytest.mark.live
def test_concurrent_answers_are_all_counted(app):
    """Answers committed at once by several connections on the same day and score: the
    upserts lose none (PostgreSQL row locks; SQLite one writer at a time)."""
    with app.app_context():
        survey = create_survey(kind="nps", title="Busy", slug="busy")
        db.session.commit()
        survey_id = survey.id
    errors: list[BaseException] = []

    def answer(count: int) -> None:
        set_write_intent()  # as a respondent's POST does (BEGIN IMMEDIATE on SQLite)
        try:
            with app.app_context():
                survey = db.session.get(Survey, survey_id)
                for _ in range(count):
                    db.session.add(stored_response(survey, 10, 0, True, "positive",
                                                    {"team": "Alpha"}))
                    db.session.commit()
        except BaseException as error:  # noqa: BLE001 - reported by the test
            errors.append(error)

    threads = [threading.Thread(target=answer, args=(25,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.sum(DailyScore.n))
                                 .where(DailyScore.survey_id == survey_id)) == 100
        assert db.session.scalar(sa.select(sa.func.sum(DailySegmentScore.positive))
                                 .where(DailySegmentScore.survey_id == survey_id)) == 100
        assert rebuild.differences(survey_id) == 0


@pytest.mark.live
def test_an_answer_committed_while_a_breakdown_is_read_is_counted_everywhere_or_nowhere(app):
    """Found by ``bench/cluster.py``: the breakdown's totals and values were two statements, so
    an answer committed between them was in the values only (500: a negative "without" count,
    or a KeyError for a score the totals had not seen that day)."""
    with app.app_context():
        survey = create_survey(kind="nps", title="Live", slug="live-breakdown")
        for _ in range(6):
            db.session.add(stored_response(survey, 10, 0, False, "unknown", {"team": "Alpha"}))
        db.session.commit()
        survey_id = survey.id

    def answer() -> None:
        with app.app_context():
            survey = db.session.get(Survey, survey_id)
            db.session.add(stored_response(survey, 0, 0, False, "unknown", {"team": "Beta"}))
            db.session.commit()

    def commit_once_rollups_are_read(conn, cursor, statement, *args) -> None:
        if "rollup_scores" in statement and "CASE" in statement and not answered:  # the cells
            answered.append(True)
            thread = threading.Thread(target=answer)  # another connection, committed now
            thread.start()
            thread.join()

    answered: list[bool] = []
    with app.test_request_context():
        sa.event.listen(db.engine, "after_cursor_execute", commit_once_rollups_are_read)
        try:
            survey = db.session.get(Survey, survey_id)
            board = build_dashboard(survey, parse_filters({"breakdown": "team"}, survey))
        finally:
            sa.event.remove(db.engine, "after_cursor_execute", commit_once_rollups_are_read)
        assert answered
        assert board.n == sum(group.n or 0 for group in board.breakdown) == 6
        db.session.rollback()  # SQLite reads one snapshot per transaction: start a new one
        assert build_dashboard(survey, parse_filters({"breakdown": "team"}, survey)).n == 7
