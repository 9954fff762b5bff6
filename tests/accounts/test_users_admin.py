"""``/users``: admins create users, change roles, deactivate, reset passwords."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from survey_app.accounts.models import User
from survey_app.accounts.services import verify_password
from survey_app.audit.models import AuditEvent
from survey_app.core.db import db
from tests.conftest import DEFAULT_PASSWORD, csrf_token
from tests.htmlforms import page_forms

NEW_USER = {"email": "New.Person@Example.com", "name": "New Person", "role": "support",
            "locale": "it", "password": "a fine passphrase", "confirm": "a fine passphrase"}


def get_user(app, user_id: int) -> User:
    with app.app_context():
        user = db.session.get(User, user_id)
        db.session.expunge(user)
        return user


def events(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        rows = db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()
        for row in rows:
            db.session.expunge(row)
        return rows


def post(client, url: str, data: dict, page: str = "/users"):
    """POST ``data`` to ``url`` with the CSRF token of ``page`` (the page that holds the form)."""
    token = csrf_token(client.get(page).get_data(as_text=True))
    return client.post(url, data={**data, "csrf_token": token})


def user_count(app) -> int:
    with app.app_context():
        return len(db.session.scalars(select(User)).all())


def sign_in_as(app, email: str):
    other = app.test_client()
    html = other.get("/login").get_data(as_text=True)
    response = other.post("/login", data={"email": email, "password": DEFAULT_PASSWORD,
                                          "csrf_token": csrf_token(html)})
    assert response.status_code == 303
    return other


def test_admin_lists_and_creates_users(app, client, login):
    admin_id = login(client, "admin")
    html = client.get("/users").get_data(as_text=True)
    assert "admin" in html and "New user" in html
    response = post(client, "/users", NEW_USER)
    assert response.status_code == 303 and response.headers["Location"] == "/users"
    page = client.get("/users").get_data(as_text=True)
    assert "User new.person@example.com created." in page
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "new.person@example.com"))
        assert (user.role, user.name, user.locale, user.is_active) == (
            "support", "New Person", "it", True)
        assert verify_password(user, "a fine passphrase")
    [event] = events(app, "user.create")
    assert (event.actor_id, event.details) == (admin_id, {"role": "support"})


@pytest.mark.parametrize(("changes", "message"), [
    ({"email": "not an email"}, "Invalid email address."),
    ({"password": "short", "confirm": "short"}, "Field must be between 10 and 256"),
    ({"confirm": "something else!"}, "The two passwords differ."),
    ({"role": "boss"}, "Not a valid choice."),
    ({"email": ""}, "This field is required."),
])
def test_create_refusals_store_nothing(app, client, login, changes, message):
    login(client, "admin")
    response = post(client, "/users", {**NEW_USER, **changes})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert user_count(app) == 1
    assert events(app, "user.create") == []


def test_create_refuses_a_taken_email(app, client, login, make_user):
    login(client, "admin")
    make_user("hr", email="new.person@example.com")
    response = post(client, "/users", NEW_USER)
    assert response.status_code == 422
    assert "A user with e-mail new.person@example.com already exists." in response.get_data(
        as_text=True)
    assert user_count(app) == 2


def test_role_change_is_audited_and_ends_the_users_sessions(app, client, login,
                                                            make_user):
    admin_id = login(client, "admin")
    user_id = make_user("support", email="sam@example.com")
    sam = sign_in_as(app, "sam@example.com")
    assert sam.get("/account/password").status_code == 200
    response = post(client, f"/users/{user_id}/role", {"role": "viewer"})
    assert response.status_code == 303
    user = get_user(app, user_id)
    assert (user.role, user.session_version) == ("viewer", 2)
    assert sam.get("/account/password").status_code == 302
    [event] = events(app, "user.role")
    assert (event.actor_id, event.target_type, event.target_id, event.details) == (
        admin_id, "user", user_id, {"old": "support", "new": "viewer"})


def test_deactivate_and_reactivate(app, client, login, make_user):
    login(client, "admin")
    user_id = make_user("hr", email="hana@example.com")
    hana = sign_in_as(app, "hana@example.com")
    assert post(client, f"/users/{user_id}/deactivate", {}).status_code == 303
    assert not get_user(app, user_id).is_active
    assert hana.get("/account/password").status_code == 302
    html = hana.get("/login").get_data(as_text=True)
    refused = hana.post("/login", data={"email": "hana@example.com",
                                        "password": DEFAULT_PASSWORD,
                                        "csrf_token": csrf_token(html)})
    assert refused.status_code == 422
    assert post(client, f"/users/{user_id}/reactivate", {}).status_code == 303
    assert get_user(app, user_id).is_active
    assert sign_in_as(app, "hana@example.com").get("/account/password").status_code == 200
    assert [e.action for e in events(app, "user.deactivate") + events(app, "user.reactivate")
            ] == ["user.deactivate", "user.reactivate"]


def test_reset_password(app, client, login, make_user):
    login(client, "admin")
    user_id = make_user("viewer", email="vera@example.com")
    vera = sign_in_as(app, "vera@example.com")
    response = post(client, f"/users/{user_id}/password",
               {"password": "reset by the admin", "confirm": "reset by the admin"})
    assert response.status_code == 303
    assert verify_password(get_user(app, user_id), "reset by the admin")
    assert vera.get("/account/password").status_code == 302
    assert len(events(app, "user.password_reset")) == 1
    assert "reset by the admin" not in str([e.details for e in events(app,
                                                                       "user.password_reset")])


def test_admin_cannot_demote_or_deactivate_themselves(app, client, login, make_user):
    admin_id = login(client, "admin")
    make_user("admin")  # another admin exists, so only the self-rule applies
    response = post(client, f"/users/{admin_id}/role", {"role": "viewer"})
    assert response.status_code == 422
    assert "You cannot change your own role" in response.get_data(as_text=True)
    response = post(client, f"/users/{admin_id}/deactivate", {})
    assert response.status_code == 422
    assert "You cannot deactivate yourself" in response.get_data(as_text=True)
    user = get_user(app, admin_id)
    assert (user.role, user.is_active, user.session_version) == ("admin", True, 1)
    assert client.get("/users").status_code == 200


def test_the_last_active_admin_stays(app_ctx, make_user):
    from survey_app.accounts import services

    only_admin = db.session.get(User, make_user("admin"))
    hr = db.session.get(User, make_user("hr"))
    with pytest.raises(services.LastAdminError):
        services.set_role(only_admin, "viewer", by=hr)
    with pytest.raises(services.LastAdminError):
        services.set_active(only_admin, False, by=hr)
    assert only_admin.role == "admin" and only_admin.is_active


def test_unknown_user_is_404(client, login):
    login(client, "admin")
    assert client.get("/users/999999").status_code == 404


@pytest.mark.parametrize("path", ["/users", "/users/{id}/role", "/users/{id}/deactivate",
                                  "/users/{id}/reactivate", "/users/{id}/password"])
def test_every_users_form_needs_a_csrf_token(app, client, login, make_user, path):
    login(client, "admin")
    user_id = make_user("viewer")
    data = {**NEW_USER, "role": "hr", "password": "x" * 12, "confirm": "x" * 12}
    assert client.post(path.format(id=user_id), data=data).status_code == 400
    user = get_user(app, user_id)
    assert (user.role, user.session_version, user.is_active) == ("viewer", 1, True)
    assert user_count(app) == 2


def test_new_accounts_start_with_the_least_privileged_role(client, login):
    """An admin who forgets the Role field must not hand out admin rights."""
    login(client, "admin")
    forms = page_forms(client.get("/users").get_data(as_text=True), "/users")
    roles = {form.action: dict(form.data())["role"] for form in forms
             if form.action in ("/users#new-user", "/users/invite#invite")}
    assert roles == {"/users#new-user": "viewer", "/users/invite#invite": "viewer"}


def test_roles_are_named_in_the_readers_language(client, login, make_user):
    make_user("support", email="agent@staff.example.com")
    login(client, "admin", locale="it")
    page = " ".join(client.get("/users").get_data(as_text=True).split())
    assert "<td>Supporto</td>" in page and "<td>support</td>" not in page
    assert '<span class="staff-role">Amministratore</span>' in page
