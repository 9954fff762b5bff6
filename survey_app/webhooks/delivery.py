"""Sending one delivery: claim (a lease, capped per endpoint), sign, POST, record the answer.

- **claim**: ``pending`` and due → ``sending`` with this run's token, if fewer than
  ``WEBHOOK_MAX_CONCURRENCY`` of the endpoint's deliveries are ``sending`` within their lease
  (the endpoint's row is locked for the count, so the cap holds across workers on PostgreSQL;
  SQLite writes one at a time anyway). Committed before the request goes out.
- **send**: ``httpx`` through :class:`~survey_app.webhooks.ssrf.GuardedTransport`, explicit
  connect/read timeouts, redirects never followed, at most 64 KiB of the answer read and
  never kept.
- **record**: 2xx → ``delivered``. Network error, timeout, 408, 409, 429, 5xx → ``pending``
  again after an exponential back-off with jitter (or ``Retry-After``), until the event is
  ``WEBHOOK_RETRY_HOURS`` old → ``failed``. Any other answer → ``failed`` at once. Every write
  matches the run's token: a run whose lease ran out records nothing.
- An endpoint whose deliveries have failed for ``WEBHOOK_DISABLE_AFTER_HOURS`` without one
  success is disabled and its owner e-mailed.

A worker killed after sending and before recording leaves the row ``sending``; the sweep puts
it back once the lease ran out, and the event goes again with the same ``webhook-id``.
"""

from __future__ import annotations

import json
import logging
import random
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
import sqlalchemy as sa
from flask import current_app

