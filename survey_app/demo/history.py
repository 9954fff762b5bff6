"""A year of the demo company: its people, the waves sent to them and the answers that came back.

Waves go through the real services (``send_wave``, ``record_response``) at their past dates;
only what the mail server would have done — accept, bounce, the reminder three days later —
is written directly, so no e-mail is left for the workers when the server starts.
"""

from __future__ import annotations

import random
from collections.abc import Hashable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from survey_app.core.db import db
from survey_app.core.delivery import DeliveryStatus
from survey_app.demo import data
from survey_app.invitations.models import Invitation, InvitationStatus
from survey_app.invitations.services import create_invitation
from survey_app.invitations.tracking import token_for_salt
from survey_app.people.models import Person
from survey_app.people.services import get_or_create_person
from survey_app.responses.models import Response
from survey_app.responses.services import Submission, record_response
from survey_app.surveys.models import QuestionKind, Survey, Wave
from survey_app.waves.audience import Audience, kind_for
from survey_app.waves.models import InvitationEmail
from survey_app.waves.services import Cadence, round_label, send_wave

#: Share of e-mails that bounce, and of people who open the link without answering.
BOUNCE_RATE, OPEN_ONLY_RATE = 0.02, 0.12


class Dealer(random.Random):
    """The demo's random source. Scores (and other outcomes whose shares tell the demo's story)
    are dealt from shuffled decks holding the wanted shares exactly, so every replayed year
    lands near the averages whatever the date and however few people there are."""

    def __init__(self, seed: int) -> None:
        super().__init__(seed)
        self._decks: dict[Hashable, list[Any]] = {}

    def deal(self, key: Hashable, weights: dict[Any, int]) -> Any:
        """The next card of ``key``'s deck (``weights`` cards of each outcome), reshuffled when
        it runs out."""
        deck = self._decks.setdefault(key, [])
        if not deck:
            deck += [outcome for outcome, weight in weights.items() for _ in range(weight)]
            self.shuffle(deck)
        return deck.pop()

    def score(self, survey: Survey) -> int:
        """The next score of ``survey``, as :data:`data.SCORE_WEIGHTS` share them out."""
        return self.deal(("score", survey.id), dict(zip(
            survey.score_range, data.SCORE_WEIGHTS[survey.kind], strict=True)))


def add_people(count: int, kind: str, rng: random.Random) -> None:
    """``count`` customers or employees with real-sounding names and their segments."""
    domain = "example.org" if kind == "employee" else "example.com"
    for _ in range(count):
        locale = "it" if rng.random() < (0.7 if kind == "employee" else 0.35) else "en"
        first, last = rng.choice(data.FIRST_NAMES[locale]), rng.choice(data.LAST_NAMES[locale])
        department = rng.choice(list(data.DEPARTMENTS))
        attributes = ({"department": department, "team": rng.choice(data.DEPARTMENTS[department])}
                      if kind == "employee" else
                      {"plan": rng.choice(data.PLANS), "country": rng.choice(data.COUNTRIES)})
        email = _free_address(f"{first}.{last}".lower(), domain)
        get_or_create_person(email, name=f"{first} {last}", kind=kind, locale=locale,
                             attributes=attributes)
    db.session.flush()


def _free_address(local: str, domain: str) -> str:
    taken = set(db.session.scalars(select(Person.email).where(Person.email.like(f"{local}%"))))
    email, n = f"{local}@{domain}", 2
    while email in taken:
        email, n = f"{local}{n}@{domain}", n + 1
    return email


def wave_starts(survey: Survey, now: datetime) -> list[datetime]:
    """When the survey's waves of :data:`data.WAVES` went out (09:00 UTC)."""
    return [(now - timedelta(days=days)).replace(hour=9, minute=0, second=0, microsecond=0)
            for days in data.WAVES.get(survey.slug, [])]


def send_wave_at(survey: Survey, start: datetime, now: datetime, rng: Dealer) -> Wave:
    """One wave to everybody, delivered and answered (named as a monthly round is, so each
    reader sees its month in their language)."""
    wave = send_wave(survey, Audience(kind_for(survey)), now=start,
                     label=round_label(start, Cadence.MONTHLY))
    invitations = db.session.scalars(select(Invitation).where(Invitation.wave_id == wave.id))
    for invitation in list(invitations):
        _deliver(survey, invitation, start, now, rng)
    return wave


