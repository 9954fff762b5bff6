"""The health light on the pages and in ``polso people health``; the one-step cases."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import func, select

from survey_app.audit.models import AuditEvent
from survey_app.core.db import db
from survey_app.followups.models import FollowUp
from survey_app.people.models import Person


@pytest.fixture
def customers(app, make_survey, make_link, submit):
    """red@ (detractor), yellow@ (passive), green@ (promoter), silent@ (no answer, no
    facts: green) and an employee who answered an eNPS 0 (never shown)."""
    nps, enps = make_survey("nps"), make_survey("enps")
    for email, score in (("red@example.com", 2), ("yellow@example.com", 7),
                         ("green@example.com", 10)):
        token = make_link(nps, email=email)
        assert submit(f"/s/{token}", {"score": str(score)}).status_code == 303
    make_link(nps, email="silent@example.com")
    token = make_link(enps, email="staff@example.com")
    assert submit(f"/s/{token}", {"score": "0"}).status_code == 303
    with app.app_context():
        return {p.email: p.id for p in db.session.scalars(select(Person))}


def test_people_list_shows_lights_counts_and_filters(client, login, customers):
    login(client, "admin")
    html = client.get("/people").get_data(as_text=True)
    assert "Red: 1" in html and "Yellow: 1" in html and "Green: 2" in html
    assert "Detractor in the last answer (score 2)." in html
    red = client.get("/people?light=red").get_data(as_text=True)
    assert "red@example.com" in red and "green@example.com" not in red
    assert "staff@example.com" not in red
    green = client.get("/people?light=green").get_data(as_text=True)
    assert "silent@example.com" in green and "staff@example.com" not in green
    everyone = client.get("/people").get_data(as_text=True)
    assert "staff@example.com" in everyone  # listed, but without a light


def test_bad_light_filter_is_ignored_not_an_error(client, login, customers):
    login(client, "admin")
    answer = client.get("/people?light=purple")
    assert answer.status_code == 200 and "red@example.com" in answer.get_data(as_text=True)


def test_hr_sees_no_lights(client, login, customers):
    login(client, "hr")
    html = client.get("/people?light=red").get_data(as_text=True)
    assert "Red:" not in html and "staff@example.com" in html


def test_person_and_case_pages_say_why(client, login, customers, app):
    login(client, "admin")
    html = client.get(f"/people/{customers['red@example.com']}").get_data(as_text=True)
    assert 'badge-red' in html and "Detractor in the last answer (score 2)." in html
    staff = client.get(f"/people/{customers['staff@example.com']}").get_data(as_text=True)
    assert 'id="health-title"' not in staff
    with app.app_context():
        case_id = db.session.scalar(select(FollowUp.id).where(
            FollowUp.person_id == customers["red@example.com"]))
    case = client.get(f"/followups/{case_id}").get_data(as_text=True)
    assert 'id="health-title"' in case and "A red case is open." in case


def test_italian_reasons(client, login, customers):
    login(client, "admin")
    html = client.get(f"/people/{customers['yellow@example.com']}?lang=it").get_data(
        as_text=True)
    assert "Passivo nell&#39;ultima risposta (voto 7)." in html or \
        "Passivo nell'ultima risposta (voto 7)." in html


def test_one_step_cases_for_red_customers(app, client, login, customers):
    with app.app_context():  # the detractor's case was closed: red, without an open case
        db.session.execute(FollowUp.__table__.update().values(status="closed"))
        db.session.commit()
    login(client, "admin")
    page = client.get("/people/health").get_data(as_text=True)
    assert "1 red customer has no open case." in page
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    done = client.post("/people/health/cases", data={"csrf_token": token})
    assert done.status_code == 303
    with app.app_context():
        case = db.session.scalars(select(FollowUp).where(
            FollowUp.person_id == customers["red@example.com"])).one()
        assert (case.status, case.priority) == ("new", "red")
        notes = [e.body for e in case.events if e.kind == "note"]
        assert notes == ["Health light red: Detractor in the last answer (score 2)."]
        assert db.session.scalar(select(func.count()).where(
            AuditEvent.action == "health.cases_opened")) == 1
    again = client.get("/people/health").get_data(as_text=True)
    assert "Every red customer has an open case." in again


def test_one_step_needs_admin_and_csrf(app, client, login, customers):
    login(client, "support")
    assert client.post("/people/health/cases", data={}).status_code in (400, 403)
    assert client.get("/people/health").status_code == 403


def test_health_command_lists_customers_only(app, customers):
    runner = app.test_cli_runner()
    output = runner.invoke(args=["people", "health", "--json"])
    assert output.exit_code == 0, output.output
    items = json.loads(output.output)
    assert [i["email"] for i in items] == ["green@example.com", "red@example.com",
                                           "silent@example.com", "yellow@example.com"]
    assert {i["email"]: i["light"] for i in items}["red@example.com"] == "red"
    assert items[1]["reasons"] == ["Detractor in the last answer (score 2).",
                                   "A red case is open."]
    text = runner.invoke(args=["people", "health", "--light", "yellow"]).output
    assert text.strip() == "yellow@example.com\tyellow\tPassive in the last answer (score 7)."
    bad = runner.invoke(args=["people", "health", "--light", "blue"])
    assert bad.exit_code == 2


def test_health_command_opens_cases(app, customers):
    with app.app_context():
        db.session.execute(FollowUp.__table__.update().values(status="closed"))
        db.session.commit()
    output = app.test_cli_runner().invoke(args=["people", "health", "--open-cases",
                                                "--light", "red"])
    assert output.exit_code == 0, output.output
    assert "1 cases opened" in output.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(
            AuditEvent.action == "health.cases_opened")) == 1
