"""``polso responses …`` commands."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from survey_app.audit import services as audit
from survey_app.cli import CommandError
from survey_app.core.db import db
from survey_app.core.errors import DomainError
from survey_app.dashboards.export import prepare_export
from survey_app.dashboards.filters import PERIODS, parse_filters
from survey_app.surveys.services import get_survey_by_slug

responses_cli = AppGroup("responses", help="Read and export responses.")


@responses_cli.command("export")
@click.argument("slug")
@click.option("--period", type=click.Choice(PERIODS),
              help="Default: all, or custom when --from is given.")
@click.option("--from", "start", metavar="YYYY-MM-DD", help="First day (with --period custom).")
@click.option("--to", "end", metavar="YYYY-MM-DD", help="Last day (with --period custom).")
@click.option("--category", help="promoter, passive, detractor (CSAT: satisfied …).")
@click.option("--sentiment", help="negative, neutral, positive or unknown.")
@click.option("--segment", multiple=True, metavar="ATTRIBUTE:VALUE",
              help="Only responses with this segment value (repeatable).")
def export(slug: str, period: str | None, start: str | None, end: str | None, category: str | None,
           sentiment: str | None, segment: tuple[str, ...]) -> None:
    """Write survey SLUG's responses as CSV to standard output.

    The same filters and anonymity rules as the dashboard's download apply: anonymous surveys
    export no identity, date rows by period and refuse groups below their threshold.
    """
    period = period or ("custom" if start or end else "all")
    args = {"period": period, "from": start, "to": end, "category": category,
            "sentiment": sentiment, "segment": list(segment)}
    try:
        survey = get_survey_by_slug(slug)
        filters = parse_filters({k: v for k, v in args.items() if v}, survey)
        prepared = prepare_export(survey, filters)
    except DomainError as error:
        raise CommandError(str(error)) from None
    audit.record_cli("responses.export", survey, filters=filters.query_args())
    db.session.commit()
    for line in prepared.lines():
        sys.stdout.write(line)