from survey_app.core.db import db, utcnow
from survey_app.webhooks import chat, signing
from survey_app.webhooks.models import (
    DeliveryState,
    EndpointKind,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from survey_app.webhooks.ssrf import GuardedTransport, RefusedConnectError

logger = logging.getLogger(__name__)

#: Answers worth another try (besides no answer at all).
RETRY_STATUSES = frozenset({408, 409, 429})
#: The most of a receiver's answer read (to keep the connection reusable); never stored.
MAX_BODY_READ = 64 * 1024
USER_AGENT = "Polso-Webhooks/1.0"

def client() -> httpx.Client:
    """This app's HTTP client (one connection pool per process and app), built on first use."""
    http = current_app.extensions.get("polso_webhook_client")
    if http is None:
        config = current_app.config
        http = current_app.extensions["polso_webhook_client"] = httpx.Client(
            transport=GuardedTransport(retries=0),
            timeout=httpx.Timeout(config["WEBHOOK_READ_TIMEOUT"],
                                  connect=config["WEBHOOK_CONNECT_TIMEOUT"], pool=5.0),
            follow_redirects=False, trust_env=False,
            headers={"User-Agent": USER_AGENT})
    return http


@dataclass
class Outcome:
    """What one attempt gave, as shown on the deliveries page."""

    state: str
    status_code: int | None = None
    error: str | None = None
    duration_ms: int = 0
    next_attempt_dt: datetime | None = None
    #: This failure disabled the endpoint (24 h without a success): its owner is told.
    disabled_endpoint: bool = False


def claim(delivery_id: int, now: datetime) -> str | None:
    """Take the delivery for this run and commit; its token, or ``None`` (not due, not
    pending, or the endpoint is at its concurrency cap)."""
    endpoint_id = db.session.scalar(sa.select(WebhookDelivery.endpoint_id).where(
        WebhookDelivery.id == delivery_id, WebhookDelivery.state == DeliveryState.PENDING,
        WebhookDelivery.next_attempt_dt <= now))
    if endpoint_id is None:
        db.session.rollback()
        return None
    db.session.execute(sa.select(WebhookEndpoint.id).where(WebhookEndpoint.id == endpoint_id)
                       .with_for_update())
    lease_start = now - lease()
    busy = sa.select(sa.func.count()).select_from(WebhookDelivery).where(
        WebhookDelivery.endpoint_id == endpoint_id,
        WebhookDelivery.state == DeliveryState.SENDING,
        WebhookDelivery.claimed_dt > lease_start).scalar_subquery()
    token = secrets.token_hex(16)
    taken = db.session.execute(
        sa.update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id, WebhookDelivery.state == DeliveryState.PENDING,
               WebhookDelivery.next_attempt_dt <= now,
               busy < current_app.config["WEBHOOK_MAX_CONCURRENCY"])
        .values(state=DeliveryState.SENDING, claim_token=token, claimed_dt=now,
                attempts=WebhookDelivery.attempts + 1)
        .execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    return token if taken == 1 else None


def lease() -> timedelta:
    return timedelta(seconds=current_app.config["WEBHOOK_LEASE_SECONDS"])


def deliver(delivery_id: int, *, now: datetime | None = None, retry: bool = True
            ) -> Outcome | None:
    """Claim, send and record one delivery (commits); ``None`` if it was not ours to send.

    ``retry=False`` (the test event): a failure is final, the page shows it at once.
    """
    now = now or utcnow()
    token = claim(delivery_id, now)
    if token is None:
        return None
    row = db.session.execute(
        sa.select(WebhookDelivery, WebhookEvent, WebhookEndpoint)
        .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(WebhookDelivery.id == delivery_id)).one()
    delivery, event, endpoint = row
    if not endpoint.is_active:
        outcome = Outcome(DeliveryState.FAILED, error="endpoint disabled")
    else:
        outcome = _send(endpoint, event, delivery.attempts)
        if outcome.state == DeliveryState.PENDING:
            outcome = _retry_or_give_up(outcome, event, delivery.attempts, now, retry)
    _record(delivery, endpoint, token, outcome, utcnow())
    return outcome


def _send(endpoint: WebhookEndpoint, event: WebhookEvent, attempt: int) -> Outcome:
    body = _body(endpoint, event)
    headers = {"Content-Type": "application/json"}
    if endpoint.kind == EndpointKind.WEBHOOK:
        headers.update(signing.headers(secrets_for(endpoint, utcnow()), event.id, utcnow(), body))
    started = time.perf_counter()
    try:
        with client().stream("POST", endpoint.url, content=body.encode(),
                             headers=headers) as answer:
            read = 0
            for chunk in answer.iter_raw():
                read += len(chunk)
                if read > MAX_BODY_READ:
                    break
    except RefusedConnectError as error:
        return Outcome(DeliveryState.FAILED, error=f"refused: {error}"[:300],
                       duration_ms=_ms(started))
    except httpx.InvalidURL:
        return Outcome(DeliveryState.FAILED, error="refused: not a valid URL",
                       duration_ms=_ms(started))
    except httpx.TimeoutException:
        return Outcome(DeliveryState.PENDING, error="timed out", duration_ms=_ms(started))
    except httpx.HTTPError as error:
        return Outcome(DeliveryState.PENDING, error=f"network error: {type(error).__name__}",
                       duration_ms=_ms(started))
    code = answer.status_code
    outcome = Outcome(DeliveryState.DELIVERED, code, duration_ms=_ms(started))
    if 200 <= code < 300:
        return outcome
    outcome.error = f"HTTP {code}"
    if code in RETRY_STATUSES or code >= 500:
        outcome.state = DeliveryState.PENDING
        outcome.next_attempt_dt = _retry_after(answer.headers.get("Retry-After"))
    else:
        outcome.state = DeliveryState.FAILED
        if 300 <= code < 400:
            outcome.error = f"HTTP {code} (redirects are not followed)"
    return outcome


def _body(endpoint: WebhookEndpoint, event: WebhookEvent) -> str:
    if endpoint.kind == EndpointKind.WEBHOOK:
        return json.dumps(event.payload, separators=(",", ":"), ensure_ascii=False)
    return json.dumps(chat.message(endpoint, event.payload), ensure_ascii=False)


def secrets_for(endpoint: WebhookEndpoint, now: datetime) -> list[str]:
    """The secrets that sign now: the current one, and the previous one for 24 h after a
    rotation."""
    keys = [endpoint.secret]
    if (endpoint.previous_secret and endpoint.previous_secret_expires_dt
            and endpoint.previous_secret_expires_dt > now):
        keys.append(endpoint.previous_secret)
    return keys


def _ms(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)


def _retry_after(value: str | None) -> datetime | None:
    """``Retry-After`` as a time (seconds or an HTTP date), at most 6 hours away."""
    if not value:
        return None
    now = utcnow()
    try:
        at = now + timedelta(seconds=int(value.strip()))
    except ValueError:
        try:
            at = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if at.tzinfo is None:
            return None
    return min(max(at, now), now + timedelta(hours=6))


def backoff(attempts: int) -> timedelta:
    """``WEBHOOK_RETRY_SECONDS`` × 4^(attempts−1), at most 6 hours, ±25 % jitter."""
    base = current_app.config["WEBHOOK_RETRY_SECONDS"] * 4 ** max(attempts - 1, 0)
    return timedelta(seconds=min(base, 6 * 3600) * random.uniform(0.75, 1.25))


def _retry_or_give_up(outcome: Outcome, event: WebhookEvent, attempts: int, now: datetime,
                      retry: bool) -> Outcome:
    next_at = max(outcome.next_attempt_dt or now, now + backoff(attempts))
    deadline = event.created_dt + timedelta(hours=current_app.config["WEBHOOK_RETRY_HOURS"])
    if not retry or next_at > deadline:
        outcome.state = DeliveryState.FAILED
        outcome.error = f"{outcome.error}; given up after {attempts} attempt(s)"
        outcome.next_attempt_dt = None
    else:
        outcome.next_attempt_dt = next_at
    return outcome


_RECORD = (sa.update(WebhookDelivery.__table__)
           .where(WebhookDelivery.__table__.c.id == sa.bindparam("_id"),
                  WebhookDelivery.__table__.c.claim_token == sa.bindparam("_token")))


def _record(delivery: WebhookDelivery, endpoint: WebhookEndpoint, token: str,
            outcome: Outcome, now: datetime) -> None:
    """Write the attempt's result (if the lease is still ours) and the endpoint's health."""
    values: dict[str, Any] = {
        "state": outcome.state, "claim_token": None, "status_code": outcome.status_code,
        "duration_ms": outcome.duration_ms, "last_error": outcome.error,
        "next_attempt_dt": outcome.next_attempt_dt}
    if outcome.state == DeliveryState.DELIVERED:
        values["delivered_dt"] = now
    recorded = db.session.execute(_RECORD.values(**values),
                                  {"_id": delivery.id, "_token": token}).rowcount
    if recorded != 1:
        logger.warning("webhook delivery %s: lease lost meanwhile; result not recorded",
                       delivery.id)
    elif outcome.state == DeliveryState.DELIVERED:
        if endpoint.failing_since_dt is not None:
            endpoint.failing_since_dt = None
    elif endpoint.is_active:
        outcome.disabled_endpoint = _note_failure(endpoint, now)
    db.session.commit()


def _note_failure(endpoint: WebhookEndpoint, now: datetime) -> bool:
    """Remember when the endpoint started failing; ``True`` if that makes it disabled."""
    if endpoint.failing_since_dt is None:
        endpoint.failing_since_dt = now
        return False
    hours = current_app.config["WEBHOOK_DISABLE_AFTER_HOURS"]
    if endpoint.failing_since_dt > now - timedelta(hours=hours):
        return False
    endpoint.is_active = False
    endpoint.disabled_reason = "failing"
    logger.warning("webhook endpoint %s disabled: failing for %s hours", endpoint.id, hours)
    return True
