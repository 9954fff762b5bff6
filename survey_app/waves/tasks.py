"""Jobs: send a wave's e-mails, sweep stuck ones, queue reminders, start recurring rounds.

Each job commits its own work (a job is a boundary, like a view) and is safe to run twice.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from flask import current_app

from survey_app.core import jobs
from survey_app.core.db import db
from survey_app.core.delivery import chunks
from survey_app.surveys.models import Wave
from survey_app.waves import services
from survey_app.waves.emails import InvitationDeliverer

logger = logging.getLogger(__name__)


def enqueue_emails(ids: Sequence[int]) -> int:
    """Hand ``ids`` to the workers in batches of ``MAIL_BATCH_SIZE`` (one SMTP connection each)."""
    batches = chunks(ids, current_app.config["MAIL_BATCH_SIZE"])
    for batch in batches:
        send_invitation_emails(batch)
    return len(batches)


@jobs.task()
def deliver_wave(wave_id: int) -> int:
    """Enqueue the wave's queued e-mails (after the commit that created them)."""
    wave = db.session.get(Wave, wave_id)
    if wave is None:
        return 0
    ids = services.queued_email_ids(wave)
    db.session.commit()
    return enqueue_emails(ids)


@jobs.task()
def send_invitation_emails(ids: list[int]) -> int:
    """Send these e-mails over one SMTP connection; rows already taken are skipped."""
    return InvitationDeliverer().run(ids).sent


@jobs.periodic_task(jobs.crontab(minute="*"))
def sweep_invitation_emails() -> int:
    """Take back e-mails from dead workers and re-enqueue what is due (retries, lost jobs)."""
    return enqueue_emails(InvitationDeliverer().sweep())


@jobs.periodic_task(jobs.crontab(minute="*/5"))
def queue_reminders() -> int:
    """Queue the reminders that are due and enqueue them."""
    ids = services.queue_due_reminders()
    db.session.commit()
    enqueue_emails(ids)
    return len(ids)


@jobs.periodic_task(jobs.crontab(minute="*/5"))
def start_recurring_rounds() -> int:
    """Start the recurring rounds that are due."""
    waves = services.start_due_rounds()
    db.session.commit()
    for wave in waves:
        deliver_wave(wave.id)
    return len(waves)
