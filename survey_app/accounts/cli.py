"""``polso users …`` commands."""

from __future__ import annotations

import os

import click
from flask.cli import AppGroup
from sqlalchemy import func, select

from survey_app.accounts import services
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
def create(email: str, role: str, name: str, locale: str) -> None:
    """Create a staff user. The password is asked twice, or read from POLSO_USER_PASSWORD."""
    if not email or not role:
        raise CommandError("give --email and --role (" + ROLES + ")")
    try:
        services.normalise_email(email)
        services.check_role(role)
    except DomainError as error:
        raise CommandError(str(error)) from None
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


@users_cli.command("list")
def list_users() -> None:
    """List staff users: e-mail, role, active, last sign-in."""
    users = db.session.scalars(select(User).order_by(func.lower(User.email))).all()
    if not users:
        click.echo("No users yet: polso users create --email E --role admin")
        return
    for user in users:
        last = user.last_login_dt.strftime("%Y-%m-%d %H:%M") if user.last_login_dt else "never"
        state = "active" if user.is_active else "inactive"
        click.echo(f"{user.email:<40} {user.role:<8} {state:<9} last sign-in {last}")
