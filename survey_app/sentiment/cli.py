"""``polso sentiment …`` commands: score texts, re-score stored comments."""

from __future__ import annotations

from typing import TextIO

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from survey_app.core.db import db
from survey_app.core.sentiment import languages
from survey_app.sentiment.services import count_comments, rescore_responses, score_text
from survey_app.surveys.models import Survey

sentiment_cli = AppGroup("sentiment", help="Comment sentiment: try the analyzer, re-score.")


@sentiment_cli.command("score")
@click.option("--lang", type=click.Choice(languages()), default="en", show_default=True,
              help="Language of the texts.")
@click.argument("file", type=click.File("r", encoding="utf-8"), default="-")
def score(lang: str, file: TextIO) -> None:
    """Print ``polarity<TAB>label`` for each line of FILE (standard input without FILE).

    An empty line prints an empty polarity and ``unknown``.
    """
    for line in file:
        result = score_text(line.rstrip("\r\n"), lang)
        polarity = "" if result.polarity is None else f"{result.polarity:.4f}"
        click.echo(f"{polarity}\t{result.label}")


@sentiment_cli.command("rescore")
@click.argument("slug", required=False)
def rescore(slug: str | None) -> None:
    """Re-score stored comments (of survey SLUG, or all) with the current analyzer."""
    survey = None
    if slug is not None:
        survey = db.session.scalars(sa.select(Survey).where(Survey.slug == slug)).first()
        if survey is None:
            raise click.BadParameter(f"no survey with slug {slug!r}", param_hint="SLUG")
    total = count_comments(survey)
    with click.progressbar(length=total, label="Re-scoring comments") as bar:
        changed = rescore_responses(survey, progress=bar.update)
    db.session.commit()
    click.echo(f"{total} comments scored, {changed} changed.")
