"""``polso demo``: a year in the life of a small company (Acme), loaded once; fresh links to try.

Customers answer a relationship NPS each quarter and a CSAT after support tickets, and buy
(detractors leave more often); employees a quarterly eNPS and a monthly Italian pulse. Scores
sit near industry averages, comments belong to their survey, agents of both teams have worked
the older cases (some late) and the newest wait in the queues; the audit log and the send
history are dated when things happened (docs/roles.md, "Demo").
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, time, timedelta
from functools import partial

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select

from survey_app.accounts.models import User
from survey_app.accounts.services import create_user, find_user
from survey_app.core.db import db, utcnow
from survey_app.demo import cases, data, history, purchases
from survey_app.invitations.models import Invitation
from survey_app.invitations.services import create_invitation
from survey_app.people.models import Person
from survey_app.people.services import get_or_create_person
from survey_app.retention.models import Activity
from survey_app.surveys.models import Survey
from survey_app.surveys.services import create_survey
from survey_app.waves.audience import Audience, kind_for
from survey_app.waves.services import set_cadence

#: Recurring surveys: cadence and days between rounds (the next round is one period after the
#: last demo wave).
CADENCES = {"enps": ("quarterly", 91), "team-pulse": ("monthly", 30)}


@click.command("demo")
@with_appcontext
@click.option("--people", default=60, show_default=True, type=click.IntRange(5, 5000),
              help="Customers, and as many employees.")
@click.option("--seed", default=7, show_default=True, type=int)
def demo_command(people: int, seed: int) -> None:
    """Load demo data (once) and print fresh personal links to try."""
    rng = history.Dealer(seed)
    fresh = db.session.scalar(select(Survey.id).where(Survey.slug == "acme-nps")) is None
    with _quiet(current_app.logger):  # the progress bar says it; a line per demo action would not
        _demo_users()
        if fresh:
            now = replay_until(utcnow())
            with _no_case_alerts():  # a year of red cases must not e-mail the staff today
                surveys = _load(people, rng, now)
                cases.work_cases(now, rng)
                cases.audit_history(surveys)
                purchases.add_purchases(now, rng)
                _people_joined_when_their_history_starts()
            db.session.commit()
    _print_links(rng)
    click.echo(f"Sign in at {current_app.config['BASE_URL'].rstrip('/')}/login "
               f"(password {data.DEMO_PASSWORD!r} for each):")
    for email, role, name in data.STAFF:
        click.echo(f"  {role:<8} {email:<26} {name}")


def _people_joined_when_their_history_starts() -> None:
    """Date each demo person from their first order or invitation, not from today: the health
    page's months before today would otherwise count nobody (a person counts from joining)."""
    firsts: dict[int, datetime] = {
        person_id: datetime.combine(day, time(), UTC) for person_id, day in db.session.execute(
            select(Activity.person_id, func.min(Activity.occurred_on))
            .group_by(Activity.person_id))}
    for person_id, moment in db.session.execute(
            select(Invitation.person_id, func.min(Invitation.created_dt))
            .group_by(Invitation.person_id)):
        firsts[person_id] = min(firsts.get(person_id, moment), moment)
    for person in db.session.scalars(select(Person).where(Person.id.in_(firsts))):
        person.created_dt = min(person.created_dt, firsts[person.id])


def replay_until(clock: datetime) -> datetime:
    """The moment the replayed year ends: the start of ``clock``'s day (UTC). Every date of the
    year is counted back from it and nothing happens after it, so the same seed gives the same
    company at any time of day, on any day (only the calendar moves), and nothing is dated in
    the future."""
    return clock.replace(hour=0, minute=0, second=0, microsecond=0)


def _load(people: int, rng: history.Dealer, now: datetime) -> list[Survey]:
    """People, surveys, then the year's waves and tickets in time order up to ``now``; before
    each, the agents finish the cases due by then (so their people are asked again, as in real
    life)."""
    history.add_people(people, "customer", rng)
    history.add_people(people, "employee", rng)
    surveys = [create_survey(**spec) for spec in data.SURVEYS]
    events: list[tuple[datetime, Callable[[], object]]] = []
    for survey in surveys:
        for name, value in data.SETTINGS.get(survey.slug, {}).items():
            setattr(survey, name, value)
        survey.created_dt = now - timedelta(days=max(data.WAVES.get(survey.slug, [365])) + 2)
        events += [(start, partial(history.send_wave_at, survey, start, now, rng))
                   for start in history.wave_starts(survey, now)]
        if survey.slug not in data.WAVES:
            events += [(moment, partial(history.send_ticket_survey, survey, person, moment,
                                        now, rng))
                       for moment, person in history.tickets(now, rng)]
    with click.progressbar(sorted(events, key=lambda event: event[0]),
                           label="Loading a year of answers") as bar:
        for moment, send in bar:
            cases.finish_due_cases(moment, rng)
            send()
    for survey in surveys:
        if survey.slug in CADENCES:
            cadence, period = CADENCES[survey.slug]
            set_cadence(survey, cadence, Audience(kind_for(survey)),
                        first_round_dt=max(history.wave_starts(survey, now)) + timedelta(
                            days=period), now=now)
    db.session.commit()
    return surveys


@contextmanager
def _no_case_alerts() -> Iterator[None]:
    """Staff alerts off while the past is replayed, back on afterwards."""
    staff = list(db.session.scalars(select(User).where(User.has_case_alerts.is_(True))))
    for user in staff:
        user.has_case_alerts = False
    try:
        yield
    finally:
        for user in staff:
            user.has_case_alerts = True


@contextmanager
def _quiet(logger: logging.Logger) -> Iterator[None]:
    """Only warnings from ``logger`` meanwhile."""
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


def _demo_users() -> None:
    """The staff, with the documented demo password."""
    for email, role, name in data.STAFF:
        if find_user(email) is None:
            create_user(email=email, role=role, password=data.DEMO_PASSWORD, name=name)
    db.session.commit()


def _print_links(rng: random.Random) -> None:
    base = current_app.config["BASE_URL"].rstrip("/")
    click.echo("\nTry Polso as a respondent (new personal links, valid 30 days):")
    for slug, email, name, locale in [
            ("acme-nps", "try.customer@example.com", "Alex Morgan", "en"),
            ("support-csat", "prova.cliente@example.com", "Paola Neri", "it"),
            ("enps", "try.employee@example.org", "Jamie Lee", "en"),
            ("team-pulse", "prova.dipendente@example.org", "Luisa Verdi", "it")]:
        survey = db.session.scalar(select(Survey).where(Survey.slug == slug))
        if survey is None:
            continue
        kind = "employee" if survey.audience == "employees" else "customer"
        attributes = ({"department": "Support", "team": "Tier 1"} if kind == "employee"
                      else {"plan": "pro", "country": "IT"})
        person = get_or_create_person(email, name=name, kind=kind, locale=locale,
                                      attributes=attributes)
        _, token = create_invitation(survey, person)
        click.echo(f"  {survey.title:<38} {base}/s/{token}")
    click.echo(f"  {'Public link (anyone)':<38} {base}/p/acme-nps")
    click.echo(f"  {'Health check':<38} {base}/healthz\n")
    db.session.commit()
