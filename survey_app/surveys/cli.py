"""``polso surveys …`` commands."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from survey_app.audit.services import record_cli
from survey_app.cli import CommandError
from survey_app.core.db import db
from survey_app.core.errors import DomainError
from survey_app.surveys import services
from survey_app.surveys.models import SurveyKind

surveys_cli = AppGroup("surveys", help="Create and list surveys.")


@surveys_cli.command("create")
@click.option("--kind", required=True, type=click.Choice([k.value for k in SurveyKind]))
@click.option("--title", required=True)
@click.option("--slug", required=True, help="URL name, e.g. q4-nps.")
@click.option("--anonymous/--identified", default=None,
              help="Default: anonymous for eNPS and pulse, identified otherwise.")
@click.option("--lang", "locale", default="en", type=click.Choice(["en", "it"]))
@click.option("--public", is_flag=True, help="Also serve it to anyone at /p/<slug>.")
def create(kind: str, title: str, slug: str, anonymous: bool | None, locale: str,
           public: bool) -> None:
    """Create an active survey with its default questions."""
    try:
        survey = services.create_survey(kind=kind, title=title, slug=slug, anonymous=anonymous,
                                        locale=locale, is_public=public)
    except DomainError as error:
        raise CommandError(str(error)) from None
    record_cli("survey.create", survey, kind=survey.kind, title=survey.title)
    db.session.commit()
    click.echo(f"Created {survey.kind} survey {survey.slug!r} ({survey.anonymity}).")
