"""The audit log: what ``record`` keeps and refuses, and the admin page."""

from __future__ import annotations

import getpass

import pytest
from sqlalchemy import select

from survey_app.accounts.models import User
from survey_app.audit.models import AuditEvent
from survey_app.audit.services import record, record_cli, record_job
from survey_app.core.db import db
from survey_app.surveys.models import Survey


def test_record_keeps_who_what_target_details_and_flushes(app_ctx, make_user):
    actor = db.session.get(User, make_user("admin"))
    survey = Survey(id=41)
    event = record(actor, "responses.export", survey, rows=12, filters={"team": "Sales"})
    assert event.id is not None
    assert (event.actor_id, event.action, event.target_type, event.target_id) == (
        actor.id, "responses.export", "survey", 41)
    assert event.details == {"rows": 12, "filters": {"team": "Sales"}}
    assert event.ip is None  # not in a request
    other = record(None, "followup.assign", ("followup", 7))
    assert (other.actor_id, other.target_type, other.target_id) == (None, "followup", 7)


@pytest.mark.parametrize("key", ["password", "comment", "token", "person_id"])
def test_record_refuses_secrets_and_respondent_identities(app_ctx, key):
    with pytest.raises(ValueError, match="must not contain"):
        record(None, "x", **{key: "secret"})
    assert db.session.scalars(select(AuditEvent)).all() == []


def test_record_keeps_the_client_address_in_a_request(app, client, login):
    login(client, "admin", email="ip@example.com")
    with app.app_context():
        event = db.session.scalars(select(AuditEvent)).one()
        assert event.ip == "127.0.0.1"


def test_audit_page_filters_by_actor_and_action_and_pages(app, client, login, make_user):
    admin_id = login(client, "admin")
    other_id = make_user("hr", email="hr@example.com")
    with app.app_context():
        other = db.session.get(User, other_id)
        for n in range(55):
            record(other, "survey.edit", ("survey", n))
        record(None, "login.failed", email="x@example.com")
        db.session.commit()
    html = client.get("/audit").get_data(as_text=True)
    assert html.count("<tr>") == 1 + 50  # header + a full page
    assert "Older" in html
    page2 = client.get("/audit?page=2").get_data(as_text=True)
    assert page2.count("<tr>") == 1 + 7 and "Newer" in page2
    only_admin = client.get(f"/audit?actor={admin_id}").get_data(as_text=True)
    assert only_admin.count("<code>login</code>") == 1 and "survey.edit" not in only_admin.split(
        "<tbody>")[1]
    failed = client.get("/audit?action=login.failed").get_data(as_text=True)
    assert "x@example.com" in failed and failed.count("<tr>") == 2
    for junk in ("/audit?page=-1", "/audit?actor=abc", "/audit?page=99999999999999"):
        assert client.get(junk).status_code == 200


def test_audit_page_names_the_command_line_and_its_os_user(app, client, login):
    login(client, "admin")
    with app.app_context():
        record_cli("survey.create", ("survey", 7), kind="nps")
        db.session.commit()
    html = client.get("/audit").get_data(as_text=True)
    assert f"command line ({getpass.getuser()})" in html
    italian = client.get("/audit?lang=it").get_data(as_text=True)
    assert f"riga di comando ({getpass.getuser()})" in italian


def test_audit_page_names_scheduled_jobs(app, client, login):
    login(client, "admin")
    with app.app_context():
        record_job("responses.anonymised", ("survey", 7), count=3)
        db.session.commit()
    assert "scheduled job" in client.get("/audit").get_data(as_text=True)
    assert "attività pianificata" in client.get("/audit?lang=it").get_data(as_text=True)
