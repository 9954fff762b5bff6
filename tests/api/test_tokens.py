"""API tokens: the /settings/tokens page, ``polso tokens …`` and the service rules."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from survey_app.accounts import api_tokens
from survey_app.accounts.models import ApiToken
from survey_app.audit.models import AuditEvent
from survey_app.core.db import db
from survey_app.core.tokens import hash_api_token
from tests.conftest import csrf_token

SECRET = re.compile(r"polso_[A-Za-z0-9_-]{22}")
PING = "/api/v1/surveys/nowhere/invitations"


def _token_works(api, secret: str) -> bool:
    """A token that authenticates gets past 401 (here: 404, the survey does not exist)."""
    status = api.post(PING, secret, json={"person": {"email": "a@example.com"}}).status_code
    return status != 401


@pytest.fixture
def polso(app):
    runner = app.test_cli_runner()

    def run(*args: str):
        return runner.invoke(args=list(args), catch_exceptions=False)

    return run


# --- the page -----------------------------------------------------------------------------------


def test_an_admin_creates_a_token_shown_once_and_revokes_it(app, client, login, api):
    admin_id = login(client, "admin")
    page = client.get("/settings/tokens")
    assert page.status_code == 200 and "no-store" in page.headers["Cache-Control"]
    created = client.post("/settings/tokens", data={
        "name": "helpdesk", "role": "support", "csrf_token": csrf_token(page.text)})
    assert created.status_code == 200
    [secret] = SECRET.findall(created.text)
    assert "no-store" in created.headers["Cache-Control"]
    assert secret not in client.get("/settings/tokens").text  # never shown again
    assert _token_works(api, secret)
    with app.app_context():
        token = db.session.scalar(select(ApiToken))
        assert token.token_hash == hash_api_token(secret) and secret not in repr(token.__dict__)
        assert (token.name, token.role, token.created_by_id) == ("helpdesk", "support", admin_id)
        token_id = token.id
    listing = client.get("/settings/tokens").text
    row = re.search(r"<td>helpdesk</td>.*?</tr>", listing, re.S).group(0)
    assert "never" not in row  # it has been used just now
    revoked = client.post(f"/settings/tokens/{token_id}/revoke",
                          data={"csrf_token": csrf_token(listing)})
    assert revoked.status_code == 303
    assert not _token_works(api, secret)
    with app.app_context():
        actions = db.session.scalars(select(AuditEvent.action).where(
            AuditEvent.actor_id == admin_id).order_by(AuditEvent.id)).all()
        assert [a for a in actions if a.startswith("api_token")] == [
            "api_token.create", "api_token.revoke"]


def test_the_page_refuses_bad_input_and_keeps_it(client, login):
    login(client, "admin")
    page = client.get("/settings/tokens").text
    for name in ("", "12345", "a\x00b", "x" * 65):
        refused = client.post("/settings/tokens", data={
            "name": name, "role": "admin", "csrf_token": csrf_token(page)})
        assert refused.status_code == 422
        assert not SECRET.search(refused.text)
    client.post("/settings/tokens", data={"name": "sync", "role": "viewer",
                                          "csrf_token": csrf_token(page)})
    again = client.post("/settings/tokens", data={"name": "sync", "role": "viewer",
                                                  "csrf_token": csrf_token(page)})
    assert again.status_code == 422 and "in use" in again.text
    forged = client.post("/settings/tokens", data={"name": "x", "role": "admin"})
    assert forged.status_code == 400


@pytest.mark.parametrize("role", ["hr", "support", "viewer"])
def test_only_admins_manage_tokens(client, login, role):
    login(client, role)
    assert client.get("/settings/tokens").status_code == 403


def test_the_page_is_in_italian(client, login):
    login(client, "admin", locale="it")
    assert "Crea un token" in client.get("/settings/tokens").text


# --- the commands -------------------------------------------------------------------------------


def test_create_prints_the_token_alone_on_the_last_line(app, polso, api):
    result = polso("tokens", "create", "--name", "warehouse", "--role", "viewer")
    assert result.exit_code == 0, result.output
    last = result.output.splitlines()[-1]
    assert SECRET.fullmatch(last)
    assert _token_works(api, last)
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(
            AuditEvent.action == "api_token.create"))
        assert event.details["via"] == "cli" and event.details["name"] == "warehouse"


def test_list_and_revoke_by_name_or_id(app, polso, api):
    first = polso("tokens", "create", "--name", "one", "--role", "admin").output.split()[-1]
    second = polso("tokens", "create", "--name", "two", "--role", "hr").output.split()[-1]
    listing = polso("tokens", "list").output
    assert "one" in listing and "two" in listing and "never" in listing
    assert polso("tokens", "revoke", "one").exit_code == 0
    with app.app_context():
        two_id = db.session.scalar(select(ApiToken.id).where(ApiToken.name == "two"))
    assert polso("tokens", "revoke", str(two_id)).exit_code == 0
    assert not _token_works(api, first) and not _token_works(api, second)
    assert "revoked" in polso("tokens", "list").output
    # A revoked token's name is free again.
    assert polso("tokens", "create", "--name", "one", "--role", "admin").exit_code == 0


@pytest.mark.parametrize("args", [("create",), ("create", "--name", "x"),
                                  ("create", "--name", "x", "--role", "root"),
                                  ("create", "--name", "123", "--role", "admin"),
                                  ("revoke", "nobody")])
def test_bad_arguments_exit_2_with_one_line(polso, args):
    result = polso("tokens", *args)
    assert result.exit_code == 2
    assert len(result.output.strip().splitlines()) == 1


def test_tokens_are_unguessable_and_stored_hashed(app):
    with app.app_context():
        made = [api_tokens.create_token(f"t{i}", "viewer")[1] for i in range(20)]
        assert len(set(made)) == 20 and all(SECRET.fullmatch(s) for s in made)
        stored = db.session.scalars(select(ApiToken.token_hash)).all()
        assert not set(made) & set(stored)
        assert api_tokens.authenticate(made[0].upper()) is None
        db.session.rollback()
