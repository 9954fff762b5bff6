"""``polso responses …`` commands."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from survey_app.cli import CommandError
from survey_app.core.errors import DomainError
from survey_app.responses.export import csv_lines
from survey_app.surveys.services import get_survey_by_slug

responses_cli = AppGroup("responses", help="Read and export responses.")


@responses_cli.command("export")
@click.argument("slug")
def export(slug: str) -> None:
    """Write survey SLUG's responses as CSV to standard output."""
    try:
        survey = get_survey_by_slug(slug)
    except DomainError as error:
        raise CommandError(str(error)) from None
    for line in csv_lines(survey):
        sys.stdout.write(line)
