"""``polso themes …`` commands: tag texts, re-tag stored comments and free-text answers."""

from __future__ import annotations

from typing import TextIO

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from survey_app.core.db import db
from survey_app.core.themes import LANGUAGES, tag
from survey_app.responses.tagging import count_texts, retag_responses
from survey_app.surveys.models import Survey

themes_cli = AppGroup("themes", help="Comment themes: try the tagger, re-tag stored answers.")

#: ``--kind`` → ``Survey.audience``.
KINDS = {"customer": "customers", "employee": "employees"}


@themes_cli.command("tag")
@click.option("--lang", type=click.Choice(LANGUAGES), default="en", show_default=True,
              help="Language of the texts.")
@click.option("--kind", type=click.Choice(tuple(KINDS)), default="customer", show_default=True,
              help="Whose comments: the taxonomy to use.")
@click.argument("file", type=click.File("r", encoding="utf-8"), default="-")
def tag_command(lang: str, kind: str, file: TextIO) -> None:
    """Print the theme keys of each line of FILE (standard input without FILE),
    comma-separated; an empty line when a text mentions none."""
    audience = KINDS[kind]
    for line in file:
        click.echo(",".join(tag(line.rstrip("\r\n"), lang, audience)))


@themes_cli.command("retag")
@click.argument("slug", required=False)
def retag_command(slug: str | None) -> None:
    """Tag the stored comments and free-text answers (of survey SLUG, or all) again."""
    survey = None
    if slug is not None:
        survey = db.session.scalars(sa.select(Survey).where(Survey.slug == slug)).first()
        if survey is None:
            raise click.BadParameter(f"no survey with slug {slug!r}", param_hint="SLUG")
    total = count_texts(survey)
    with click.progressbar(length=total, label="Tagging answers") as bar:
        changed = retag_responses(survey, progress=bar.update)
    db.session.commit()
    click.echo(f"{total} answers tagged, {changed} changed.")
