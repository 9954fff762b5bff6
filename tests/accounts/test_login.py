"""Signing in and out over the test client: messages, rate limits, next=, sessions ending."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from survey_app.accounts import services
from survey_app.accounts.models import User
from survey_app.audit.models import AuditEvent
from survey_app.core.db import db
from tests.conftest import DEFAULT_PASSWORD, csrf_token


def post_login(client, email: str, password: str = DEFAULT_PASSWORD, next: str = "",
               **kwargs):
    token = csrf_token(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"email": email, "password": password, "next": next,
                                       "csrf_token": token}, **kwargs)


def email_of(app, user_id: int) -> str:
    with app.app_context():
        return db.session.get(User, user_id).email


def audit_actions(app) -> list[tuple[str, int | None, dict]]:
    with app.app_context():
        rows = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
        return [(r.action, r.actor_id, r.details) for r in rows]


def without_token(html: str) -> str:
    return re.sub(r'value="[^"]*"', 'value=""', html)


def test_login_page_is_a_plain_form(client):
    response = client.get("/login")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'name="email"' in html and 'type="password"' in html and 'name="csrf_token"' in html
    assert "<script" not in html and "style=" not in html


def test_correct_password_signs_in_and_is_audited(app, client, make_user):
    user_id = make_user("hr", email="Ann@Example.com")
    response = post_login(client, "ANN@example.com ")
    assert response.status_code == 303
    assert client.get("/account/password").status_code == 200
    with app.app_context():
        assert db.session.get(User, user_id).last_login_dt is not None
    assert audit_actions(app) == [("login", user_id, {})]


def test_unknown_email_and_wrong_password_look_the_same(app, client, make_user):
    make_user("admin", email="known@example.com")
    unknown = post_login(client, "nobody@example.com", "whatever-password")
    wrong = post_login(client, "known@example.com", "wrong-password-1")
    assert unknown.status_code == wrong.status_code == 422
    unknown_html, wrong_html = unknown.get_data(as_text=True), wrong.get_data(as_text=True)
    assert "The e-mail or the password is not correct." in unknown_html
    assert without_token(unknown_html).replace("nobody@", "X@") == without_token(
        wrong_html).replace("known@", "X@")
    assert client.get("/account/password").status_code == 302
    events = audit_actions(app)
    assert [e[:2] for e in events] == [("login.failed", None), ("login.failed", None)]
    assert events[0][2] == {"email": "nobody@example.com"}
    assert "password" not in str(events)


def test_a_password_typed_in_the_email_box_is_not_logged(app, client):
    post_login(client, "my secret pass", "x")
    assert audit_actions(app)[0][2] == {"email": "(not an e-mail)"}


def test_deactivated_user_gets_the_same_message(client, make_user):
    make_user("admin", email="gone@example.com", is_active=False)
    response = post_login(client, "gone@example.com")
    assert response.status_code == 422
    assert "The e-mail or the password is not correct." in response.get_data(as_text=True)


def test_empty_form_says_what_is_missing(client):
    response = post_login(client, "", "")
    assert response.status_code == 422
    assert "This field is required." in response.get_data(as_text=True)


def test_login_is_rate_limited_per_address(client, make_user):
    for i in range(10):
        assert post_login(client, f"user{i}@example.com", "bad-password").status_code == 422
    response = post_login(client, "someone.else@example.com", "bad-password")
    assert response.status_code == 429
    assert "Too many requests" in response.get_data(as_text=True)


@pytest.mark.parametrize("target", [
    "//evil.example", "https://evil.example", "/\\evil.example", "\\\\evil.example",
    "http:evil.example", "/\r\nLocation: https://evil.example", "/\t/evil.example",
    "javascript:alert(1)", "evil.example", "///evil.example",
])
def test_unsafe_next_is_refused(client, make_user, target):
    make_user("admin", email="a@example.com")
    response = post_login(client, "a@example.com", next=target)
    assert response.status_code == 303
    location = response.headers["Location"]
    assert "evil" not in location and location.startswith("/") and not location.startswith("//")


def test_safe_next_is_followed(client, make_user):
    make_user("admin", email="a@example.com")
    response = post_login(client, "a@example.com", next="/audit?action=login")
    assert response.headers["Location"] == "/audit?action=login"


def test_staff_page_sends_anonymous_visitors_to_login_with_next(client):
    response = client.get("/audit?action=login")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/audit?action%3Dlogin"
    login_page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'name="next" type="hidden" value="/audit?action=login"' in login_page


def test_login_clears_the_previous_session(client, make_user):
    make_user("admin", email="a@example.com")
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    post_login(client, "a@example.com")
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["_user_id"].endswith(":1")


def test_logout_ends_the_session_even_if_the_old_cookie_is_replayed(app, client, login):
    user_id = login(client, "admin")
    old_cookie = client.get_cookie("polso_session").value
    html = client.get("/account/password").get_data(as_text=True)
    response = client.post("/logout", data={"csrf_token": csrf_token(html)})
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    client.set_cookie("polso_session", old_cookie)
    assert client.get("/account/password").status_code == 302
    assert ("logout", user_id, {}) in audit_actions(app)


def test_logout_needs_a_csrf_token(client, login):
    login(client, "admin")
    assert client.post("/logout").status_code == 400
    assert client.get("/account/password").status_code == 200


def test_login_needs_a_csrf_token(client, make_user):
    make_user("admin", email="a@example.com")
    response = client.post("/login", data={"email": "a@example.com", "password": DEFAULT_PASSWORD})
    assert response.status_code == 400
    assert client.get("/account/password").status_code == 302


def change_password_form(client, current: str, new: str, confirm: str | None = None):
    token = csrf_token(client.get("/account/password").get_data(as_text=True))
    return client.post("/account/password", data={
        "current": current, "new": new, "confirm": new if confirm is None else confirm,
        "csrf_token": token})


def test_password_change_keeps_this_session_and_ends_the_others(app, client, make_user):
    user_id = make_user("support", email="s@example.com")
    other = app.test_client()
    post_login(client, "s@example.com")
    post_login(other, "s@example.com")
    response = change_password_form(client, DEFAULT_PASSWORD, "a brand new passphrase")
    assert response.status_code == 303
    assert client.get("/account/password").status_code == 200
    assert other.get("/account/password").status_code == 302
    assert post_login(other, "s@example.com").status_code == 422
    assert post_login(other, "s@example.com", "a brand new passphrase").status_code == 303
    assert ("password.change", user_id, {}) in audit_actions(app)


@pytest.mark.parametrize(("current", "new", "confirm", "message"), [
    ("wrong password!", "a brand new passphrase", None, "The current password is not correct."),
    (DEFAULT_PASSWORD, "short", None, "Field must be between 10 and 256 characters long."),
    (DEFAULT_PASSWORD, "a brand new passphrase", "another one!!", "The two new passwords differ."),
])
def test_password_change_refusals_change_nothing(app, client, login, current, new, confirm,
                                                 message):
    user_id = login(client, "viewer")
    with app.app_context():
        before = db.session.get(User, user_id).password_hash
    response = change_password_form(client, current, new, confirm)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user.password_hash == before and user.session_version == 1
    assert client.get("/account/password").status_code == 200


@pytest.mark.parametrize("change", ["role", "deactivate", "reset_password"])
def test_admin_changes_end_the_users_sessions_at_once(app, client, login, make_user, change):
    user_id = login(client, "support")
    assert client.get("/account/password").status_code == 200
    admin_id = make_user("admin")
    with app.app_context():
        user, admin = db.session.get(User, user_id), db.session.get(User, admin_id)
        if change == "role":
            services.set_role(user, "viewer", by=admin)
        elif change == "deactivate":
            services.set_active(user, False, by=admin)
        else:
            services.set_password(user, "an admin-chosen password")
        db.session.commit()
    assert client.get("/account/password").status_code == 302


def test_language_switch_is_remembered(app, client, login):
    user_id = login(client, "admin")
    html = client.get("/audit").get_data(as_text=True)
    assert '<html lang="en">' in html
    response = client.post("/account/language", data={
        "locale": "it", "next": "/audit", "csrf_token": csrf_token(html)})
    assert response.status_code == 303 and response.headers["Location"] == "/audit"
    italian = client.get("/audit").get_data(as_text=True)
    assert '<html lang="it">' in italian and "Registro di audit" in italian
    assert ">Esci</button>" in italian
    assert '<html lang="en">' in client.get("/audit?lang=en").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, user_id).locale == "it"


def test_password_change_needs_a_csrf_token(app, client, login):
    user_id = login(client, "admin")
    response = client.post("/account/password", data={
        "current": "correct horse battery", "new": "a brand new passphrase",
        "confirm": "a brand new passphrase"})
    assert response.status_code == 400
    with app.app_context():
        assert db.session.get(User, user_id).session_version == 1


def test_language_switch_needs_a_csrf_token(client, login):
    login(client, "admin")
    assert client.post("/account/language", data={"locale": "it"}).status_code == 400


def test_home_sends_visitors_to_login(client):
    assert client.get("/").headers["Location"] == "/login"
