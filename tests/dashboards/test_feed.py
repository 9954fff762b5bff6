"""The API's response pages (dashboards.feed): keyset walk, incremental sync, anonymity."""

from __future__ import annotations

from datetime import timedelta

import pytest

from survey_app.core import cursors
from survey_app.core.db import db
from survey_app.dashboards.anonymity import GroupHiddenError, NarrowingRefusedError
from survey_app.dashboards.feed import response_page
from survey_app.dashboards.filters import parse_api_filters
from survey_app.responses.models import Response
from survey_app.responses.services import Submission, update_response
from survey_app.surveys.models import Survey


def _walk(survey: Survey, limit: int, between=None, **args) -> list[int]:
    """Every row id of every page, calling ``between()`` after each page."""
    seen, cursor = [], None
    while True:
        filters = parse_api_filters(args, survey)
        page = response_page(survey, filters, cursor=cursor, limit=limit)
        seen += [row.id for row in page.rows]
        if page.next_cursor is None:
            return seen
        cursor = page.next_cursor
        if between:
            between()


def test_pages_walk_every_row_once_while_answers_arrive(app, make_survey, add_responses):
    survey_id = make_survey("nps")
    add_responses(survey_id, [{"score": s % 11, "days_ago": 3} for s in range(23)])
    with app.app_context():
        survey = db.session.get(Survey, survey_id)
        seen = _walk(survey, 5, between=lambda: add_responses(survey_id, [{"score": 9,
                                                                           "days_ago": 0}]))
        ids = db.session.scalars(db.select(Response.id).where(
            Response.survey_id == survey_id)).all()
    assert len(seen) == len(set(seen))
    assert sorted(seen) == sorted(ids)
    assert len(ids) > 23  # answers did arrive between the pages, and were read too


def test_updated_since_reads_only_what_changed(app, make_survey, add_responses):
    survey_id = make_survey("nps", settings={"edit_window_hours": 10_000})
    add_responses(survey_id, [{"score": 3, "days_ago": 2}, {"score": 8, "days_ago": 2}])
    with app.app_context():
        survey = db.session.get(Survey, survey_id)
        filters = parse_api_filters({}, survey)
        first = response_page(survey, filters, limit=10)
        assert len(first.rows) == 2
        since = max(row.updated_dt for row in first.rows) + timedelta(seconds=1)
        assert response_page(survey, filters, updated_since=since).rows == []
        edited = db.session.get(Response, first.rows[0].id)
        update_response(edited, Submission(score=10, comment="Much better now"),
                        version=edited.version, now=since + timedelta(minutes=5))
        edited_id = edited.id
        db.session.commit()
        later = response_page(survey, filters, updated_since=since)
    assert [(row.id, row.score) for row in later.rows] == [(edited_id, 10)]


def test_an_orm_insert_is_written_now(app, make_survey, add_responses):
    survey_id = make_survey("nps")
    add_responses(survey_id, [{"score": 7}])
    with app.app_context():
        response = db.session.scalar(db.select(Response).where(Response.survey_id == survey_id))
        assert response.updated_dt == response.submitted_dt


def test_a_cursor_of_another_survey_is_refused(app, make_survey, add_responses):
    one, other = make_survey("nps"), make_survey("nps")
    add_responses(one, [{"score": 9}] * 3)
    with app.app_context():
        first = db.session.get(Survey, one)
        cursor = response_page(first, parse_api_filters({}, first), limit=1).next_cursor
        second = db.session.get(Survey, other)
        with pytest.raises(cursors.InvalidCursorError):
            response_page(second, parse_api_filters({}, second), cursor=cursor)
        for bad in ("", "!!", "W10", cursor[:-2], "eyJ4IjoxfQ", "a" * 500):
            with pytest.raises(cursors.InvalidCursorError):
                response_page(first, parse_api_filters({}, first), cursor=bad)


def test_anonymous_pages_are_shuffled_and_checked(app, make_survey, add_responses):
    survey_id = make_survey("enps")
    add_responses(survey_id, [{"score": 9 if i < 10 else 2, "comment": f"Comment {i}",
                               "segment": {"team": "A" if i < 10 else "B"}} for i in range(12)])
    with app.app_context():
        survey = db.session.get(Survey, survey_id)
        page = response_page(survey, parse_api_filters({}, survey), limit=100)
        digests = [row.token_digest for row in page.rows]
        assert digests == sorted(digests) and len(digests) == 12
        assert page.disclosure is not None and page.disclosure.comments
        assert page.disclosure.segment_keys == ()
        with pytest.raises(GroupHiddenError):  # team B has 2 answers
            response_page(survey, parse_api_filters({"filter": "team:B"}, survey))
        with pytest.raises(GroupHiddenError):  # team A is B's complement
            response_page(survey, parse_api_filters({"filter": "team:A"}, survey))
        with pytest.raises(NarrowingRefusedError):  # promoters leave 2 out
            response_page(survey, parse_api_filters({"category": "promoter"}, survey))
