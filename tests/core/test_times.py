"""Times (issue 12 point 12): ``POLSO_TIMEZONE``, each staff user's own zone, one format per
language without seconds, on pages and in e-mails."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from survey_app import create_app
from survey_app.accounts.models import User
from survey_app.core.db import db
from survey_app.responses.models import Response
from tests.conftest import csrf_token


@pytest.mark.parametrize("zone", ["Mars/Olympus", "../../etc/passwd", "localtime", "", 5])
def test_a_bad_time_zone_setting_stops_start_up_with_a_clear_message(zone, database_url):
    with pytest.raises(RuntimeError, match="POLSO_TIMEZONE must be an IANA time zone"):
        create_app({"TESTING": True, "DATABASE_URL": database_url, "TIMEZONE": zone})


def test_the_setting_is_read_from_the_environment(monkeypatch, database_url):
    monkeypatch.setenv("POLSO_TIMEZONE", "Europe/Rome")
    app = create_app({"TESTING": True, "DATABASE_URL": database_url})
    assert app.config["TIMEZONE"] == "Europe/Rome"


def _user(app, user_id: int) -> User:
    with app.app_context():
        return db.session.get(User, user_id)


def test_a_user_chooses_a_time_zone_and_sees_their_times_in_it(app, client, login):
    user_id = login(client, "admin", locale="it")
    with app.app_context():
        db.session.get(User, user_id).created_dt = datetime(2026, 7, 1, 22, 45, 30, tzinfo=UTC)
        db.session.commit()
    assert "1 lug 2026, 22:45" in client.get(f"/users/{user_id}").get_data(as_text=True)
    page = client.get("/account/timezone").get_data(as_text=True)
    assert '<option selected value="">' in page and "Europe/Rome" in page
    # the common zones first, then all of them (no scrolling through 600 names for Rome)
    common = page.index('<optgroup label="Più usati">')
    assert common < page.index('value="Europe/Rome"') < page.index(
        '<optgroup label="Tutti i fusi orari">')
    assert page.count('value="Europe/Rome"') == 1  # once: a single choice, a single option
    response = client.post("/account/timezone", data={"timezone": "Europe/Rome",
                                                      "csrf_token": csrf_token(page)})
    assert response.status_code == 303 and _user(app, user_id).timezone == "Europe/Rome"
    html = client.get(f"/users/{user_id}").get_data(as_text=True)
    assert "2 lug 2026, 00:45" in html and "00:45:30" not in html  # CEST is UTC+2


@pytest.mark.parametrize("zone", ["Mars/Olympus", "localtime", "x" * 5000])
def test_an_unknown_time_zone_is_refused_and_the_choice_kept(app, client, login, zone):
    user_id = login(client, "admin", timezone="Asia/Tokyo")
    page = client.get("/account/timezone").get_data(as_text=True)
    response = client.post("/account/timezone", data={"timezone": zone,
                                                      "csrf_token": csrf_token(page)})
    assert response.status_code == 422
    assert "Choose a time zone from the list." in response.get_data(as_text=True)
    assert _user(app, user_id).timezone == "Asia/Tokyo"


def test_back_to_the_service_time_zone(app, client, login):
    user_id = login(client, "admin", timezone="Asia/Tokyo")
    page = client.get("/account/timezone").get_data(as_text=True)
    client.post("/account/timezone", data={"timezone": "", "csrf_token": csrf_token(page)})
    assert _user(app, user_id).timezone is None


def test_respondent_deadline_is_in_the_configured_zone_without_seconds(
        app, client, submit, make_survey, make_link, monkeypatch):
    monkeypatch.setitem(app.config, "TIMEZONE", "Europe/Rome")
    token = make_link(make_survey("nps"), locale="it")
    submit(f"/s/{token}", {"score": "9"})
    # A 1 December whose 24-hour window is still open whenever the suite runs (a fixed 2026
    # date closed on 2 December 2026 at 22:10 UTC, and the page then said "answered" instead).
    year = datetime.now(UTC).year + 1
    with app.app_context():
        response = db.session.scalars(select(Response)).one()
        response.submitted_dt = datetime(year, 12, 1, 22, 10, 59, tzinfo=UTC)
        db.session.commit()
    page = " ".join(client.get(f"/s/{token}").get_data(as_text=True).split())
    # 24 hours to change it: until 2 December 22:10 UTC = 23:10 in Rome.
    assert f"fino al 2 dic {year}, 23:10." in page or f"fino a 2 dic {year}, 23:10" in page
