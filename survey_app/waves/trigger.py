"""Invitations another system asks for (a ticket closed, an order shipped): one person or a
list, now or at a later time, decided by the same rules as a wave.

Who is skipped, first match wins: ``survey_closed`` / ``survey_draft`` (only active surveys
are sent, :func:`~survey_app.waves.services.check_sendable`), ``other_kind`` (an employee
asked by a customer survey or the other way round — a wave would not include them either),
then the wave's own reasons, in its order and from its one SQL expression
(:func:`~survey_app.waves.audience.skip_reason`): ``unsubscribed``, ``bounced``,
``throttled``, ``open_case``.

An invitation that is not skipped is ``queued`` with its first e-mail due at once (``sent``)
or at ``send_at`` (``scheduled``): the e-mail row's ``next_attempt_dt``. The caller commits,
then enqueues the e-mails (:func:`enqueue`); should that message be lost (huey dequeues at most
once), the delivery sweep sends every queued e-mail once it is due.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import insert, select

from survey_app.core.db import db, utcnow
from survey_app.core.delivery import DeliveryStatus
from survey_app.core.errors import DomainError
from survey_app.core.tokens import hash_token
from survey_app.invitations.models import Invitation, InvitationStatus
from survey_app.invitations.tracking import new_salt, token_for_salt
from survey_app.people.models import Person
from survey_app.surveys.models import Survey, SurveyStatus
from survey_app.waves import tasks
from survey_app.waves.audience import kind_for, skip_reason
from survey_app.waves.models import InvitationEmail

logger = logging.getLogger(__name__)

#: Latest ``send_at`` accepted, from now.
MAX_DELAY = timedelta(days=90)
#: Rows per INSERT statement.
_BATCH = 500


class Outcome(StrEnum):
    #: Queued to be sent now.
    SENT = "sent"
    #: Queued to be sent at ``send_at``.
    SCHEDULED = "scheduled"
    SKIPPED = "skipped"


#: Every reason a trigger may give for a skip, in the order they are checked.
SKIP_REASONS = ("survey_closed", "survey_draft", "other_kind", "unsubscribed", "bounced",
                "throttled", "open_case")


class TriggerError(DomainError):
    """The request cannot be carried out as given (a person twice, a time too far ahead)."""


@dataclass(frozen=True)
class Trigger:
    """What became of one person's invitation."""

    person: Person
    outcome: Outcome
    reason: str | None = None
    invitation_id: int | None = None
    email_id: int | None = None
    send_at: datetime | None = None


def trigger_invitations(survey: Survey, requests: Sequence[tuple[Person, datetime | None]], *,
                        now: datetime | None = None) -> list[Trigger]:
    """Invite each ``(person, send_at)`` not skipped (``send_at`` ``None`` or past: now);
    the results in the order given. Flushes; the caller commits, then calls :func:`enqueue`.

    :raises TriggerError: a person given twice, or ``send_at`` more than :data:`MAX_DELAY` ahead.
    """
    now = now or utcnow()
    ids = [person.id for person, _ in requests]
    if len(set(ids)) != len(ids):
        raise TriggerError("each person may be invited once per request")
    if any(at is not None and at > now + MAX_DELAY for _, at in requests):
        raise TriggerError(f"send_at may be at most {MAX_DELAY.days} days ahead")
    reasons = _skip_reasons(survey, [p for p, _ in requests], now)
    invited = [(p, at if at is not None and at > now else None) for p, at in requests
               if reasons[p.id] is None]
    made = _insert(survey, invited, now)
    results = []
    for person, _ in requests:
        if reasons[person.id] is not None:
            results.append(Trigger(person, Outcome.SKIPPED, reasons[person.id]))
            continue
        invitation_id, email_id, due = made[person.id]
        results.append(Trigger(person, Outcome.SCHEDULED if due else Outcome.SENT, None,
                               invitation_id, email_id, due or now))
    logger.info("survey %s: %s of %s triggered invitations queued", survey.id, len(invited),
                len(requests))
    return results


def _skip_reasons(survey: Survey, people: list[Person], now: datetime) -> dict[int, str | None]:
    """Why each person is skipped (``None``: invited); the wave's reasons in one query."""
    if survey.status != SurveyStatus.ACTIVE:
        reason = "survey_closed" if survey.status == SurveyStatus.CLOSED else "survey_draft"
        return {p.id: reason for p in people}
    kind = kind_for(survey)
    reasons: dict[int, str | None] = {p.id: "other_kind" for p in people if p.kind != kind}
    asked = [p.id for p in people if p.id not in reasons]
    expression = skip_reason(survey, now)
    for start in range(0, len(asked), _BATCH):
        reasons.update(db.session.execute(
            select(Person.id, expression).where(Person.id.in_(asked[start:start + _BATCH]))
        ).tuples().all())
    return reasons


def _insert(survey: Survey, invited: list[tuple[Person, datetime | None]],
            now: datetime) -> dict[int, tuple[int, int, datetime | None]]:
    """Insert the invitations and their first e-mails: ``{person id: (invitation id, e-mail id,
    send_at or None)}``. The link lives ``link_lifetime_days`` from its e-mail's sending."""
    due = {person.id: at for person, at in invited}
    lifetime = timedelta(days=survey.link_lifetime_days)
    made: dict[int, tuple[int, int, datetime | None]] = {}
    for start in range(0, len(invited), _BATCH):
        chunk = invited[start:start + _BATCH]
        rows = []
        for person, at in chunk:
            salt = new_salt()
            sent = at or now
            rows.append({"survey_id": survey.id, "person_id": person.id, "wave_id": None,
                         "token_hash": hash_token(token_for_salt(salt)), "token_salt": salt,
                         "status": InvitationStatus.QUEUED, "created_dt": now,
                         "expires_dt": sent + lifetime, "last_mailed_dt": sent,
                         "reminder_count": 0})
        # Rows are matched by person and invitation, not by order: SQLite then batches them.
        invitations = dict(db.session.execute(
            insert(Invitation).returning(Invitation.person_id, Invitation.id), rows
        ).tuples().all())
        emails = db.session.execute(
            insert(InvitationEmail).returning(InvitationEmail.invitation_id, InvitationEmail.id),
            [{"invitation_id": invitations[person.id], "sequence": 0,
              "status": DeliveryStatus.QUEUED, "attempts": 0,
              "next_attempt_dt": at or now, "created_dt": now} for person, at in chunk]
        ).tuples().all()
        email_of = dict(emails)
        for person, _ in chunk:
            invitation_id = invitations[person.id]
            made[person.id] = (invitation_id, email_of[invitation_id], due[person.id])
    return made


def enqueue(results: Sequence[Trigger], now: datetime | None = None) -> None:
    """After the commit: hand the e-mails due now to the workers, and the scheduled ones to
    huey for their time (the sweep sends them anyway should a message be lost)."""
    now = now or utcnow()
    tasks.enqueue_emails([r.email_id for r in results
                          if r.outcome == Outcome.SENT and r.email_id is not None])
    by_time: dict[datetime, list[int]] = {}
    for result in results:
        if result.outcome == Outcome.SCHEDULED and result.email_id is not None:
            by_time.setdefault(result.send_at or now, []).append(result.email_id)
    for moment, ids in sorted(by_time.items()):
        tasks.send_invitation_emails.schedule_in(max((moment - now).total_seconds(), 0), ids)