def _deliver(survey: Survey, invitation: Invitation, start: datetime, now: datetime,
             rng: Dealer) -> None:
    email = db.session.scalars(select(InvitationEmail).where(
        InvitationEmail.invitation_id == invitation.id)).one()
    sent = start + timedelta(minutes=rng.randint(1, 30))
    email.attempts, email.claimed_dt = 1, sent
    draw = rng.random()
    if draw < BOUNCE_RATE:
        email.status, email.last_error = DeliveryStatus.BOUNCED, "550 5.1.1 mailbox unavailable"
        invitation.status, invitation.bounced_dt = InvitationStatus.BOUNCED, sent
        return
    email.status, email.sent_dt = DeliveryStatus.SENT, sent
    invitation.status, invitation.sent_dt = InvitationStatus.SENT, sent
    answered = sent + timedelta(hours=rng.randint(1, 96))
    if draw < BOUNCE_RATE + data.RESPONSE_RATES[survey.kind] and answered < now:
        answer(survey, invitation, token_for_salt(invitation.token_salt or ""), answered, rng)
        return
    if draw > 1 - OPEN_ONLY_RATE:
        invitation.status, invitation.opened_dt = InvitationStatus.OPENED, answered
    reminder = sent + timedelta(days=survey.reminder_after_days)
    if survey.reminder_count and reminder < now:
        db.session.add(InvitationEmail(invitation_id=invitation.id, sequence=1, attempts=1,
                                       status=DeliveryStatus.SENT, sent_dt=reminder,
                                       claimed_dt=reminder, created_dt=reminder,
                                       next_attempt_dt=reminder))
        invitation.reminder_count, invitation.last_mailed_dt = 1, reminder


def tickets(now: datetime, rng: random.Random) -> list[tuple[datetime, Person]]:
    """When each customer's support tickets were closed over the year (1–5 each)."""
    customers = db.session.scalars(select(Person).where(Person.kind == "customer")
                                   .order_by(Person.id))
    return [(now - timedelta(days=rng.randint(1, 360), minutes=rng.randint(0, 600)), person)
            for person in list(customers) for _ in range(rng.randint(1, 5))]


def send_ticket_survey(survey: Survey, person: Person, moment: datetime, now: datetime,
                       rng: Dealer) -> None:
    """CSAT: the help desk asks after a closed ticket (a link through the API, no wave); the
    answers that would come after ``now`` have not come yet."""
    invitation, token = create_invitation(survey, person, now=moment)
    invitation.sent_dt = moment
    answered = moment + timedelta(hours=rng.randint(1, 30))
    if rng.random() < data.RESPONSE_RATES[survey.kind] and answered < now:
        answer(survey, invitation, token, answered, rng)


def answer(survey: Survey, invitation: Invitation, token: str, moment: datetime,
           rng: Dealer) -> Response:
    """A plausible answer from the invitation's person, through ``record_response``."""
    person = invitation.person
    score = rng.score(survey)
    pool = "employees" if survey.audience == "employees" else survey.kind
    band = _band(survey, score)
    comments = data.COMMENTS[pool][band][person.locale]
    chance = {"low": 0.6, "mid": 0.35, "high": 0.4}[band]
    comment = rng.choice(comments) if rng.random() < chance else None
    submission = Submission(
        score=score, comment=comment, locale=person.locale,
        answers=_extra_answers(survey, score, person.locale, rng),
        contact_requested=survey.is_anonymous and rng.random() < (0.3 if band == "low" else 0.03))
    return record_response(survey, submission, token=token, channel="email",
                           invitation=invitation, now=moment)


def _band(survey: Survey, score: int) -> str:
    top = survey.score_range[-1]
    if top == 5:
        return "high" if score >= 4 else "mid" if score == 3 else "low"
    return "high" if score >= 9 else "mid" if score >= 7 else "low"


def _extra_answers(survey: Survey, score: int, locale: str,
                   rng: random.Random) -> dict[int, int | str]:
    answers: dict[int, int | str] = {}
    for question in survey.extra_questions:
        if question.kind == QuestionKind.AGREEMENT:
            answers[question.id] = max(1, min(5, round(score / 2.2) + rng.randint(-1, 1)))
        elif question.kind == QuestionKind.CHOICE:
            answers[question.id] = rng.randrange(len(question.choices or [None]))
        elif question.kind == QuestionKind.TEXT and rng.random() < 0.3:
            answers[question.id] = rng.choice(data.IDEAS[locale])
    return answers

