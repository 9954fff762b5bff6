"""Jobs: deliver, sweep (lost jobs, dead workers, retries due), daily summaries, owner notices.

An answer's events are handed to the workers once its transaction commits and the request is
done: one job routes them (:mod:`~survey_app.webhooks.routing`) and hands the endpoints that
got deliveries to delivery jobs, which send whatever is due to them in batches
(:mod:`~survey_app.webhooks.delivery`). Events written elsewhere (CLI, jobs, held anonymous
events) and retries are found by the sweep within a minute. huey dequeues at most once: the
state lives in ``webhook_events`` and ``webhook_deliveries``, not the queue.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app, has_request_context, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import event
from sqlalchemy.orm import Session

from survey_app.core import jobs, mail
from survey_app.core.db import db, utcnow
from survey_app.webhooks import delivery, routing, summary
from survey_app.webhooks.events import PENDING, ROUTE
from survey_app.webhooks.models import (
    DeliveryState,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)

logger = logging.getLogger(__name__)

#: Fresh rows are handed off right after their commit; the sweep leaves them alone this long.
FRESH_GRACE = timedelta(minutes=1)
#: Most due deliveries one sweep looks at (the next sweep takes the rest).
SWEEP_LIMIT = 5000
#: Batches one delivery job sends before a fresh job takes over its endpoint.
BATCHES_PER_JOB = 10


def enqueue(endpoint_ids: Iterable[int]) -> None:
    """Hand these endpoints' due deliveries to the workers: one job, whatever their number."""
    ids = sorted(set(endpoint_ids))
    if ids:
        deliver_webhooks(ids)


@jobs.task()
def deliver_webhooks(endpoint_ids: list[int]) -> None:
    """Deliver what is due to each endpoint, in runs of ``WEBHOOK_BATCH_SIZE``, until nothing
    is due or its cap refuses another run (the runs holding it claim again when they finish).

    Several endpoints fan out to one job each, so a slow receiver holds only its own. A job
    whose first batch is full adds one more job for the endpoint (a backlog: up to the cap of
    runs in parallel); after ``BATCHES_PER_JOB`` batches it hands the endpoint to a fresh job
    at the back of the queue, so other jobs get a worker in between.
    """
    if len(endpoint_ids) != 1:
        for endpoint_id in endpoint_ids:
            deliver_webhooks([endpoint_id])
        return
    [endpoint_id] = endpoint_ids
    size = current_app.config["WEBHOOK_BATCH_SIZE"]
    for batch in range(BATCHES_PER_JOB):
        now = utcnow()
        token, ids = delivery.claim_batch(endpoint_id, now, size)
        if not ids:
            return
        if batch == 0 and len(ids) == size:
            deliver_webhooks([endpoint_id])
        run = delivery.Run(token, ids, now)
        run.send_all()
        if run.disabled_endpoint:
            notify_disabled(endpoint_id)
            return
    deliver_webhooks([endpoint_id])


@jobs.task()
def route_webhook_events() -> None:
    """Write the deliveries of a batch of the events answers wrote and hand them to delivery
    jobs; a full batch hands the rest to a fresh job (delivery starts meanwhile)."""
    endpoint_ids, more = routing.route_batch()
    enqueue(endpoint_ids)
    if more:
        route_webhook_events()


def endpoints_of(delivery_ids: list[int]) -> list[int]:
    """The endpoints these deliveries go to (a job per endpoint sends all that is due)."""
    return list(db.session.scalars(sa.select(WebhookDelivery.endpoint_id).distinct()
                                   .where(WebhookDelivery.id.in_(delivery_ids))))


@jobs.periodic_task(jobs.crontab(minute="*"))
def sweep_webhooks() -> int:
    """Route the events due, take back deliveries from dead workers, hand over the endpoints
    with deliveries due; the count of those due."""
    routed = routing.route()
    due = sweep()
    enqueue(routed.union(endpoints_of(due)))
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
    old = sa.select(WebhookEvent.id).where(WebhookEvent.created_dt < cutoff, WebhookEvent.routed,
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
    endpoint_ids = db.session.info.pop(PENDING, set())
    db.session.commit()
    enqueue(endpoint_ids)
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
    endpoint_ids = session.info.pop(PENDING, None)
    route = session.info.pop(ROUTE, False)
    if not has_request_context():
        return
    if route:
        jobs.hand_off(route_webhook_events)
    if endpoint_ids:
        jobs.hand_off(deliver_webhooks, sorted(endpoint_ids))


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(PENDING, None)
    session.info.pop(ROUTE, None)
