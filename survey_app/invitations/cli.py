"""``polso links …`` commands."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from survey_app.cli import CommandError
from survey_app.core.db import db
from survey_app.core.errors import DomainError
from survey_app.invitations.services import create_invitation
from survey_app.people.services import get_or_create_person
from survey_app.surveys.models import SurveyStatus
from survey_app.surveys.services import get_survey_by_slug

links_cli = AppGroup("links", help="Personal survey links.")


def parse_attributes(pairs: tuple[str, ...]) -> dict[str, str]:
    """``("team=Support", …)`` as a dict; :raises CommandError: a pair has no ``=``."""
    attributes = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise CommandError(f"--attr takes NAME=VALUE, not {pair!r}")
        attributes[name.strip()] = value.strip()
    return attributes


@links_cli.command("create")
@click.argument("slug")
@click.option("--email", required=True)
@click.option("--name", default="")
@click.option("--lang", "locale", default=None, type=click.Choice(["en", "it"]),
              help="The person's language (new people default to the survey's).")
@click.option("--attr", "attrs", multiple=True, metavar="NAME=VALUE",
              help="A segment attribute, e.g. --attr team=Support (repeatable).")
def create(slug: str, email: str, name: str, locale: str | None, attrs: tuple[str, ...]) -> None:
    """Print a new personal link to survey SLUG for EMAIL (the person is created if new)."""
    attributes = parse_attributes(attrs)
    try:
        survey = get_survey_by_slug(slug)
        if survey.status != SurveyStatus.ACTIVE:
            raise CommandError(f"survey {slug!r} is {survey.status}, not active")
        kind = "employee" if survey.audience == "employees" else "customer"
        person = get_or_create_person(email, name=name, kind=kind,
                                      locale=locale or survey.default_locale,
                                      attributes=attributes)
        if locale:
            person.locale = locale
        _, token = create_invitation(survey, person)
    except DomainError as error:
        raise CommandError(str(error)) from None
    db.session.commit()
    click.echo(f"{current_app.config['BASE_URL'].rstrip('/')}/s/{token}")
