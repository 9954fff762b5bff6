"""Refusals: a page the role may not open explains itself in the staff layout (403); objects out
of scope stay 404; authorization and CSRF refusals reach the security log and the audit log."""

from __future__ import annotations

import logging

from sqlalchemy import select

from survey_app.audit.models import AuditEvent
from survey_app.core.db import db
from tests.conftest import csrf_token


def audit_rows(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        rows = db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()
        db.session.expunge_all()
        return list(rows)


def test_a_page_the_role_may_not_open_keeps_the_staff_layout(app, client, login, caplog):
    caplog.set_level(logging.WARNING, logger="survey_app.security")
    hr_id = login(client, "hr")
    response = client.get("/users?page=2")
    html = response.get_data(as_text=True)
    assert response.status_code == 403
    assert 'class="staff-nav"' in html and "Sign out" in html
    assert "Not available for your role" in html
    assert "This page is for Admin users; you are signed in as HR." in html
    [event] = audit_rows(app, "access.denied")
    assert (event.actor_id, event.details) == (hr_id, {"method": "GET", "path": "/users",
                                                       "role": "hr"})
    assert "access.denied: GET /users by user" in caplog.text


def test_the_explanation_is_in_the_users_language(client, login):
    login(client, "viewer", locale="it")
    html = client.get("/audit").get_data(as_text=True)
    assert "Non disponibile per il tuo ruolo" in html
    # Role names as the role field and the header badge give them, not the stored codes.
    assert "per gli utenti Amministratore; hai effettuato l’accesso come Lettore" in html


def test_an_object_outside_scope_stays_404_and_is_audited(app, client, login, make_survey):
    survey_id = make_survey("pulse", title="Secret pulse")
    support_id = login(client, "support")
    response = client.get(f"/surveys/{survey_id}")
    assert response.status_code == 404
    assert "Secret pulse" not in response.get_data(as_text=True)
    [event] = audit_rows(app, "access.denied")
    assert (event.actor_id, event.target_type, event.target_id) == (support_id, "survey",
                                                                    survey_id)


def test_a_csrf_refusal_of_a_staff_user_is_audited(app, client, login):
    admin_id = login(client, "admin")
    response = client.post("/users", data={"email": "x@example.com", "role": "viewer",
                                           "csrf_token": "forged"})
    assert response.status_code == 400
    [event] = audit_rows(app, "csrf.refused")
    assert event.actor_id == admin_id and event.details["path"] == "/users"
    assert event.ip == "127.0.0.1"
    assert audit_rows(app, "user.create") == []


def test_an_anonymous_csrf_refusal_is_logged_not_audited(app, client, caplog):
    caplog.set_level(logging.WARNING, logger="survey_app.security")
    client.get("/login")
    response = client.post("/login", data={"email": "a@example.com", "password": "x",
                                           "csrf_token": "forged"})
    assert response.status_code == 400
    assert "csrf.refused: POST /login by user None from 127.0.0.1" in caplog.text
    assert audit_rows(app, "csrf.refused") == []


def test_a_good_token_is_still_accepted(client, login):
    login(client, "admin")
    token = csrf_token(client.get("/users").get_data(as_text=True))
    response = client.post("/account/language", data={"locale": "en", "csrf_token": token})
    assert response.status_code == 303
