"""``polso users create`` and ``polso users list``."""

from __future__ import annotations

import getpass

import pytest
from sqlalchemy import select

from survey_app.accounts.models import User
from survey_app.accounts.services import verify_password
from survey_app.audit.models import AuditEvent
from survey_app.core.db import db


@pytest.fixture
def polso(app):
    runner = app.test_cli_runner()

    def run(*args: str, env: dict[str, str] | None = None, input: str | None = None):
        return runner.invoke(args=list(args), env=env, input=input, catch_exceptions=False)

    return run


def only_user(app) -> User:
    with app.app_context():
        user = db.session.scalars(select(User)).one()
        db.session.expunge(user)
        return user


def test_create_with_the_password_from_the_environment(app, polso):
    result = polso("users", "create", "--email", "Boss@Example.com", "--role", "admin",
                   "--name", "The Boss", env={"POLSO_USER_PASSWORD": "a long enough secret"})
    assert result.exit_code == 0, result.output
    assert result.output == "Created admin user boss@example.com.\n"
    user = only_user(app)
    assert (user.email, user.role, user.name, user.is_active) == (
        "boss@example.com", "admin", "The Boss", True)
    assert user.password_hash.startswith("$argon2id$")
    assert verify_password(user, "a long enough secret")
    with app.app_context():
        event = db.session.scalars(select(AuditEvent)).one()
        assert (event.action, event.actor_id, event.target_id, event.details) == (
            "user.create", None, user.id,
            {"role": "admin", "via": "cli", "os_user": getpass.getuser()})


def test_create_asks_for_the_password_twice(app, polso):
    result = polso("users", "create", "--email", "hr@example.com", "--role", "hr",
                   input="typed at the prompt\ntyped at the prompt\n")
    assert result.exit_code == 0, result.output
    assert verify_password(only_user(app), "typed at the prompt")


def test_create_without_a_password_fails_in_one_line(app, polso):
    result = polso("users", "create", "--email", "hr@example.com", "--role", "hr", input="")
    assert result.exit_code == 2
    assert result.output.strip().splitlines()[-1] == (
        "Error: no password given: type it at the prompt or set POLSO_USER_PASSWORD")


@pytest.mark.parametrize(("args", "password", "message"), [
    (["--email", "x@example.com", "--role", "boss"], "a long enough secret",
     "The role must be one of admin, hr, support, viewer."),
    (["--email", "not-an-email", "--role", "hr"], "a long enough secret",
     "is not a valid e-mail address"),
    (["--email", "x@example.com", "--role", "hr"], "short", "at least 10 characters"),
    (["--role", "hr"], "a long enough secret", "give --email and --role"),
    (["--email", "x@example.com"], "a long enough secret", "give --email and --role"),
])
def test_bad_arguments_fail_in_one_line_with_exit_2(app, polso, args, password, message):
    result = polso("users", "create", *args, env={"POLSO_USER_PASSWORD": password})
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and message in lines[0]
    with app.app_context():
        assert db.session.scalars(select(User)).all() == []


def test_duplicate_email_is_refused(app, polso, make_user):
    make_user("viewer", email="taken@example.com")
    result = polso("users", "create", "--email", "TAKEN@example.com", "--role", "hr",
                   env={"POLSO_USER_PASSWORD": "a long enough secret"})
    assert result.exit_code == 2
    assert "already exists" in result.output


def test_list(app, polso, make_user):
    assert "No users yet" in polso("users", "list").output
    make_user("hr", email="b@example.com")
    make_user("viewer", email="a@example.com", is_active=False)
    lines = polso("users", "list").output.splitlines()
    assert [line.split()[:3] for line in lines] == [
        ["a@example.com", "viewer", "inactive"], ["b@example.com", "hr", "active"]]
    assert lines[0].endswith("last sign-in never")
