"""``polso users …`` and ``polso tokens …`` commands."""

from __future__ import annotations

import os
import smtplib

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

from survey_app.accounts import api_tokens, emails, services
from survey_app.accounts.links import Purpose
from survey_app.accounts.models import Role, User
from survey_app.audit import services as audit
from survey_app.cli import CommandError
from survey_app.core.db import db
from survey_app.core.errors import DomainError

users_cli = AppGroup("users", help="Create and list staff users.")

ROLES = ", ".join(Role)


@users_cli.command("create")
@click.option("--email", default="", help="Sign-in e-mail (stored lower-case).")
@click.option("--role", default="", help=f"One of: {ROLES}.")
@click.option("--name", default="", help="Display name.")
@click.option("--lang", "locale", default="en", help="Language of the staff pages: en or it.")
@click.option("--invite", is_flag=True,
              help="E-mail an invitation to choose a password instead of setting one.")
def create(email: str, role: str, name: str, locale: str, invite: bool) -> None:
    """Create a staff user. The password is asked twice, or read from POLSO_USER_PASSWORD;
    with --invite the user gets an e-mail with a link to choose it."""
    if not email or not role:
        raise CommandError("give --email and --role (" + ROLES + ")")
    try:
        services.normalise_email(email)
        services.check_role(role)
    except DomainError as error:
        raise CommandError(str(error)) from None
    if invite:
        _invite(email, role, name, locale)
        return
    password = os.environ.get("POLSO_USER_PASSWORD")
    if password is None:
        try:
            password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        except click.Abort:
            raise CommandError(
                "no password given: type it at the prompt or set POLSO_USER_PASSWORD"
            ) from None
    try:
        user = services.create_user(email=email, role=role, password=password, name=name,
                                    locale=locale)
    except DomainError as error:
        raise CommandError(str(error)) from None
    audit.record_cli("user.create", user, role=user.role)
    db.session.commit()
    click.echo(f"Created {user.role} user {user.email}.")


def _invite(email: str, role: str, name: str, locale: str) -> None:
    """Create the invited user, commit, then send the e-mail here and now (it says if it failed)."""
    if os.environ.get("POLSO_USER_PASSWORD") is not None:
        raise CommandError("--invite sends a link to choose the password: "
                           "unset POLSO_USER_PASSWORD or leave out --invite")
    try:
        user = services.invite_user(email=email, role=role, name=name, locale=locale)
    except DomainError as error:
        raise CommandError(str(error)) from None
    audit.record(None, "user.invite", user, role=user.role, via="cli")
    db.session.commit()
    try:
        emails.send_link.call_local(user.id, Purpose.INVITATION)
    except (OSError, smtplib.SMTPException) as error:
        raise CommandError(f"invited {user.email}, but the e-mail could not be sent ({error}); "
                           "send it again from the Users page") from None
    hours = current_app.config["INVITATION_LIFETIME_HOURS"]
    click.echo(f"Invited {user.role} user {user.email}: e-mail sent, link valid {hours} hours.")


@users_cli.command("list")
def list_users() -> None:
    """List staff users: e-mail, role, active / inactive / invited, last sign-in."""
    users = db.session.scalars(select(User).order_by(func.lower(User.email))).all()
    if not users:
        click.echo("No users yet: polso users create --email E --role admin")
        return
    for user in users:
        last = user.last_login_dt.strftime("%Y-%m-%d %H:%M") if user.last_login_dt else "never"
        state = "invited" if user.is_invited else "active" if user.is_active else "inactive"
        click.echo(f"{user.email:<40} {user.role:<8} {state:<9} last sign-in {last}")


tokens_cli = AppGroup("tokens", help="API tokens: create, list, revoke.")


@tokens_cli.command("create")
@click.option("--name", default="", help="What the token is for, e.g. helpdesk.")
@click.option("--role", default="", help=f"The role it acts as: {ROLES}.")
def create_token(name: str, role: str) -> None:
    """Create an API token; the token alone is printed on the last line (shown only once)."""
    if not name or not role:
        raise CommandError("give --name and --role (" + ROLES + ")")
    try:
        token, secret = api_tokens.create_token(name, role)
    except DomainError as error:
        raise CommandError(str(error)) from None
    audit.record_cli("api_token.create", token, name=token.name, role=token.role)
    db.session.commit()
    click.echo(f"Created {token.role} token {token.name} (id {token.id}); it is shown only "
               "once, on the next line:")
    click.echo(secret)


@tokens_cli.command("list")
def list_tokens() -> None:
    """List API tokens: id, name, role, in use or revoked, last use."""
    tokens = api_tokens.all_tokens()
    if not tokens:
        click.echo("No API tokens yet: polso tokens create --name NAME --role ROLE")
        return
    for token in tokens:
        last = token.last_used_dt.strftime("%Y-%m-%d %H:%M") if token.last_used_dt else "never"
        state = "in use" if token.is_active else "revoked"
        click.echo(f"{token.id:>5} {token.name:<32} {token.role:<8} {state:<8} last used {last}")


@tokens_cli.command("revoke")
@click.argument("name_or_id")
def revoke_token(name_or_id: str) -> None:
    """Revoke the token in use named NAME_OR_ID (or with that id): refused from now on."""
    try:
        token = api_tokens.find_active(name_or_id)
    except DomainError as error:
        raise CommandError(str(error)) from None
    api_tokens.revoke(token)
    audit.record_cli("api_token.revoke", token, name=token.name)
    db.session.commit()
    click.echo(f"Revoked token {token.name} (id {token.id}).")
