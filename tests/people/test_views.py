"""People pages: roles, import with line-numbered errors, filters, edit, erase."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from survey_app.core.db import db
from survey_app.people.models import Person
from survey_app.people.services import get_or_create_person
from tests.conftest import csrf_token


def _people(app, *emails_kinds):
    with app.app_context():
        ids = [get_or_create_person(email, kind=kind, name=email.split("@")[0].title(),
                                    attributes={"team": "Support"}).id
               for email, kind in emails_kinds]
        db.session.commit()
        return ids


def _upload(client, text: str | bytes, name="people.csv"):
    token = csrf_token(client.get("/people/import").get_data(as_text=True))
    data = text.encode() if isinstance(text, str) else text
    return client.post("/people/import", data={"csrf_token": token,
                                               "file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


@pytest.mark.parametrize("role", ["support", "viewer"])
def test_people_pages_are_for_admin_and_hr_only(client, login, role):
    login(client, role)
    assert client.get("/people").status_code == 403
    assert client.get("/people/import").status_code == 403


def test_anonymous_visitor_is_sent_to_login(client):
    response = client.get("/people")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_import_page_reports_bad_rows_by_line_and_imports_the_rest(app, client, login):
    login(client, "admin")
    response = _upload(client, "email,name,team\nann@example.com,Ann,Support\n"
                               "nope,Bob,Sales\nann@example.com,Ann,Sales\n")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "3 rows read: 1 new, 0 updated, 0 unchanged, 2 refused." in html
    assert "<td class=\"num\">3</td><td>email: &#39;nope&#39; is not a valid" in html
    assert "<td class=\"num\">4</td><td>duplicate: ann@example.com is already on line 2" in html
    with app.app_context():
        assert db.session.scalars(select(Person.email)).all() == ["ann@example.com"]


@pytest.mark.parametrize(("content", "message"), [
    (b"", "Choose a CSV file."),
    (b"name\nAnn\n", "no &#34;email&#34; column"),
    ("email\nb\xe9@example.com\n".encode("latin-1"), "line 2: the file is not UTF-8"),
])
def test_unreadable_upload_is_422_with_a_message(app, client, login, content, message):
    login(client, "admin")
    if content:
        response = _upload(client, content)
    else:
        token = csrf_token(client.get("/people/import").get_data(as_text=True))
        response = client.post("/people/import", data={"csrf_token": token},
                               content_type="multipart/form-data")
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Person)) == 0


def test_hr_sees_and_imports_employees_only(app, client, login):
    customer, employee = _people(app, ("cus@example.com", "customer"),
                                 ("emp@example.com", "employee"))
    login(client, "hr")
    html = client.get("/people").get_data(as_text=True)
    assert "emp@example.com" in html and "cus@example.com" not in html
    assert client.get(f"/people/{customer}").status_code == 404
    assert client.get(f"/people/{employee}").status_code == 200
    html = _upload(client, "email,kind\nnew@example.com,customer\nok@example.com,\n"
                   ).get_data(as_text=True)
    assert "you may import only employee people" in html
    with app.app_context():
        assert db.session.scalar(select(Person.kind).where(Person.email == "ok@example.com")) == (
            "employee")


def test_filters(app, client, login):
    _people(app, ("ann@example.com", "customer"), ("bob@example.com", "customer"))
    with app.app_context():
        db.session.scalar(select(Person).where(Person.email == "bob@example.com")).attributes = {
            "team": "Sales"}
        db.session.commit()
    login(client, "admin")
    html = client.get("/people?q=ANN").get_data(as_text=True)
    assert "ann@example.com" in html and "bob@example.com" not in html
    html = client.get("/people?where=team%3DSales").get_data(as_text=True)
    assert "bob@example.com" in html and "ann@example.com" not in html
    assert client.get("/people?q=%25_").status_code == 200  # LIKE wildcards are plain text
    assert "Nobody matches" in client.get("/people?q=%25_").get_data(as_text=True)


def test_edit_and_bad_attributes(app, client, login):
    [person_id] = _people(app, ("ann@example.com", "customer"))
    login(client, "admin")
    url = f"/people/{person_id}"
    token = csrf_token(client.get(url).get_data(as_text=True))
    bad = client.post(url, data={"csrf_token": token, "name": "Ann", "kind": "customer",
                                 "locale": "it", "attributes": "team Support"})
    assert bad.status_code == 422 and "Line 1: write name=value" in bad.get_data(as_text=True)
    good = client.post(url, data={"csrf_token": token, "name": "Ann R", "kind": "customer",
                                  "locale": "it", "attributes": "team=Sales\nplan=pro",
                                  "unsubscribe": "y"})
    assert good.status_code == 303
    with app.app_context():
        person = db.session.get(Person, person_id)
        assert (person.name, person.locale, person.attributes) == (
            "Ann R", "it", {"team": "Sales", "plan": "pro"})
        assert person.unsubscribed_dt is not None


def test_erase_needs_the_confirmation_box(app, client, login):
    [person_id] = _people(app, ("ann@example.com", "customer"))
    login(client, "admin")
    token = csrf_token(client.get(f"/people/{person_id}").get_data(as_text=True))
    refused = client.post(f"/people/{person_id}/erase", data={"csrf_token": token})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "Tick the box" in html
    # The person's form beside it is as stored: attributes as lines a Save keeps, not a dict.
    assert "\nteam=Support</textarea>" in html and "{&#39;team&#39;" not in html
    done = client.post(f"/people/{person_id}/erase", data={"csrf_token": token, "confirm": "y"})
    assert done.status_code == 303
    with app.app_context():
        assert db.session.get(Person, person_id) is None
    assert client.get(f"/people/{person_id}").status_code == 404
