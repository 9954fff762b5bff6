"""Sending waves, queuing reminders and starting recurring rounds — with an injectable clock.

Every function takes ``now`` (tests drive time with it), flushes and never commits; the caller
commits and then enqueues the e-mails (:mod:`survey_app.waves.tasks`).
"""

from __future__ import annotations

import calendar
import logging
import re
from datetime import date, datetime, timedelta
from enum import StrEnum

from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import and_, case, exists, insert, literal, select, update

from survey_app.core.db import UTCDateTime, db, utcnow
from survey_app.core.delivery import DeliveryStatus
from survey_app.core.errors import DomainError
from survey_app.core.tokens import hash_token
from survey_app.invitations.models import Invitation, InvitationStatus
from survey_app.invitations.tracking import new_salt, token_for_salt
from survey_app.people.models import Person
from survey_app.surveys.models import Survey, SurveyStatus, Wave
from survey_app.waves.audience import Audience, invitee_ids
from survey_app.waves.models import InvitationEmail

logger = logging.getLogger(__name__)

#: Invitations inserted per statement.
INSERT_BATCH = 1000


class Cadence(StrEnum):
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"


#: The shortest period of each cadence (days): the throttle must stay below it.
SHORTEST_PERIOD_DAYS = {Cadence.WEEKLY: 7, Cadence.MONTHLY: 28, Cadence.QUARTERLY: 89}


class WaveError(DomainError):
    """The survey cannot be sent now (draft or closed)."""


def check_sendable(survey: Survey) -> None:
    """:raises WaveError: only active surveys are sent."""
    if survey.status != SurveyStatus.ACTIVE:
        raise WaveError(f"survey {survey.slug!r} is {survey.status}: only active surveys are sent")


def send_wave(
    survey: Survey,
    audience: Audience,
    *,
    now: datetime | None = None,
    label: str | None = None,
    scheduled_dt: datetime | None = None,
) -> Wave:
    """Create a wave, an invitation for each person of ``audience`` not skipped, and their
    queued e-mails. Enqueue ``deliver_wave(wave.id)`` after the commit.

    :raises WaveError: the survey is not active.
    """
    check_sendable(survey)
    now = now or utcnow()
    wave = Wave(survey_id=survey.id, label=label or "",
                started_dt=now, audience_filter=audience.as_dict(), scheduled_dt=scheduled_dt)
    db.session.add(wave)
    db.session.flush()
    people = invitee_ids(survey, audience, now)
    expires = now + timedelta(days=survey.link_lifetime_days)
    for start in range(0, len(people), INSERT_BATCH):
        rows = []
        for person_id in people[start:start + INSERT_BATCH]:
            salt = new_salt()
            rows.append({"survey_id": survey.id, "person_id": person_id, "wave_id": wave.id,
                         "token_hash": hash_token(token_for_salt(salt)), "token_salt": salt,
                         "status": InvitationStatus.QUEUED, "created_dt": now,
                         "expires_dt": expires, "last_mailed_dt": now, "reminder_count": 0})
        db.session.execute(insert(Invitation), rows)
    db.session.execute(insert(InvitationEmail).from_select(
        ["invitation_id", "sequence", "status", "attempts", "next_attempt_dt", "created_dt"],
        select(Invitation.id, literal(0), literal(DeliveryStatus.QUEUED.value), literal(0),
               literal(now, UTCDateTime()), literal(now, UTCDateTime()))
        .where(Invitation.wave_id == wave.id)))
    db.session.flush()
    logger.info("wave %s of survey %s: %s invitations queued", wave.id, survey.id, len(people))
    return wave


def queued_email_ids(wave: Wave) -> list[int]:
    """The wave's e-mails still waiting to be sent."""
    return list(db.session.scalars(
        select(InvitationEmail.id).join(Invitation)
        .where(Invitation.wave_id == wave.id, InvitationEmail.status == DeliveryStatus.QUEUED)
        .order_by(InvitationEmail.id)))


# --- reminders ------------------------------------------------------------------------------


def queue_due_reminders(now: datetime | None = None) -> list[int]:
    """Queue the reminders due ``now``; returns the new e-mail ids to enqueue.

    A reminder goes to an invitation of an **active** survey that has not been answered, is
    still valid, whose previous e-mail was delivered at least ``reminder_after_days`` ago, and
    that has had fewer than the survey's ``reminder_count`` reminders; its person is neither
    unsubscribed nor bounced. Each reminder extends the link to ``now + link_lifetime_days``.
    Running this twice at the same time queues each reminder once.
    """
    now = now or utcnow()
    new_ids: list[int] = []
    surveys = db.session.scalars(select(Survey).where(
        Survey.status == SurveyStatus.ACTIVE, Survey.reminder_count > 0))
    for survey in list(surveys):
        new_ids += _remind(survey, now)
    return new_ids


