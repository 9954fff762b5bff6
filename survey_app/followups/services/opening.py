"""Opening and prioritising cases: called by ``responses`` after every answer is stored or
changed (the one upward call from ``responses`` into ``followups``), and by sentiment re-scores.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import current_app

from survey_app.accounts.models import User
from survey_app.core.db import db, utcnow
from survey_app.core.scoring import Category, is_happy
from survey_app.followups import notify, tasks
from survey_app.followups.models import (
    OPEN_STATUSES,
    CaseReason,
    CaseStatus,
    EventKind,
    FollowUp,
    FollowUpEvent,
    FollowUpMail,
    Priority,
    Team,
)
from survey_app.followups.signals import followup_opened
from survey_app.responses.models import Response

logger = logging.getLogger(__name__)


def case_reason(response: Response) -> CaseReason | None:
    """Why ``response`` needs a case, or ``None``.

    - an identified detractor (CSAT: dissatisfied) → ``detractor``;
    - an identified promoter/passive (CSAT: satisfied/neutral) with a negative comment →
      ``mismatch``;
    - an anonymous respondent who asked to be contacted → ``contact_request``; anonymous
      responses never open a case otherwise.
    """
    if response.is_anonymous:
        return CaseReason.CONTACT_REQUEST if response.is_contact_requested else None
    if response.person_id is None:
        return None  # public-link answers: nobody to get back to
    if not is_happy(response.category):
        return CaseReason.DETRACTOR
    return CaseReason.MISMATCH if response.is_mismatch else None


def priority_for(response: Response) -> Priority:
    """Red: unhappy with a negative comment, or a very low score (0–3 of 10, 1 of 5).

    Yellow: any other unhappy answer, or a happy score with a negative comment.
    Green: everything else (e.g. a content employee who asked to talk).
    """
    negative = response.sentiment_label == "negative"
    very_low = response.score <= (1 if response.category in (
        Category.SATISFIED, Category.NEUTRAL, Category.DISSATISFIED) else 3)
    if not is_happy(response.category):
        return Priority.RED if negative or very_low else Priority.YELLOW
    return Priority.YELLOW if negative else Priority.GREEN


def due_time(created: datetime, priority: str) -> datetime:
    """The SLA due time of a case of ``priority`` opened at ``created``."""
    return created + timedelta(hours=current_app.config["SLA_HOURS"][priority])


def open_or_update(response: Response, *, now: datetime | None = None) -> FollowUp | None:
    """Open the case ``response`` needs, or re-prioritise its open one after an edit.

    A case that is no longer needed after an edit stays open: an agent closes it. A new red
    case queues alert e-mails to its team (sent after the commit, see ``followups.tasks``).
    """
    if response.followup is not None:
        reprioritise(response.followup)
        return response.followup
    now = now or utcnow()
    followup = new_case(response, now)
    if followup is not None:
        alerts = new_case_alerts(followup, now)
        db.session.add(followup)
        db.session.add_all(alerts)
        db.session.flush()
        followup_opened.send(followup)
        logger.info("follow-up (%s, %s) opened", followup.reason, followup.priority)
    return followup


def new_case(response: Response, now: datetime) -> FollowUp | None:
    """The case a new ``response`` needs, with its "opened" event, not yet in the session."""
    reason = case_reason(response)
    if reason is None:
        return None
    priority = priority_for(response)
    followup = FollowUp(
        response=response,
        person_id=response.person_id,
        team=Team.HR if response.survey.audience == "employees" else Team.SUPPORT,
        reason=reason,
        priority=priority,
        status=CaseStatus.NEW,
        created_dt=now,
        due_dt=due_time(now, priority),
    )
    followup.events.append(FollowUpEvent(kind=EventKind.OPENED, new_value=priority,
                                         created_dt=now))
    return followup


def new_case_alerts(followup: FollowUp, now: datetime) -> list[FollowUpMail]:
    """A new red case's alert e-mails to its team, not yet in the session (none otherwise)."""
    if followup.priority != Priority.RED:
        return []
    return notify.alert_mails(followup, now, first=True)


def case_inserted(followup: FollowUp, alerts: list[FollowUpMail]) -> None:
    """After a new case and its alerts were inserted without a flush (``responses`` does, for
    speed): hand the alerts to the workers once the transaction commits. (Its webhook event
    was inserted with it: ``responses.signals.response_recording``.)"""
    tasks.send_after_commit([mail.id for mail in alerts])
    # Per answer, so debug: the queue and the alert e-mails are where new cases are seen.
    logger.debug("follow-up (%s, %s) opened", followup.reason, followup.priority)


#: A case that turns red this soon after opening, untouched, is alerted like a new red case.
ALERT_ON_CHANGE_WITHIN = timedelta(hours=24)


def reprioritise(followup: FollowUp) -> None:
    """Recompute an open case's priority (and due time) from its response.

    A case that becomes red is alerted only while it is fresh news — nobody has acted on it and
    it was opened within a day (a respondent's edit) — not when a sentiment re-score of old
    comments re-ranks hundreds of cases.
    """
    if followup.status not in OPEN_STATUSES:
        return
    priority = priority_for(followup.response)
    if priority != followup.priority:
        now = utcnow()
        followup.events.append(FollowUpEvent(kind=EventKind.PRIORITY, old_value=followup.priority,
                                             new_value=priority, created_dt=now))
        followup.priority = priority
        followup.due_dt = due_time(followup.created_dt, priority)
        if (priority == Priority.RED and followup.first_action_dt is None
                and followup.created_dt >= now - ALERT_ON_CHANGE_WITHIN):
            notify.queue_alert(followup, now)




def open_health_case(response: Response, *, note: str, by: User | None,
                     now: datetime | None = None) -> FollowUp | None:
    """A red case about ``response``'s author, whose health light is red (``note`` says why),
    on their latest answer: a new one, or its closed or resolved case reopened as new and red.
    No alert e-mails: a person asked for it. ``None`` if that answer's case is open already.
    """
    now = now or utcnow()
    case = response.followup
    if case is not None and case.status in OPEN_STATUSES:
        return None
    if case is None:
        case = FollowUp(response=response, person_id=response.person_id, team=Team.SUPPORT,
                        reason=CaseReason.HEALTH, status=CaseStatus.NEW, created_dt=now)
        case.events.append(FollowUpEvent(kind=EventKind.OPENED, new_value=Priority.RED,
                                         actor=by, created_dt=now))
        db.session.add(case)
    else:
        case.events.append(FollowUpEvent(kind=EventKind.STATUS, old_value=case.status,
                                         new_value=CaseStatus.NEW, actor=by, created_dt=now))
        case.status, case.outcome, case.ended_dt = CaseStatus.NEW, None, None
    case.priority, case.due_dt = Priority.RED, due_time(now, Priority.RED)
    case.events.append(FollowUpEvent(kind=EventKind.NOTE, body=note, actor=by, created_dt=now))
    db.session.flush()
    logger.info("follow-up %s opened from the health light", case.id)
    return case
