"""Jobs: send follow-up e-mails, sweep stuck ones, warn about due cases, the daily digest.

E-mails are rows of :class:`FollowUpMail` (their state lives there, not in the queue). Any
transaction may queue them — a respondent's answer opening a red case, an agent's reply — so
instead of asking every view to remember, this module watches the session: the ids of new rows
are noted at flush, and once the commit succeeds and the request is done they are handed to
the workers. Rows committed outside a request (CLI, jobs) wait for the sweep, at most a minute
or two. Each job commits its own work and is safe to run twice.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from flask import current_app, has_request_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from survey_app.core import jobs
from survey_app.core.db import db
from survey_app.core.delivery import chunks
from survey_app.followups import notify
from survey_app.followups.emails import FollowUpMailDeliverer
from survey_app.followups.models import FollowUpMail

logger = logging.getLogger(__name__)

#: ``Session.info`` key of the ids of FollowUpMail rows flushed in the current transaction.
_PENDING = "polso_followup_mail_ids"


def enqueue(ids: Sequence[int]) -> int:
    """Hand ``ids`` to the workers in batches of ``MAIL_BATCH_SIZE`` (one SMTP connection each)."""
    batches = chunks(list(ids), current_app.config["MAIL_BATCH_SIZE"])
    for batch in batches:
        send_followup_mails(batch)
    return len(batches)


@jobs.task()
def send_followup_mails(ids: list[int]) -> int:
    """Send these e-mails over one connection; rows already taken by another run are skipped."""
    return FollowUpMailDeliverer().run(ids).sent


@jobs.periodic_task(jobs.crontab(minute="*"))
def sweep_followup_mails() -> int:
    """Take back e-mails from dead workers and re-enqueue what is due (retries, lost jobs)."""
    return enqueue(FollowUpMailDeliverer().sweep())


@jobs.periodic_task(jobs.crontab(minute="*/15"))
def warn_due_cases() -> int:
    """E-mail the assignee (or the team) about cases about to miss their due time."""
    mails = notify.queue_sla_warnings()
    ids = [m.id for m in mails]
    db.session.commit()
    enqueue(ids)
    return len(ids)


@jobs.periodic_task(jobs.crontab(minute="5"))
def send_daily_digests() -> int:
    """Queue and send today's digests (hourly, so a worker that was down catches up)."""
    ids = notify.queue_digests()
    db.session.commit()
    enqueue(ids)
    return len(ids)


# --- after-commit hand-off -----------------------------------------------------------------------


def send_after_commit(ids: Sequence[int]) -> None:
    """Hand these new rows to the workers once the current transaction commits (rows flushed
    by the ORM are noted by themselves; rows inserted with plain statements are not)."""
    if ids:
        db.session.info.setdefault(_PENDING, []).extend(ids)


@event.listens_for(Session, "after_flush")
def _note_new_mails(session: Session, _context: Any) -> None:
    ids = [obj.id for obj in session.new if isinstance(obj, FollowUpMail)]
    if ids:
        session.info.setdefault(_PENDING, []).extend(ids)


@event.listens_for(Session, "after_commit")
def _hand_off_after_request(session: Session) -> None:
    ids = session.info.pop(_PENDING, None)
    if not ids or not has_request_context():
        return
    for batch in chunks(ids, current_app.config["MAIL_BATCH_SIZE"]):
        jobs.hand_off(send_followup_mails, batch)


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_PENDING, None)
