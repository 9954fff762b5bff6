"""The ``polso`` console script: Flask's CLI plus one command group per feature."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import FlaskGroup

from survey_app.core.db import set_write_intent


class CommandError(click.ClickException):
    """A one-line error and exit code 2 — never a traceback — for bad arguments."""

    exit_code = 2


def _create_app() -> Flask:
    from survey_app import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False,
             help="Polso: pulse surveys, NPS/CSAT/eNPS and the follow-up queue.")
def main() -> None:
    # Commands write; SQLite then takes its write lock at BEGIN instead of failing mid-way.
    set_write_intent(True)


def register_commands(app: Flask) -> None:
    """Attach every feature's command group to ``app.cli``."""
    from survey_app.accounts.cli import users_cli
    from survey_app.demo import demo_command
    from survey_app.followups.cli import followups_cli
    from survey_app.invitations.cli import links_cli
    from survey_app.ops import cli as ops_cli
    from survey_app.responses.cli import responses_cli
    from survey_app.sentiment.cli import sentiment_cli
    from survey_app.surveys.cli import surveys_cli

    for command in (demo_command, followups_cli, links_cli, responses_cli, sentiment_cli,
                    surveys_cli):
        app.cli.add_command(command)
    app.cli.add_command(users_cli)
    ops_cli.register()

    from survey_app.core.jobs import worker_command
    from survey_app.people.cli import people_cli
    from survey_app.waves.cli import remind_command, send_command, waves_cli

    for command in (people_cli, remind_command, send_command, waves_cli, worker_command):
        app.cli.add_command(command)


def _replace_run_command() -> None:
    """``polso run`` = Flask's ``run`` plus a job consumer in threads (``core.jobs``)."""
    from survey_app.core.jobs import run_command

    main.add_command(run_command)


_replace_run_command()
