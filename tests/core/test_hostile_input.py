"""Issue 13, points 2–5 and 11: control characters, out-of-range ids and pages, log forging,
line breaks in single-line fields, and guessed link tokens — a clear 4xx, never a 500."""

from __future__ import annotations

import io
import logging

import pytest
from sqlalchemy import func, select

from survey_app.core.db import db
from survey_app.surveys.models import Survey
from tests.conftest import csrf_token
from tests.routes import all_routes

HUGE = ["2147483648", "9223372036854775808", "99999999999999999999"]


def survey_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Survey))


@pytest.mark.parametrize("url", ["/p/%00", "/p/a%0ab", "/surveys/%00", "/people/1%0d%0a"])
def test_control_characters_in_the_path_name_nothing(client, login, url):
    login(client, "admin")
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("url", [
    "/people?q=%00", "/people?kind=%00", "/people?where=a%00=b",
    "/people?q=a%0d%0ab", "/audit?action=%00", "/audit?ac%00tion=x", "/surveys?x=%1b",
    "/followups?q=%7f",
])
def test_control_characters_in_the_address_are_a_clear_400(client, login, url):
    login(client, "admin")
    response = client.get(url)
    assert response.status_code == 400
    assert "control character" in response.get_data(as_text=True)


def test_nul_in_the_login_email_is_a_400_and_signs_nobody_in(client, make_user):
    make_user("admin", email="root@example.com")
    token = csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"email": "root@example.com\x00",
                                           "password": "correct horse battery",
                                           "csrf_token": token})
    assert response.status_code == 422
    assert "Write this on one line" in response.get_data(as_text=True)
    assert client.get("/surveys").status_code == 302  # still signed out


def test_control_characters_in_a_form_value_are_refused_in_italian_too(app, client, login):
    login(client, "admin", locale="it")
    token = csrf_token(client.get("/surveys/new").get_data(as_text=True))
    response = client.post("/surveys/new?lang=it", data={
        "title": "Nul\x00title", "kind": "nps", "csrf_token": token})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Scrivilo su una riga sola" in html
    assert survey_count(app) == 0
    response = client.post("/surveys/new?lang=it&x=%00", data={"title": "T", "csrf_token": token})
    assert response.status_code == 400
    assert "carattere di controllo" in response.get_data(as_text=True)


@pytest.mark.parametrize("title", ["Line\r\nbreak", "Line\nbreak", "Tab\there", "Bell\x07",
                                   "Nul\x00"])
def test_single_line_fields_refuse_line_breaks_and_keep_what_was_typed(app, client, login,
                                                                       title):
    login(client, "admin")
    token = csrf_token(client.get("/surveys/new").get_data(as_text=True))
    response = client.post("/surveys/new", data={"title": title, "kind": "nps",
                                                 "default_locale": "en",
                                                 "anonymity": "identified",
                                                 "csrf_token": token})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Write this on one line, without tabs, line breaks or other control" in html
    assert title.replace("\x00", "").split()[0] in html  # what was typed comes back
    assert survey_count(app) == 0


def test_multi_line_fields_keep_their_line_breaks(app, client, login, make_survey):
    """The refusal is for single-line fields: a text area's tab, CR and LF pass the gate."""
    login(client, "admin")
    survey_id = make_survey("nps")
    html = client.get(f"/surveys/{survey_id}/send").get_data(as_text=True)
    response = client.post(f"/surveys/{survey_id}/send", data={
        "where": "team=Support\r\n\tregion=north", "csrf_token": csrf_token(html)})
    assert response.status_code == 200  # the preview of who would be invited
    assert "control character" not in response.get_data(as_text=True)
    response = client.post(f"/surveys/{survey_id}/send", data={
        "where": "team=Support\r\n\x00", "csrf_token": csrf_token(html)})
    assert response.status_code == 422
    assert "The text contains a control character (such as NUL)" in response.get_data(
        as_text=True)


