"""Changing an answer: a resubmitted or stale form keeps what was typed; what reopening a link
shows (anonymous surveys never show an earlier answer); no page with answers is cached."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

from survey_app.core.db import db, utcnow
from survey_app.responses.models import Response
from survey_app.surveys.models import Survey


def stored(app) -> list[tuple[int, str | None, int]]:
    with app.app_context():
        return [(r.score, r.comment, r.version) for r in db.session.scalars(select(Response))]


def checked_score(html: str) -> str | None:
    match = re.search(r'name="score" value="(\d+)"\s*checked', html)
    return match.group(1) if match else None


def age_the_answer(app, hours: int) -> None:
    with app.app_context():
        response = db.session.scalars(select(Response)).one()
        response.submitted_dt = utcnow() - timedelta(hours=hours)
        db.session.commit()


def test_resubmitted_first_answer_is_kept_in_the_form_with_one_button_to_update(
        app, client, submit, make_survey, make_link):
    token = make_link(make_survey("nps"))
    form = client.get(f"/s/{token}").get_data(as_text=True)  # the second tab, opened early
    submit(f"/s/{token}", {"score": "3", "comment": "slow"})
    from tests.conftest import csrf_token

    again = client.post(f"/s/{token}", data={"score": "9", "comment": "fixed now",
                                             "csrf_token": csrf_token(form)})
    html = again.get_data(as_text=True)
    assert again.status_code == 409
    assert "already been used" in html and "Update my answer" in html
    assert "fixed now" in html and checked_score(html) == "9"  # what was typed, kept
    assert 'name="version" type="hidden" value="1"' in html
    assert stored(app) == [(3, "slow", 1)]
    update = client.post(f"/s/{token}", data={"score": "9", "comment": "fixed now",
                                              "version": "1", "csrf_token": csrf_token(html)})
    assert update.status_code == 303
    assert stored(app) == [(9, "fixed now", 2)]


def test_stale_edit_keeps_what_was_typed_against_the_current_version(
        app, client, submit, make_survey, make_link):
    token = make_link(make_survey("nps"))
    submit(f"/s/{token}", {"score": "3"})
    submit(f"/s/{token}", {"score": "4", "version": "1"})
    response = submit(f"/s/{token}", {"score": "10", "comment": "second tab", "version": "1"})
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "changed in another window" in html and "second tab" in html
    assert checked_score(html) == "10" and 'name="version" type="hidden" value="2"' in html
    assert stored(app) == [(4, None, 2)]


def test_a_change_after_the_window_says_so_and_the_answer_on_record_stays(
        app, submit, make_survey, make_link):
    token = make_link(make_survey("nps"))
    submit(f"/s/{token}", {"score": "2", "comment": "private words"})
    age_the_answer(app, 25)
    response = submit(f"/s/{token}", {"score": "9", "comment": "too late"})
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "The time to change this answer is over" in html
    assert "private words" not in html and 'name="score"' not in html
    assert [row[:2] for row in stored(app)] == [(2, "private words")]


def test_anonymous_link_reopened_never_shows_the_earlier_answer_and_may_replace_it(
        app, client, submit, make_survey, make_link):
    token = make_link(make_survey("enps"))
    submit(f"/s/{token}", {"score": "2", "comment": "secret words"})
    page = client.get(f"/s/{token}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "secret words" not in html and checked_score(html) is None
    assert "replaces your earlier answer" in html
    assert submit(f"/s/{token}", {"score": "8"}).status_code == 303
    assert stored(app) == [(8, None, 2)]
    thanks = client.get(f"/s/{token}/thanks").get_data(as_text=True)
    assert "Thank you" in thanks


def test_anonymous_answer_with_no_edit_window_cannot_be_changed_even_the_same_day(
        app, client, submit, make_survey, make_link):
    token = make_link(make_survey("enps", settings={"edit_window_hours": 0}))
    submit(f"/s/{token}", {"score": "2", "comment": "secret words"})
    html = client.get(f"/s/{token}").get_data(as_text=True)
    assert "Already answered" in html and 'name="score"' not in html
    assert "secret words" not in html
    assert submit(f"/s/{token}", {"score": "9"}).status_code == 409
    assert stored(app) == [(2, "secret words", 1)]


def test_identified_answer_is_shown_only_inside_the_window(
        app, client, submit, make_survey, make_link):
    token = make_link(make_survey("nps", settings={"edit_window_hours": 0}))
    submit(f"/s/{token}", {"score": "6", "comment": "my own words"})
    html = client.get(f"/s/{token}").get_data(as_text=True)
    assert "my own words" not in html and 'name="score"' not in html


def test_pages_that_can_show_answers_are_never_cached(app, client, submit, make_survey,
                                                      make_link):
    token = make_link(make_survey("nps"))
    make_survey("nps", slug="open-cache", is_public=True)
    submit(f"/s/{token}", {"score": "7", "comment": "mine"})
    submit("/p/open-cache", {"score": "7"})
    for url in (f"/s/{token}", f"/s/{token}/thanks", "/p/open-cache", "/p/open-cache/thanks"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "no-store" in response.headers.get("Cache-Control", ""), url
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Survey)) == 2