def _remind(survey: Survey, now: datetime) -> list[int]:
    cutoff = now - timedelta(days=survey.reminder_after_days)
    delivered = exists().where(InvitationEmail.invitation_id == Invitation.id,
                               InvitationEmail.sequence == Invitation.reminder_count,
                               InvitationEmail.status == DeliveryStatus.SENT)
    candidates = db.session.execute(
        select(Invitation.id, Invitation.reminder_count)
        .join(Person, Person.id == Invitation.person_id)
        .where(Invitation.survey_id == survey.id,
               Invitation.status.in_([InvitationStatus.SENT, InvitationStatus.OPENED]),
               Invitation.reminder_count < survey.reminder_count,
               Invitation.last_mailed_dt <= cutoff,
               Invitation.expires_dt > now,
               Person.unsubscribed_dt.is_(None), Person.bounced_dt.is_(None),
               delivered)).all()
    by_count: dict[int, list[int]] = {}
    for invitation_id, count in candidates:
        by_count.setdefault(count, []).append(invitation_id)
    new_expiry = now + timedelta(days=survey.link_lifetime_days)
    created: list[int] = []
    for count, ids in by_count.items():
        for start in range(0, len(ids), INSERT_BATCH):
            chunk = ids[start:start + INSERT_BATCH]
            # Only rows still at ``count`` move on: a concurrent run takes each row once.
            taken = list(db.session.scalars(
                update(Invitation)
                .where(Invitation.id.in_(chunk), Invitation.reminder_count == count)
                .values(reminder_count=count + 1, last_mailed_dt=now,
                        expires_dt=case((Invitation.expires_dt < new_expiry, new_expiry),
                                        else_=Invitation.expires_dt))
                .returning(Invitation.id)
                .execution_options(synchronize_session=False)))
            if not taken:
                continue
            created += db.session.scalars(
                insert(InvitationEmail).returning(InvitationEmail.id),
                [{"invitation_id": i, "sequence": count + 1, "status": DeliveryStatus.QUEUED,
                  "attempts": 0, "next_attempt_dt": now, "created_dt": now} for i in taken],
            ).all()
    db.session.flush()
    if created:
        logger.info("survey %s: %s reminders queued", survey.id, len(created))
    return created


# --- recurring rounds -----------------------------------------------------------------------


def set_cadence(
    survey: Survey,
    cadence: str | None,
    audience: Audience | None = None,
    *,
    first_round_dt: datetime | None = None,
    now: datetime | None = None,
) -> None:
    """Make ``survey`` repeat (``weekly``, ``monthly``, ``quarterly``) or stop (``None``).

    The first round is due at ``first_round_dt`` (default: now). The survey's throttle is
    lowered below the period if needed — otherwise every round would skip everyone the last
    round asked.

    :raises WaveError: unknown cadence, or no audience for a repeating survey.
    """
    if cadence is None:
        survey.cadence = survey.next_round_dt = survey.cadence_audience = None
        db.session.flush()
        return
    if cadence not in set(Cadence):
        raise WaveError(f"cadence must be weekly, monthly or quarterly, not {cadence!r}")
    if audience is None:
        raise WaveError("a repeating survey needs an audience")
    survey.cadence = cadence
    survey.cadence_audience = audience.as_dict()
    survey.next_round_dt = first_round_dt or now or utcnow()
    survey.throttle_days = min(survey.throttle_days, SHORTEST_PERIOD_DAYS[Cadence(cadence)] - 1)
    db.session.flush()


def next_round(moment: datetime, cadence: str) -> datetime:
    """The due time one period after ``moment`` (months keep the day, clamped to the month)."""
    if cadence == Cadence.WEEKLY:
        return moment + timedelta(days=7)
    months = 1 if cadence == Cadence.MONTHLY else 3
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def round_label(moment: datetime, cadence: str) -> str:
    """``2026-W48``, ``2026-11`` or ``2026-Q4``: how trends name the round."""
    if cadence == Cadence.WEEKLY:
        year, week, _weekday = moment.isocalendar()
        return f"{year}-W{week:02d}"
    if cadence == Cadence.MONTHLY:
        return f"{moment.year}-{moment.month:02d}"
    return f"{moment.year}-Q{(moment.month - 1) // 3 + 1}"


_ROUND = re.compile(r"(\d{4})-(?:(\d{2})|W(\d{2})|Q([1-4]))")


def round_name(label: str) -> str:
    """A wave's name for the reader: an automatic round's label (:func:`round_label`) in their
    language ("novembre 2026", "week 48, 2026", "Q4 2026"); any other label as it was written."""
    match = _ROUND.fullmatch(label)
    if match is None:
        return label
    year, month, week, quarter = match.groups()
    if month and 1 <= int(month) <= 12:
        return format_date(date(int(year), int(month), 1), "LLLL y")
    if week:
        return _("week %(week)s, %(year)s", week=int(week), year=year)
    if quarter:
        return _("Q%(quarter)s %(year)s", quarter=quarter, year=year)
    return label


def start_due_rounds(now: datetime | None = None) -> list[Wave]:
    """Send the round of every repeating survey that is due ``now``; returns the new waves.

    Missed rounds (the scheduler was down) are not sent one after another: only the latest due
    round is. Two schedulers racing start each round once (the survey's ``next_round_dt`` is
    moved with a compare-and-set, and a wave is unique per survey and ``scheduled_dt``).
    """
    now = now or utcnow()
    waves = []
    due = db.session.scalars(select(Survey).where(
        Survey.status == SurveyStatus.ACTIVE, Survey.cadence.is_not(None),
        Survey.next_round_dt <= now).order_by(Survey.id))
    for survey in list(due):
        wave = _start_round(survey, now)
        if wave is not None:
            waves.append(wave)
    return waves


def _start_round(survey: Survey, now: datetime) -> Wave | None:
    scheduled = survey.next_round_dt
    assert scheduled is not None and survey.cadence is not None
    while next_round(scheduled, survey.cadence) <= now:
        scheduled = next_round(scheduled, survey.cadence)
    moved = db.session.execute(
        update(Survey)
        .where(and_(Survey.id == survey.id, Survey.next_round_dt == survey.next_round_dt))
        .values(next_round_dt=next_round(scheduled, survey.cadence))
        .execution_options(synchronize_session=False)).rowcount
    if moved != 1:
        return None  # another scheduler took this round
    db.session.refresh(survey)
    audience = Audience.from_dict(survey.cadence_audience or {"kind": "customer"})
    wave = send_wave(survey, audience, now=now, label=round_label(scheduled, survey.cadence),
                     scheduled_dt=scheduled)
    logger.info("recurring round %s of survey %s started", wave.label, survey.id)
    return wave