def test_every_id_route_answers_404_for_out_of_range_ids(app, client, login):
    """Issue 13.3: a 20-digit or 64-bit id is a missing object, on every database."""
    login(client, "admin")
    token = csrf_token(client.get("/surveys/new").get_data(as_text=True))
    routes = [route for route in all_routes(app) if route.int_arguments]
    assert len(routes) > 20
    wrong = []
    for route in routes:
        for huge in HUGE:
            url = route.url(app, ints=int(huge))
            for method in route.methods:
                response = client.open(url, method=method, data={"csrf_token": token})
                if response.status_code != 404:
                    wrong.append((method, url, response.status_code))
    assert wrong == []


@pytest.mark.parametrize("url", ["/people?page={}", "/audit?page={}", "/followups?page={}"])
@pytest.mark.parametrize("page", ["99999999999999999999", "9" * 5000, "-1", "0", "x"])
def test_out_of_range_pages_are_a_400_or_the_last_page(client, login, url, page):
    login(client, "admin")
    assert client.get(url.format(page)).status_code in (200, 400)


def test_people_page_past_the_last_is_a_400(client, login):
    login(client, "admin")
    response = client.get("/people?page=99999999999999999999")
    assert response.status_code == 400
    assert "The page must be a whole number from 1 to 10000." in response.get_data(as_text=True)
    assert client.get("/people?page=10000").status_code == 200


def test_wave_page_out_of_range_is_a_400(app, client, login, make_survey):
    from survey_app.surveys.models import Wave

    login(client, "admin")
    survey_id = make_survey("nps")
    with app.app_context():
        wave = Wave(survey_id=survey_id, label="Round 1")
        db.session.add(wave)
        db.session.commit()
        wave_id = wave.id
    assert client.get(f"/waves/{wave_id}?page=99999999999999999999").status_code == 400
    assert client.get(f"/waves/{wave_id}?page=2").status_code == 200


@pytest.fixture
def log_lines(app):
    """What ``app.logger`` prints, through a plain ``%(levelname)s %(message)s`` handler."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    app.logger.addHandler(handler)
    try:
        yield lambda: stream.getvalue().splitlines()
    finally:
        app.logger.removeHandler(handler)


def test_a_500_log_line_cannot_forge_another_line(app, log_lines):
    """Issue 13.4: Flask's own "Exception on <path>" record, with CR/LF decoded in the path."""
    with app.test_request_context("/surveys/x%0d%0aCRITICAL%20forged%20entry"):
        try:
            raise RuntimeError("boom")
        except RuntimeError as error:
            app.log_exception((RuntimeError, error, error.__traceback__))
    lines = log_lines()
    assert lines[0].startswith("ERROR Exception on /surveys/x\\r\\nCRITICAL forged entry")
    assert not any(line.startswith("CRITICAL") for line in lines)


def test_every_logger_escapes_control_characters(app, log_lines):
    logging.getLogger("survey_app.anything").warning("value %s and %r", "a\nERROR b", "\x00")
    app.logger.info("plain\rtext %(x)s", {"x": "\x1b[31m"})
    assert log_lines() == ["WARNING value a\\nERROR b and '\\x00'",
                           "INFO plain\\rtext \\x1b[31m"]


def test_guessing_link_tokens_is_rate_limited(app, client, make_survey, make_link):
    """Issue 13.11: unknown tokens count against the respondent limit; real links do not."""
    make_link(make_survey("nps"))
    app.config["RATELIMIT_RESPOND"] = "5 per minute"
    try:
        statuses = [client.get(f"/s/guess{n:040d}").status_code for n in range(7)]
        thanks = client.get("/s/guess-again-xxxxxxxxxxxxxxxxxxxx/thanks").status_code
    finally:
        app.config["RATELIMIT_RESPOND"] = "60 per minute"
    assert statuses == [404] * 5 + [429] * 2
    assert thanks == 429


def test_opening_a_real_link_is_never_counted(app, client, make_survey, make_link):
    token = make_link(make_survey("nps"))
    app.config["RATELIMIT_RESPOND"] = "3 per minute"
    try:
        statuses = [client.get(f"/s/{token}").status_code for _ in range(6)]
    finally:
        app.config["RATELIMIT_RESPOND"] = "60 per minute"
    assert statuses == [200] * 6
