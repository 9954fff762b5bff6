"""``polso activity import`` and ``polso retention report``."""

from __future__ import annotations

import json
import time
from datetime import date
from pathlib import Path

import click
from flask.cli import AppGroup

from survey_app.audit.services import record_cli
from survey_app.cli import CommandError
from survey_app.core.db import db
from survey_app.people.importer import ImportFileError, decode
from survey_app.retention import services, summaries
from survey_app.retention.forms import parse_segment
from survey_app.retention.importer import import_activity

activity_cli = AppGroup("activity", help="Import customer activity (purchases, renewals …).")
retention_cli = AppGroup("retention", help="Retention figures: CRR, churn, CLV.")

#: Errors printed in full; the rest are counted.
SHOWN_ERRORS = 200


@activity_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_command(path: Path) -> None:
    """Import customer activity from CSV file PATH
    (email,date,kind,amount,currency,external_id).

    Good rows are saved in batches, rows already imported are left as they are, and every bad
    row is listed with its line number (exit 1).
    """
    try:
        text = decode(path.read_bytes())
    except ImportFileError as error:
        raise CommandError(str(error)) from None
    started = time.perf_counter()
    with click.progressbar(length=max(text.count("\n") - 1, 1), label="Importing activity",
                           show_pos=True) as bar:
        done = 0

        def batch_done(rows: int) -> None:
            nonlocal done
            db.session.commit()
            bar.update(rows - done)
            done = rows

        try:
            result = import_activity(text.splitlines(keepends=True), on_batch=batch_done)
        except ImportFileError as error:
            raise CommandError(str(error)) from None
    record_cli("activity.imported", None, rows=result.rows, created=result.created,
               unchanged=result.unchanged, refused=len(result.errors))
    db.session.commit()
    click.echo(f"{result.rows} rows in {time.perf_counter() - started:.1f} s: "
               f"{result.created} new, {result.unchanged} already imported, "
               f"{len(result.errors)} refused.")
    for error in result.errors[:SHOWN_ERRORS]:
        click.echo(f"  line {error.line}: {error.reason}", err=True)
    if len(result.errors) > SHOWN_ERRORS:
        click.echo(f"  … and {len(result.errors) - SHOWN_ERRORS} more refused rows", err=True)
    if result.errors:
        raise SystemExit(1)


@activity_cli.command("summarize")
def summarize_command() -> None:
    """Rebuild the per-customer activity summary and active spells from the activity (after
    changing POLSO_RETENTION_ACTIVE_DAYS or POLSO_RETENTION_CURRENCY)."""
    started = time.perf_counter()
    customers = summaries.rebuild()
    record_cli("activity.summarized", None, customers=customers)
    db.session.commit()
    click.echo(f"{customers} customers summarized in {time.perf_counter() - started:.1f} s.")


def _day(_ctx: click.Context, param: click.Parameter, value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date such as 2026-01-31") from None


def _segment(_ctx: click.Context, _param: click.Parameter,
             value: str | None) -> tuple[str, str] | None:
    try:
        return parse_segment(value or "")
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


@retention_cli.command("report")
@click.option("--from", "start", required=True, callback=_day, metavar="DATE",
              help="First day of the period (YYYY-MM-DD).")
@click.option("--to", "end", required=True, callback=_day, metavar="DATE",
              help="Last day of the period (YYYY-MM-DD).")
@click.option("--segment", callback=_segment, metavar="KEY=VALUE",
              help="Only customers with this attribute, e.g. plan=pro.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object (rates in percent).")
def report_command(start: date, end: date, segment: tuple[str, str] | None,
                   as_json: bool) -> None:
    """The period's retention figures, as on the retention page (docs/retention.md)."""
    try:
        scope = services.scope(start, end, segment)
    except services.InvalidPeriodError as error:
        raise CommandError(str(error)) from None
    values = services.as_json(services.summary(scope))
    if as_json:
        click.echo(json.dumps(values))
        return
    click.echo(f"Customers from {start} to {end}"
               + (f" with {segment[0]}={segment[1]}" if segment else "") + ":")
    for key, value in values.items():
        shown = "—" if value is None else value
        click.echo(f"  {key.replace('_', ' '):<22} {shown}")
