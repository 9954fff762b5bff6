"""``polso users …`` commands."""

from __future__ import annotations

import os
import smtplib

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

from survey_app.accounts import emails, services
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
