"""Staff invitations and password resets by e-mail: a real SMTP server, signed single-use links
that expire, the same answer whether an e-mail has an account or not, ``polso users create
--invite``."""

from __future__ import annotations

import http.cookiejar
import re
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from sqlalchemy import select

from survey_app.accounts.models import User
from survey_app.accounts.services import _dummy_hash, verify_password
from survey_app.audit.models import AuditEvent
from survey_app.core.db import db
from tests.accounts.test_login import post_login
from tests.conftest import CSRF_PATTERN, DEFAULT_PASSWORD, csrf_token

LINK = re.compile(r"http://polso\.test(/password/set/[A-Za-z0-9_.-]+)")
NEW_PASSWORD = "a brand new passphrase"


def link_in(message) -> str:
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    [path] = set(LINK.findall(text))
    assert path in html
    return path


def user_by_email(app, email: str) -> User | None:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        if user is not None:
            db.session.expunge(user)
        return user


def actions(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def invite(client, email: str, role: str = "support", locale: str = "en"):
    token = csrf_token(client.get("/users").get_data(as_text=True))
    return client.post("/users/invite", data={"email": email, "role": role, "name": "",
                                              "locale": locale, "csrf_token": token})


def choose_password(client, path: str, password: str = NEW_PASSWORD, confirm: str | None = None):
    page = client.get(path)
    assert page.status_code == 200, page.get_data(as_text=True)[:300]
    return client.post(path, data={"password": password, "confirm": confirm or password,
                                   "csrf_token": csrf_token(page.get_data(as_text=True))})


def forgot(client, email: str):
    token = csrf_token(client.get("/password/forgot").get_data(as_text=True))
    return client.post("/password/forgot", data={"email": email, "csrf_token": token})


# --- invitations --------------------------------------------------------------------------


def test_an_invitation_is_emailed_and_its_link_sets_the_password_once(app, client, login,
                                                                      smtp_server):
    login(client, "admin")
    response = invite(client, "New.Agent@Example.com", "support", locale="it")
    assert response.status_code == 303
    users_page = client.get("/users").get_data(as_text=True)
    assert "Invitation e-mailed to new.agent@example.com." in users_page
    pending = users_page.split('id="invited"')[1].split('id="invite"')[0]
    assert "new.agent@example.com" in pending and "Send again" in pending
    invited = user_by_email(app, "new.agent@example.com")
    assert invited.is_invited and not invited.is_active
    # Nobody can sign in to an invited account, not even with the dummy password.
    assert post_login(app.test_client(), "new.agent@example.com",
                      "polso-dummy-password-for-unknown-emails").status_code == 422

    [message] = smtp_server.to("new.agent@example.com")
    assert message["Subject"] == "Sei invitato su Polso"
    path = link_in(message)
    visitor = app.test_client()
    assert "Benvenuto in Polso" in visitor.get(path).get_data(as_text=True)
    short = choose_password(visitor, path, "short")
    assert short.status_code == 422 and user_by_email(app, "new.agent@example.com").is_invited
    done = choose_password(visitor, path)
    assert done.status_code == 303 and done.headers["Location"] == "/login"
    user = user_by_email(app, "new.agent@example.com")
    assert user.is_active and verify_password(user, NEW_PASSWORD)
    assert post_login(app.test_client(), "new.agent@example.com",
                      NEW_PASSWORD).status_code == 303
    again = visitor.get(path)
    assert again.status_code == 410
    assert "This link has expired or has already been used." in again.get_data(as_text=True)
    token = csrf_token(visitor.get("/login").get_data(as_text=True))
    assert visitor.post(path, data={"password": "another passphrase!", "csrf_token": token,
                                    "confirm": "another passphrase!"}).status_code == 410
    assert "new.agent@example.com" not in client.get("/users").get_data(as_text=True).split(
        'id="invited"')[1].split('id="invite"')[0]
    assert {"user.invite", "invitation.accept"} <= set(actions(app))


def test_sending_again_replaces_the_link_and_cancelling_ends_it(app, client, login, smtp_server):
    login(client, "admin")
    invite(client, "twice@example.com")
    [first] = smtp_server.to("twice@example.com")
    user_id = user_by_email(app, "twice@example.com").id
    token = csrf_token(client.get("/users").get_data(as_text=True))
    assert client.post(f"/users/{user_id}/invite",
                       data={"csrf_token": token}).status_code == 303
    second = smtp_server.to("twice@example.com")[1]
    assert app.test_client().get(link_in(first)).status_code == 410
    assert app.test_client().get(link_in(second)).status_code == 200
    assert client.post(f"/users/{user_id}/cancel-invitation",
                       data={"csrf_token": token}).status_code == 303
    assert user_by_email(app, "twice@example.com") is None
    assert app.test_client().get(link_in(second)).status_code == 410
    assert actions(app)[-2:] == ["user.reinvite", "user.invite_cancel"]


def test_an_invitation_expires(app, client, login, smtp_server):
    login(client, "admin")
    app.config["INVITATION_LIFETIME_HOURS"] = 0
    try:
        invite(client, "late@example.com")
        time.sleep(1.1)
        assert app.test_client().get(link_in(smtp_server.messages[0])).status_code == 410
    finally:
        app.config["INVITATION_LIFETIME_HOURS"] = 72


def test_bad_invitations_are_refused_with_a_message(app, client, login, make_user, smtp_server):
    login(client, "admin")
    make_user("hr", email="taken@example.com")
    taken = invite(client, "taken@example.com")
    assert taken.status_code == 422
    assert "A user with e-mail taken@example.com already exists." in taken.get_data(as_text=True)
    assert invite(client, "not-an-email").status_code == 422
    assert invite(client, "x@example.com", role="boss").status_code == 422
    assert smtp_server.messages == []
    member = make_user("viewer")
    token = csrf_token(client.get("/users").get_data(as_text=True))
    refused = client.post(f"/users/{member}/invite", data={"csrf_token": token})
    assert refused.status_code == 422


@pytest.mark.parametrize("token, status", [
    ("nonsense", 410), ("a" * 5000, 410), ("eyJ1Ijo.x.y", 410),
    ("%00", 404),  # a control character in any path is refused before routing (core.inputs)
])
def test_forged_links_are_refused(client, token, status):
    response = client.get(f"/password/set/{token}")
    assert response.status_code == status


def test_cli_can_invite_instead_of_asking_a_password(app, smtp_server):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create", "--email", "Cli@Example.com", "--role",
                                 "hr", "--invite"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert result.output == "Invited hr user cli@example.com: e-mail sent, link valid 72 hours.\n"
    [message] = smtp_server.to("cli@example.com")
    assert choose_password(app.test_client(), link_in(message)).status_code == 303
    both = runner.invoke(args=["users", "create", "--email", "b@example.com", "--role", "hr",
                               "--invite"], env={"POLSO_USER_PASSWORD": "x" * 12})
    assert both.exit_code == 2 and "unset POLSO_USER_PASSWORD" in both.output


# --- password reset -------------------------------------------------------------------------


def test_forgot_password_answers_alike_for_known_and_unknown_emails(app, client, make_user,
                                                                    smtp_server):
    make_user("admin", email="known@example.com")
    make_user("admin", email="gone@example.com", is_active=False)
    answers = [forgot(app.test_client(), email)
               for email in ("known@example.com", "nobody@example.com", "gone@example.com")]
    assert {(r.status_code, r.headers["Location"]) for r in answers} == {(303, "/login")}
    flashes = []
    for email in ("known@example.com", "nobody@example.com"):
        visitor = app.test_client()
        forgot(visitor, email)
        flashes.append(visitor.get("/login").get_data(as_text=True).replace(email, "E"))
    assert CSRF_PATTERN.sub("", flashes[0]) == CSRF_PATTERN.sub("", flashes[1])
    assert "a link to choose a new password is on its way" in flashes[0]
    assert [m["To"] for m in smtp_server.messages] == ["known@example.com"] * 2


def test_a_reset_link_ends_sessions_and_works_once(app, client, login, smtp_server):
    user_id = login(client, "hr", email="me@example.com")
    forgot(app.test_client(), "me@example.com")
    [message] = smtp_server.to("me@example.com")
    assert message["Subject"] == "Set a new Polso password"
    path = link_in(message)
    assert choose_password(app.test_client(), path).status_code == 303
    assert client.get("/account/password").status_code == 302  # the old session has ended
    assert app.test_client().get(path).status_code == 410
    assert post_login(app.test_client(), "me@example.com", DEFAULT_PASSWORD).status_code == 422
    assert post_login(app.test_client(), "me@example.com", NEW_PASSWORD).status_code == 303
    with app.app_context():
        assert db.session.get(User, user_id).password_hash != _dummy_hash()
    assert {"password.reset_requested", "password.reset"} <= set(actions(app))


def test_a_reset_link_expires(app, make_user, smtp_server):
    make_user("admin", email="slow@example.com")
    app.config["PASSWORD_RESET_LIFETIME_MINUTES"] = 0
    try:
        forgot(app.test_client(), "slow@example.com")
        time.sleep(1.1)
        assert app.test_client().get(link_in(smtp_server.messages[0])).status_code == 410
    finally:
        app.config["PASSWORD_RESET_LIFETIME_MINUTES"] = 60


def test_reset_e_mails_are_limited_per_email(app, make_user, smtp_server):
    make_user("admin", email="spam@example.com")
    for _ in range(3):
        assert forgot(app.test_client(), "spam@example.com").status_code == 303
    assert forgot(app.test_client(), "Spam@Example.com").status_code == 429
    assert forgot(app.test_client(), "nobody-else@example.com").status_code == 303
    assert len(smtp_server.to("spam@example.com")) == 3


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


@pytest.mark.live
def test_the_emailed_reset_link_works_over_real_http(app, live_server, make_user, smtp_server):
    make_user("support", email="http@example.com")
    app.config["BASE_URL"] = live_server.url
    try:
        jar = http.cookiejar.CookieJar()
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar),
                                              _NoRedirect())

        def send(path: str, fields: dict) -> tuple[int, str | None]:
            """GET the form, POST ``fields`` with its CSRF token: (status, Location)."""
            with browser.open(live_server.url + path) as page:
                html = page.read().decode()
            body = urllib.parse.urlencode({**fields, "csrf_token": csrf_token(html)}).encode()
            try:
                answer = browser.open(live_server.url + path, body)
            except urllib.error.HTTPError as error:
                answer = error
            with answer:
                return answer.status, answer.headers["Location"]

        assert send("/password/forgot", {"email": "http@example.com"})[0] == 303
        [message] = smtp_server.to("http@example.com")
        url = re.search(r"http://127\.0\.0\.1:\d+/password/set/\S+",
                        message.get_body(("plain",)).get_content()).group(0)
        path = url.removeprefix(live_server.url)
        assert send(path, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}) == (303, "/login")
        with pytest.raises(urllib.error.HTTPError) as used:
            browser.open(url)
        used.value.close()
        assert used.value.code == 410
        assert send("/login", {"email": "http@example.com", "password": NEW_PASSWORD})[0] == 303
    finally:
        app.config["BASE_URL"] = "http://polso.test"
