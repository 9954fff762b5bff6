"""``polso people …`` commands."""

from __future__ import annotations

import json
import time
from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import select

from survey_app.audit.services import record_cli
from survey_app.cli import CommandError
from survey_app.core.db import db, utcnow
from survey_app.people.importer import ImportFileError, decode, import_people
from survey_app.people.models import Person
from survey_app.people.services import InvalidPersonError, normalise_email
from survey_app.privacy.erasure import erase_person
from survey_app.privacy.retention import (
    apply_retention,
    audit_retention,
    count_expired,
    surveys_with_retention,
)
from survey_app.referrals.services import ImportReferrals
from survey_app.retention.health import all_health
from survey_app.retention.health_cases import open_red_cases

people_cli = AppGroup("people", help="Import, list and erase people.")

#: Errors printed in full; the rest are counted.
SHOWN_ERRORS = 200


@people_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_command(path: Path) -> None:
    """Create or update people from CSV file PATH (email,name,kind,locale,<attributes>…).

    Good rows are saved in batches; every bad row is listed with its line number.
    """
    try:
        text = decode(path.read_bytes())
    except ImportFileError as error:
        raise CommandError(str(error)) from None
    total = max(text.count("\n") - 1, 1)
    started = time.perf_counter()
    with click.progressbar(length=total, label="Importing people", show_pos=True) as bar:
        done = 0

        def batch_done(rows: int) -> None:
            nonlocal done
            db.session.commit()
            bar.update(rows - done)
            done = rows

        try:
            result = import_people(text.splitlines(keepends=True), on_batch=batch_done,
                                   referrals=ImportReferrals())
        except ImportFileError as error:
            raise CommandError(str(error)) from None
    record_cli("people.imported", None, rows=result.rows, created=result.created,
               updated=result.updated, referred=result.referred, refused=len(result.errors))
    db.session.commit()
    elapsed = time.perf_counter() - started
    click.echo(f"{result.rows} rows in {elapsed:.1f} s: {result.created} created, "
               f"{result.updated} updated, {result.unchanged} unchanged, "
               f"{len(result.errors)} refused; {result.referred} attributed to a promoter.")
    for error in result.errors[:SHOWN_ERRORS]:
        click.echo(f"  line {error.line}: {error.reason}", err=True)
    if len(result.errors) > SHOWN_ERRORS:
        click.echo(f"  … and {len(result.errors) - SHOWN_ERRORS} more refused rows", err=True)
    if result.errors:
        raise SystemExit(1)


@people_cli.command("erase")
@click.argument("email")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def erase_command(email: str, yes: bool) -> None:
    """Erase the person with EMAIL (GDPR): identity, invitations, links; scores stay."""
    try:
        address = normalise_email(email)
    except InvalidPersonError as error:
        raise CommandError(str(error)) from None
    person = db.session.scalar(select(Person).where(Person.email == address))
    if person is None:
        raise CommandError(f"nobody has the e-mail address {address}")
    if not yes:
        click.confirm(f"Erase {address} for good?", abort=True)
    person_id = person.id
    result = erase_person(person)
    record_cli("person.erased", ("person", person_id), invitations=result.invitations,
               responses=result.responses_anonymised, cases=result.cases_anonymised)
    db.session.commit()
    click.echo(f"Erased: {result.invitations} invitations deleted, "
               f"{result.responses_anonymised} responses and {result.cases_anonymised} cases "
               "anonymised.")


@people_cli.command("retention")
@click.option("--dry-run", is_flag=True, help="Only count what would be anonymised.")
def retention_command(dry_run: bool) -> None:
    """Anonymise now the answers older than their survey's retention period (workers do it
    every night; see docs/surveys.md)."""
    now = utcnow()
    if dry_run:
        for survey in surveys_with_retention():
            click.echo(f"{survey.slug}: {count_expired(survey, now=now)} answers older than "
                       f"{survey.retention_days} days")
        return
    done = apply_retention(now=now, on_batch=lambda _count: db.session.commit())
    audit_retention(done, record_cli)
    db.session.commit()
    for slug, count in done.items():
        click.echo(f"{slug}: {count} answers anonymised")
    if not done:
        click.echo("Nothing to anonymise.")


@people_cli.command("health")
@click.option("--json", "as_json", is_flag=True, help="A JSON list, one object per customer.")
@click.option("--light", type=click.Choice(["red", "yellow", "green"]),
              help="Only customers with this light.")
@click.option("--open-cases", is_flag=True,
              help="Open a case for each red customer without an open case (audited).")
def health_command(as_json: bool, light: str | None, open_cases: bool) -> None:
    """Every customer's health light and why (docs/retention.md, "Health light")."""
    if open_cases:
        done = open_red_cases(by=None)
        record_cli("health.cases_opened", None, opened=done.opened, skipped=done.skipped)
        db.session.commit()
        click.echo(f"{done.opened} cases opened for red customers; {done.skipped} red "
                   "customers have no answer to attach a case to.", err=as_json)
    rows = ((email, h) for email, h in all_health() if light is None or h.light == light)
    if not as_json:
        for email, health in rows:
            click.echo(f"{email}\t{health.light}\t{' '.join(health.reasons)}")
        return
    click.echo("[", nl=False)
    for number, (email, health) in enumerate(rows):
        item = {"email": email, "light": health.light, "reasons": health.reasons}
        click.echo(("," if number else "") + "\n  " + json.dumps(item, ensure_ascii=False),
                   nl=False)
    click.echo("\n]")
