"""``polso db rollup [--rebuild] [SLUG]``: check or rebuild the dashboards' daily rollups."""

from __future__ import annotations

import time

import click
import sqlalchemy as sa
from flask.cli import with_appcontext
from flask_migrate.cli import db as db_cli

from survey_app.cli import CommandError
from survey_app.core.db import db
from survey_app.dashboards import rebuild
from survey_app.surveys.models import Survey


@click.command("rollup")
@click.option("--rebuild", "rebuild_", is_flag=True,
              help="Recompute the rollups from the responses (a month at a time).")
@click.argument("slug", required=False)
@with_appcontext
def rollup_command(rebuild_: bool, slug: str | None) -> None:
    """Compare the dashboards' daily rollups with the responses (of survey SLUG, or all);
    with --rebuild, recompute them. The check exits 1 when they differ."""
    query = sa.select(Survey.id, Survey.slug).order_by(Survey.id)
    if slug is not None:
        query = query.where(Survey.slug == slug)
    surveys = db.session.execute(query).all()
    db.session.rollback()
    if slug is not None and not surveys:
        raise CommandError(f"No survey with the slug {slug!r}.")
    if rebuild_:
        _rebuild(surveys)
        return
    wrong = 0
    for index, (survey_id, survey_slug) in enumerate(surveys, 1):
        rows = rebuild.differences(survey_id)
        db.session.rollback()
        wrong += bool(rows)
        click.echo(f"[{index}/{len(surveys)}] {survey_slug}: "
                   + ("exact" if not rows else f"{rows} rows differ"), err=True)
    if wrong:
        raise click.ClickException(f"{wrong} survey(s) differ; run polso db rollup --rebuild.")
    click.echo(f"Rollups exact for {len(surveys)} survey(s).")


def _rebuild(surveys: list[sa.Row[tuple[int, str]]]) -> None:
    started = time.perf_counter()
    for index, (survey_id, survey_slug) in enumerate(surveys, 1):
        spans = rebuild.months(survey_id)
        # Rows before the first month and after the last one go (none, or stale ones).
        edges = ([(None, spans[0][0]), (spans[-1][1], None)] if spans else [(None, None)])
        for start, end in edges + spans:
            rebuild.rebuild_span(survey_id, start, end)
            db.session.commit()
            if start is not None and end is not None:
                click.echo(f"\r[{index}/{len(surveys)}] {survey_slug}: {start:%Y-%m}",
                           nl=False, err=True)
        click.echo(f"\r[{index}/{len(surveys)}] {survey_slug}: {len(spans)} months", err=True)
    click.echo(f"Rollups rebuilt for {len(surveys)} survey(s) in "
               f"{time.perf_counter() - started:.1f} s.")


def register(group: click.Group = db_cli) -> None:
    """Add the command to Flask-Migrate's ``db`` group."""
    group.add_command(rollup_command)
