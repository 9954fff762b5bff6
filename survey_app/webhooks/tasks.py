"""Jobs: deliver, sweep (lost jobs, dead workers, retries due), daily summaries, owner notices.

New deliveries are handed to the workers once the transaction that wrote them commits and the
request is done (the ids are noted in the session by :func:`~survey_app.webhooks.events.emit`);
rows written elsewhere (CLI, jobs, held anonymous events) are found by the sweep within a
minute. huey dequeues at most once: the state lives in ``webhook_deliveries``, not the queue.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import after_this_request, current_app, has_request_context, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import event
from sqlalchemy.orm import Session

from survey_app.core import jobs, mail
from survey_app.core.db import db, utcnow
from survey_app.webhooks import delivery, summary
from survey_app.webhooks.events import PENDING
from survey_app.webhooks.models import (
    DeliveryState,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)

logger = logging.getLogger(__name__)

#: Fresh rows are handed off right after their commit; the sweep leaves them alone this long.
FRESH_GRACE = timedelta(minutes=1)
#: Most deliveries one sweep enqueues (the next sweep takes the rest).
SWEEP_LIMIT = 5000


def enqueue(ids: list[int]) -> None:
    for delivery_id in ids:
        deliver_webhook(delivery_id)


@jobs.task()
def deliver_webhook(delivery_id: int) -> str | None:
    """Send one delivery; a full endpoint (concurrency cap) has it tried again in a second."""
    outcome = delivery.deliver(delivery_id)
    if outcome is None:
        if _waiting_for_a_slot(delivery_id):
            deliver_webhook.schedule_in(1, delivery_id)
        return None
    if outcome.disabled_endpoint:
        notify_disabled(_endpoint_of(delivery_id))
    return outcome.state


def _waiting_for_a_slot(delivery_id: int) -> bool:
    row = db.session.get(WebhookDelivery, delivery_id)
    return (row is not None and row.state == DeliveryState.PENDING
            and row.next_attempt_dt is not None and row.next_attempt_dt <= utcnow())


def _endpoint_of(delivery_id: int) -> int:
    return db.session.scalar(sa.select(WebhookDelivery.endpoint_id)
                             .where(WebhookDelivery.id == delivery_id))


@jobs.periodic_task(jobs.crontab(minute="*"))
def sweep_webhooks() -> int:
    """Take back deliveries from dead workers, enqueue what is due; the count enqueued."""
    due = sweep()
    enqueue(due)
    return len(due)


def sweep(now: datetime | None = None) -> list[int]:
    """Put ``sending`` rows whose lease ran out back to ``pending`` (their worker died; the
    event may have arrived, so it goes again with the same id), and return the due ones."""
    now = now or utcnow()
    taken_back = db.session.execute(
        sa.update(WebhookDelivery)
        .where(WebhookDelivery.state == DeliveryState.SENDING,
               WebhookDelivery.claimed_dt < now - delivery.lease())
        .values(state=DeliveryState.PENDING, claim_token=None, next_attempt_dt=now,
                last_error="interrupted: the worker stopped before recording the answer")
        .execution_options(synchronize_session=False)).rowcount
    due = list(db.session.scalars(
        sa.select(WebhookDelivery.id)
        .where(WebhookDelivery.state == DeliveryState.PENDING,
               WebhookDelivery.next_attempt_dt <= now,
               sa.or_(WebhookDelivery.attempts > 0, WebhookDelivery.created_dt <= now - FRESH_GRACE,
                      WebhookDelivery.next_attempt_dt > WebhookDelivery.created_dt))
        .order_by(WebhookDelivery.next_attempt_dt, WebhookDelivery.id).limit(SWEEP_LIMIT)))
    db.session.commit()
    if taken_back:
        logger.warning("webhooks: %s deliveries taken back from workers whose lease ran out",
                       taken_back)
    return due


@jobs.periodic_task(jobs.crontab(minute="30", hour="3"))
def purge_webhook_events() -> int:
    """Delete events (payload snapshots hold personal data) older than ``WEBHOOK_KEEP_DAYS``
    whose deliveries are all finished, with their delivery log; the count deleted."""
    count = purge(utcnow())
    db.session.commit()
    return count


def purge(now: datetime) -> int:
    cutoff = now - timedelta(days=current_app.config["WEBHOOK_KEEP_DAYS"])
    unfinished = sa.select(WebhookDelivery.event_id).where(
        WebhookDelivery.state.in_((DeliveryState.PENDING, DeliveryState.SENDING)))
    old = sa.select(WebhookEvent.id).where(WebhookEvent.created_dt < cutoff,
                                           WebhookEvent.id.not_in(unfinished))
    db.session.execute(sa.delete(WebhookDelivery).where(WebhookDelivery.event_id.in_(old))
                       .execution_options(synchronize_session=False))
    deleted = db.session.execute(sa.delete(WebhookEvent).where(WebhookEvent.id.in_(old))
                                 .execution_options(synchronize_session=False)).rowcount
    if deleted:
        logger.info("webhooks: %s events older than %s deleted", deleted, cutoff.date())
    return deleted


@jobs.periodic_task(jobs.crontab(minute="0", hour="7"))
def send_daily_summaries() -> int:
    """Yesterday's figures of each survey to the Slack/Teams channels that asked for them."""
    count = summary.emit_daily(utcnow())
    ids = db.session.info.pop(PENDING, [])
    db.session.commit()
    enqueue(ids)
    return count


@jobs.task(retries=3, retry_delay=60)
def notify_disabled(endpoint_id: int) -> bool:
    """E-mail the owner of an endpoint disabled after a day of failures, in their language."""
    endpoint = db.session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or endpoint.created_by is None or endpoint.is_active:
        return False
    owner = endpoint.created_by
    with force_locale(owner.locale):
        subject = _("Polso stopped sending to a webhook endpoint")
        context = {"endpoint": endpoint, "subject": subject,
                   "hours": current_app.config["WEBHOOK_DISABLE_AFTER_HOURS"],
                   "url": current_app.config["BASE_URL"].rstrip("/")
                   + f"/settings/webhooks/{endpoint.id}"}
        message = mail.build_message(
            to=owner.email, subject=subject,
            text=render_template("emails/webhooks/disabled.txt", **context),
            html=render_template("emails/webhooks/disabled.html", **context))
    mail.send_email(message)
    logger.info("webhook endpoint %s: owner told it was disabled", endpoint_id)
    return True


# --- after-commit hand-off -----------------------------------------------------------------------


@event.listens_for(Session, "after_commit")
def _hand_off_after_request(session: Session) -> None:
    ids = session.info.pop(PENDING, None)
    if not ids or not has_request_context():
        return

    @after_this_request
    def _enqueue(response: Any) -> Any:
        try:
            enqueue(ids)
        except Exception:  # the commit stands; the sweep sends them within a minute
            logger.exception("could not enqueue webhook deliveries %s", ids)
        return response


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(PENDING, None)
