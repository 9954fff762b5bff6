"""``polso demo``: sample surveys, people and a year of answers, then fresh links to try."""

from __future__ import annotations

import logging
import random
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from survey_app.accounts.services import create_user, find_user
from survey_app.core.db import db, utcnow
from survey_app.followups.models import FollowUp
from survey_app.followups.services import claim, resolve, transition
from survey_app.invitations.services import create_invitation
from survey_app.people.services import get_or_create_person
from survey_app.responses.services import Submission, record_response
from survey_app.surveys.models import QuestionKind, Survey
from survey_app.surveys.services import create_survey

SURVEYS = [
    {"kind": "nps", "slug": "acme-nps", "title": "Acme — how are we doing?", "is_public": True},
    {"kind": "csat", "slug": "support-csat", "title": "Your support request"},
    {"kind": "pulse", "slug": "team-pulse", "title": "Pulse del team", "locale": "it"},
]

COMMENTS = {
    "en": {
        "high": ["Great service, the team solved my problem fast.",
                 "Love the product, easy to use.", "Delivery was quick and the support friendly."],
        "mid": ["It's fine, but the app could be faster.", "Good overall, billing is confusing.",
                ""],
        "low": ["Terrible support, nobody answered my emails for a week.",
                "The refund took forever and the staff was rude.",
                "Too expensive for what it does."],
    },
    "it": {
        "high": ["Servizio ottimo, hanno risolto tutto in fretta.",
                 "Mi trovo benissimo con il team."],
        "mid": ["Nel complesso bene, ma la consegna è lenta.", ""],
        "low": ["Pessimo servizio, nessuno ha risposto alle mie email.",
                "Carico di lavoro insostenibile, troppi straordinari."],
    },
}
TEAMS = ["Support", "Sales", "Engineering", "Operations"]
#: One staff user per role, all with this password (documented in docs/roles.md).
DEMO_PASSWORD = "polso-demo"
DEMO_USERS = [("admin@example.com", "admin", "Ada Admin"), ("hr@example.com", "hr", "Hana HR"),
              ("support@example.com", "support", "Sam Support"),
              ("viewer@example.com", "viewer", "Vera Viewer")]
PLANS = ["free", "pro", "enterprise"]


@click.command("demo")
@with_appcontext
@click.option("--people", default=60, show_default=True, type=click.IntRange(5, 5000))
@click.option("--seed", default=7, show_default=True, type=int)
def demo_command(people: int, seed: int) -> None:
    """Load demo data (once) and print fresh personal links to try."""
    rng = random.Random(seed)
    fresh = db.session.scalar(select(Survey.id).where(Survey.slug == "acme-nps")) is None
    with _quiet(current_app.logger):  # the progress bar says it; a line per demo action would not
        if fresh:
            with click.progressbar(length=people * len(SURVEYS),
                                   label="Loading demo answers") as bar:
                for spec in SURVEYS:
                    survey = create_survey(**spec)
                    _answers(survey, people, rng, bar)
            db.session.commit()
        _demo_users()  # after the answers: no alert e-mails for a year of demo cases
        if fresh:
            _work_old_cases(rng)
    _print_links(rng)
    click.echo(f"Sign in at {current_app.config['BASE_URL'].rstrip('/')}/login "
               f"(password {DEMO_PASSWORD!r} for each):")
    for email, role, _name in DEMO_USERS:
        click.echo(f"  {role:<8} {email}")


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
    """One staff user per role, with the documented demo password."""
    for email, role, name in DEMO_USERS:
        if find_user(email) is None:
            create_user(email=email, role=role, password=DEMO_PASSWORD, name=name)
    db.session.commit()


def _work_old_cases(rng: random.Random) -> None:
    """Agents have already worked the cases older than two weeks, so the queue looks lived-in:
    most were resolved a day or two after they opened, a few closed without action."""
    agents = {"support": find_user("support@example.com"), "hr": find_user("hr@example.com")}
    cutoff = utcnow() - timedelta(days=14)
    old = db.session.scalars(select(FollowUp).where(FollowUp.created_dt < cutoff))
    for case in list(old):
        agent, start = agents[case.team], case.created_dt + timedelta(hours=rng.randint(1, 30))
        claim(case, agent, now=start)
        end = start + timedelta(hours=rng.randint(2, 40))
        if rng.random() < 0.9:
            resolve(case, rng.choice(["fixed", "refunded", "explained"]), by=agent,
                    note="Called the customer back.", now=end)
        else:
            transition(case, "closed", by=agent, note="Could not reach them.", now=end)
    db.session.commit()


def _answers(survey: Survey, count: int, rng: random.Random, bar) -> None:  # type: ignore[no-untyped-def]
    employees = survey.audience == "employees"
    now = utcnow()
    for i in range(count):
        locale = "it" if employees or i % 3 == 0 else "en"
        attributes = ({"department": rng.choice(TEAMS), "team": rng.choice(TEAMS)} if employees
                      else {"plan": rng.choice(PLANS), "region": rng.choice(["north", "south"])})
        person = get_or_create_person(
            f"{'employee' if employees else 'customer'}{i + 1}@example.com",
            name=f"Demo {'Employee' if employees else 'Customer'} {i + 1}",
            kind="employee" if employees else "customer", locale=locale, attributes=attributes)
        # Most answers spread over the year; some in the last days, so the queue has open cases.
        days = rng.randint(0, 9) if rng.random() < 0.2 else rng.randint(10, 365)
        moment = now - timedelta(days=days, minutes=rng.randint(0, 1440))
        invitation, token = create_invitation(survey, person, now=moment - timedelta(days=1))
        score = rng.choice(list(survey.score_range) + [survey.score_range[-1]] * 3)
        band = ("high" if score >= survey.score_range[-1] - 1
                else "low" if score <= survey.score_range[-1] // 2 else "mid")
        answers = {q.id: rng.randint(1, 5) for q in survey.extra_questions
                   if q.kind == QuestionKind.AGREEMENT}
        record_response(
            survey,
            Submission(score=score, comment=rng.choice(COMMENTS[locale][band]) or None,
                       answers=answers, locale=locale),
            token=token, channel="email", invitation=invitation, now=moment)
        bar.update(1)


def _print_links(rng: random.Random) -> None:
    base = current_app.config["BASE_URL"].rstrip("/")
    click.echo("\nTry Polso as a respondent (new personal links, valid 30 days):")
    for slug, email, locale in [("acme-nps", "try.customer@example.com", "en"),
                                ("support-csat", "prova.cliente@example.com", "it"),
                                ("team-pulse", "prova.dipendente@example.com", "it")]:
        survey = db.session.scalar(select(Survey).where(Survey.slug == slug))
        if survey is None:
            continue
        kind = "employee" if survey.audience == "employees" else "customer"
        person = get_or_create_person(email, kind=kind, locale=locale,
                                      attributes={"team": rng.choice(TEAMS)})
        _, token = create_invitation(survey, person)
        click.echo(f"  {survey.title:<32} {base}/s/{token}")
    click.echo(f"  {'Public link (anyone)':<32} {base}/p/acme-nps")
    click.echo(f"  {'Health check':<32} {base}/healthz\n")
    db.session.commit()
