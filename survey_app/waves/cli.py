"""``polso send``, ``polso remind`` and ``polso waves …`` commands."""

from __future__ import annotations

from datetime import datetime

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select

from survey_app.audit.services import record_cli
from survey_app.cli import CommandError
from survey_app.core.db import db, utcnow
from survey_app.core.delivery import chunks
from survey_app.core.errors import DomainError
from survey_app.dashboards.anonymity import Policy
from survey_app.surveys.models import Wave
from survey_app.surveys.services import get_survey_by_slug
from survey_app.waves import queries, services, tasks
from survey_app.waves.audience import Audience, Preview, kind_for, parse_where, preview
from survey_app.waves.emails import InvitationDeliverer

REASON_LABELS = {"unsubscribed": "unsubscribed", "bounced": "address bounced",
                 "throttled": "asked recently (throttle)", "open_case": "open follow-up case"}

where_option = click.option(
    "--where", "where", multiple=True, metavar="NAME=VALUE",
    help="Attribute condition, e.g. --where team=Support (repeat: same name = or, "
         "different names = and).")


def _audience(slug: str, where: tuple[str, ...]):  # type: ignore[no-untyped-def]
    try:
        survey = get_survey_by_slug(slug)
        return survey, Audience(kind_for(survey), parse_where(where))
    except DomainError as error:
        raise CommandError(str(error)) from None


def _print_preview(result: Preview) -> None:
    click.echo(f"Audience: {result.audience.describe()}")
    click.echo(f"  will be invited: {result.invited}")
    for reason, count in result.skipped.items():
        click.echo(f"  skipped, {REASON_LABELS[reason]}: {count}")


@click.command("send")
@with_appcontext
@click.argument("slug")
@where_option
@click.option("--dry-run", is_flag=True, help="Only show who would be invited and skipped.")
@click.option("--label", default=None, help="Name of the wave (default: date and time).")
@click.option("--foreground", is_flag=True,
              help="Send the e-mails from this command (with progress) instead of the workers.")
def send_command(slug: str, where: tuple[str, ...], dry_run: bool, label: str | None,
                 foreground: bool) -> None:
    """Send survey SLUG to its audience (customers or employees matching --where)."""
    survey, audience = _audience(slug, where)
    now = utcnow()
    _print_preview(preview(survey, audience, now))
    if dry_run:
        return
    try:
        wave = services.send_wave(survey, audience, now=now, label=label)
    except DomainError as error:
        raise CommandError(str(error)) from None
    record_cli("wave.sent", wave, survey_id=survey.id, audience=audience.describe())
    db.session.commit()
    ids = services.queued_email_ids(wave)
    if foreground:
        _send_here(ids)
    else:
        tasks.deliver_wave(wave.id)
        click.echo(f"Wave {wave.id} ({_name(wave)}): {len(ids)} e-mails queued for the workers "
                   "(`polso worker`, or the one inside `polso run`).")


def _send_here(ids: list[int]) -> None:
    deliverer = InvitationDeliverer()
    sent = 0
    with click.progressbar(length=len(ids), label="Sending e-mails", show_pos=True) as bar:
        for batch in chunks(ids, current_app.config["MAIL_BATCH_SIZE"]):
            sent += deliverer.run(batch).sent
            bar.update(len(batch))
    click.echo(f"{sent} of {len(ids)} e-mails accepted by the mail server "
               "(temporary failures are retried by the workers).")


@click.command("remind")
@with_appcontext
@click.option("--dry-run", is_flag=True, help="Roll back: only count the reminders due.")
def remind_command(dry_run: bool) -> None:
    """Queue the reminders due now (the workers also do this every 5 minutes)."""
    ids = services.queue_due_reminders()
    if dry_run:
        db.session.rollback()
        click.echo(f"{len(ids)} reminders are due.")
        return
    db.session.commit()
    tasks.enqueue_emails(ids)
    click.echo(f"{len(ids)} reminders queued.")


waves_cli = AppGroup("waves", help="Waves, recurring rounds and delivery status.")


def _name(wave: Wave) -> str:
    """A wave's name, or its start (UTC, ISO) when it was sent without one."""
    return wave.label or f"{wave.started_dt:%Y-%m-%d %H:%M} UTC"


@waves_cli.command("list")
@click.argument("slug")
def list_command(slug: str) -> None:
    """The waves of survey SLUG with their delivery figures."""
    survey, _ = _audience(slug, ())
    policy = Policy.for_survey(survey)
    waves = db.session.scalars(select(Wave).where(Wave.survey_id == survey.id)
                               .order_by(Wave.started_dt.desc()))
    for wave in waves:
        s = queries.wave_summary(wave).masked(policy)
        rate = "–" if s.response_rate is None else f"{s.response_rate:.0%}"
        click.echo(f"#{wave.id:<5} {_name(wave):<22} invited {s.invited:>6}  sent {s.sent:>6}  "
                   f"failed {s.failed + s.bounced:>5}  opened {_count(s.opened):>6}  "
                   f"answered {_count(s.answered):>6}  rate {rate}")


def _count(n: int | None) -> str:
    """A figure, or "–" where an anonymous survey's count is not shown."""
    return "–" if n is None else str(n)


@waves_cli.command("repeat")
@click.argument("slug")
@click.argument("cadence", type=click.Choice(["weekly", "monthly", "quarterly", "off"]))
@where_option
@click.option("--start", type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M"]), default=None,
              help="First round (UTC), default now.")
def repeat_command(slug: str, cadence: str, where: tuple[str, ...], start: datetime | None
                   ) -> None:
    """Send survey SLUG every week, month or quarter to its audience (or stop: off)."""
    survey, audience = _audience(slug, where)
    from datetime import UTC

    first = start.replace(tzinfo=UTC) if start else None
    try:
        services.set_cadence(survey, None if cadence == "off" else cadence, audience,
                             first_round_dt=first)
    except DomainError as error:
        raise CommandError(str(error)) from None
    record_cli("survey.cadence_set", survey, cadence=cadence)
    db.session.commit()
    if cadence == "off":
        click.echo(f"{slug}: no more recurring rounds.")
    else:
        click.echo(f"{slug}: {cadence} rounds to {audience.describe()}, next "
                   f"{survey.next_round_dt:%Y-%m-%d %H:%M} UTC (throttle {survey.throttle_days} "
                   "days).")
