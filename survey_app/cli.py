"""The ``polso`` console script: Flask's CLI plus one command group per feature."""

from __future__ import annotations

import os
import socket

import click
from email_validator import EmailNotValidError, validate_email
from flask import Flask
from flask.cli import FlaskGroup, NoAppException

from survey_app.core import checks
from survey_app.core.db import set_write_intent

#: Seconds ``polso check`` waits for the database (PostgreSQL) and the mail server to connect.
CHECK_CONNECT_TIMEOUT = 10


class CommandError(click.ClickException):
    """A one-line error and exit code 2 — never a traceback — for bad arguments."""

    exit_code = 2


def _build_app() -> Flask:
    from survey_app import create_app

    return create_app()


def _create_app() -> Flask:
    """The app for Flask's CLI: a bad setting is its one-line error, not a traceback."""
    from survey_app.config import ConfigError

    try:
        return _build_app()
    except ConfigError as error:
        raise NoAppException(str(error)) from None


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False,
             help="Polso: pulse surveys, NPS/CSAT/eNPS and the follow-up queue.")
def main() -> None:
    # Commands write; SQLite then takes its write lock at BEGIN instead of failing mid-way.
    set_write_intent(True)


def register_commands(app: Flask) -> None:
    """Attach every feature's command group to ``app.cli``."""
    from survey_app.accounts.cli import tokens_cli, users_cli
    from survey_app.dashboards import cli as dashboards_cli
    from survey_app.demo import demo_command
    from survey_app.followups.cli import followups_cli
    from survey_app.invitations.cli import links_cli
    from survey_app.ops import cli as ops_cli
    from survey_app.responses.cli import responses_cli
    from survey_app.retention.cli import activity_cli, retention_cli
    from survey_app.sentiment.cli import sentiment_cli
    from survey_app.surveys.cli import surveys_cli
    from survey_app.themes.cli import themes_cli

    for command in (activity_cli, demo_command, followups_cli, links_cli, responses_cli,
                    retention_cli, sentiment_cli, surveys_cli, themes_cli):
        app.cli.add_command(command)
    app.cli.add_command(users_cli)
    app.cli.add_command(tokens_cli)
    ops_cli.register()
    dashboards_cli.register()

    from survey_app.core.jobs import worker_command
    from survey_app.people.cli import people_cli
    from survey_app.waves.cli import remind_command, send_command, waves_cli

    for command in (people_cli, remind_command, send_command, waves_cli, worker_command):
        app.cli.add_command(command)


def _address(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as problem:
        raise click.BadParameter(str(problem)) from None


@main.command("check", with_appcontext=False)
@click.option("--send-test-to", metavar="ADDRESS", callback=_address,
              help="Also send a test e-mail to this address.")
def check_command(send_test_to: str | None) -> None:
    """Check the configuration before start: one line per check, exit 1 on any error."""
    # A server that never answers fails its check instead of hanging it (smtplib uses the
    # socket default, libpq reads PGCONNECT_TIMEOUT); this process only checks, then exits.
    socket.setdefaulttimeout(CHECK_CONNECT_TIMEOUT)
    os.environ.setdefault("PGCONNECT_TIMEOUT", str(CHECK_CONNECT_TIMEOUT))
    try:
        app = _build_app()  # built here, not by FlaskGroup: a refused start is one error line
    except (RuntimeError, ValueError) as problem:
        click.echo(checks.error("settings", str(problem)).line())
        raise SystemExit(1) from None
    results = checks.run_checks(app, send_test_to=send_test_to)
    for result in results:
        click.echo(result.line())
    if any(result.level == "error" for result in results):
        raise SystemExit(1)


def _replace_run_command() -> None:
    """``polso run`` = Flask's ``run`` plus a job consumer in threads (``core.jobs``)."""
    from survey_app.core.jobs import run_command

    main.add_command(run_command)


_replace_run_command()
