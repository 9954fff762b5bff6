"""Sending deliveries in runs: claim a batch of one endpoint (a lease, runs capped per
endpoint), sign, POST each over one keep-alive connection, record the answers in groups.

- **claim**: up to ``WEBHOOK_BATCH_SIZE`` of the endpoint's ``pending`` and due rows →
  ``sending`` with this run's token, in one ``UPDATE … RETURNING`` that also counts the
  endpoint's runs (distinct tokens still within their lease): none is taken when
  ``WEBHOOK_MAX_CONCURRENCY`` runs hold its rows. A run sends one request at a time, so the
  cap bounds the requests in flight to the endpoint. The endpoint's row is locked for the
  count, so the cap holds across workers on PostgreSQL (SQLite writes one at a time anyway).
  Committed before any request goes out; each claim counts an attempt.
- **send**: ``httpx`` through :class:`~survey_app.webhooks.ssrf.GuardedTransport` (the
  address checked at every connection), explicit connect/read timeouts, redirects never
  followed, at most 64 KiB of the answer read and never kept.
- **record**: 2xx → ``delivered``. Network error, timeout, 408, 409, 429, 5xx → ``pending``
  again after an exponential back-off with jitter (or ``Retry-After``), until the event is
  ``WEBHOOK_RETRY_HOURS`` old → ``failed``. Any other answer → ``failed`` at once. Answers are
  kept in memory and written in groups (every ``RECORD_EVERY`` rows or second, one short write
  transaction each, never held across a request); every write matches the run's token, so a
  run whose lease ran out records nothing, and each group renews the lease of the rows the
  run still holds once a third of it has passed.
- An endpoint whose deliveries have failed for ``WEBHOOK_DISABLE_AFTER_HOURS`` without one
  success is disabled (the rest of the run is not sent) and its owner e-mailed.

A worker killed mid-run leaves its rows ``sending``, sent and unrecorded ones alike; the sweep
puts them back once the lease ran out, and each event goes again with the same
``webhook-id`` (an unsent row has counted one attempt more than it made).
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
_T = WebhookDelivery.__table__

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
    """Take this one delivery for a run of its own and commit; the token, or ``None`` (not
    due, not pending, or its endpoint is at its cap)."""
    endpoint_id = db.session.scalar(sa.select(_T.c.endpoint_id).where(_T.c.id == delivery_id))
    if endpoint_id is None:
        db.session.rollback()
        return None
    token, ids = _claim(endpoint_id, sa.select(_T.c.id).where(_T.c.id == delivery_id), now)
    return token if ids else None


def claim_batch(endpoint_id: int, now: datetime, size: int) -> tuple[str, list[int]]:
    """Take up to ``size`` of the endpoint's due deliveries (oldest due first) for one run
    and commit; the token and the ids taken (none: nothing due, or the endpoint at its cap)."""
    due = (sa.select(_T.c.id)
           .where(_T.c.endpoint_id == endpoint_id, _T.c.state == DeliveryState.PENDING,
                  _T.c.next_attempt_dt <= now)
           .order_by(_T.c.next_attempt_dt, _T.c.id).limit(size))
    return _claim(endpoint_id, due, now)


def _claim(endpoint_id: int, rows: sa.Select, now: datetime) -> tuple[str, list[int]]:
    db.session.execute(sa.select(WebhookEndpoint.id).where(WebhookEndpoint.id == endpoint_id)
                       .with_for_update())
    runs = sa.select(sa.func.count(sa.distinct(_T.c.claim_token))).where(
        _T.c.endpoint_id == endpoint_id, _T.c.state == DeliveryState.SENDING,
        _T.c.claimed_dt > now - lease()).scalar_subquery()
    token = secrets.token_hex(16)
    ids = list(db.session.scalars(
        sa.update(_T)
        .where(_T.c.id.in_(rows), _T.c.state == DeliveryState.PENDING,
               _T.c.next_attempt_dt <= now,
               runs < current_app.config["WEBHOOK_MAX_CONCURRENCY"])
        .values(state=DeliveryState.SENDING, claim_token=token, claimed_dt=now,
                attempts=_T.c.attempts + 1)
        .returning(_T.c.id)))
    db.session.commit()
    return token, sorted(ids)


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
    run = Run(token, [delivery_id], now, retry=retry)
    run.send_all()
    return run.outcomes[0]


#: A run writes its answers at least this often (rows, seconds).
RECORD_EVERY = 20
RECORD_SECONDS = 1.0


class Run:
    """The rows one claim took, all of one endpoint: sent one after another, their answers
    recorded in groups (see the module's docstring)."""

    def __init__(self, token: str, ids: list[int], now: datetime, *, retry: bool = True) -> None:
        self.token, self.now, self.retry = token, now, retry
        rows = db.session.execute(
            sa.select(WebhookDelivery.id, WebhookDelivery.attempts, WebhookEvent,
                      WebhookDelivery.endpoint_id)
            .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id)
            .where(WebhookDelivery.id.in_(ids)).order_by(WebhookDelivery.id)).all()
        self.rows = [(row.id, row.attempts, row.WebhookEvent) for row in rows]
        self.endpoint = db.session.get(WebhookEndpoint, rows[0].endpoint_id)
        #: The answers so far, in the order of :attr:`rows`.
        self.outcomes: list[Outcome] = []
        #: This failure disabled the endpoint (its owner is to be told).
        self.disabled_endpoint = False
        self._unrecorded: list[tuple[int, Outcome]] = []
        self._held = {row_id for row_id, _attempts, _event in self.rows}
        self._recorded_at = self._renewed_at = time.monotonic()

    def send_all(self) -> None:
        for row_id, attempts, event in self.rows:
            if row_id not in self._held:
                continue  # taken back meanwhile (its lease ran out): another run sends it
            outcome = self._attempt(event, attempts)
            self.outcomes.append(outcome)
            self._unrecorded.append((row_id, outcome))
            if (len(self._unrecorded) >= RECORD_EVERY
                    or time.monotonic() - self._recorded_at >= RECORD_SECONDS):
                self._record()
        self._record()

    def _attempt(self, event: WebhookEvent, attempts: int) -> Outcome:
        if not self.endpoint.is_active:
            return Outcome(DeliveryState.FAILED, error="endpoint disabled")
        outcome = _send(self.endpoint, event, attempts)
        if outcome.state == DeliveryState.PENDING:
            outcome = _retry_or_give_up(outcome, event, attempts, self.now, self.retry)
        return outcome

    def _record(self) -> None:
        """Write the answers so far (where the lease is still ours), the endpoint's health,
        and renew the lease of the rows still to send once a third of it has passed; commit."""
        now = utcnow()
        for row_id, outcome in self._unrecorded:
            if _record(row_id, self.token, outcome, now):
                self._note_health(outcome, now)
            self._held.discard(row_id)
        self._unrecorded = []
        if self._held and time.monotonic() - self._renewed_at > lease().total_seconds() / 3:
            self._held = set(db.session.scalars(
                sa.update(_T).where(_T.c.id.in_(self._held), _T.c.claim_token == self.token)
                .values(claimed_dt=now).returning(_T.c.id)))
            self._renewed_at = time.monotonic()
        db.session.commit()
        self._recorded_at = time.monotonic()

    def _note_health(self, outcome: Outcome, now: datetime) -> None:
        endpoint = self.endpoint
        if outcome.state == DeliveryState.DELIVERED:
            if endpoint.failing_since_dt is not None:
                endpoint.failing_since_dt = None
        elif endpoint.is_active and _note_failure(endpoint, now):
            outcome.disabled_endpoint = self.disabled_endpoint = True


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


_RECORD = (sa.update(_T).where(_T.c.id == sa.bindparam("_id"),
                               _T.c.claim_token == sa.bindparam("_token")))


def _record(delivery_id: int, token: str, outcome: Outcome, now: datetime) -> bool:
    """Write one attempt's result if the lease is still ours; whether it was."""
    values: dict[str, Any] = {
        "state": outcome.state, "claim_token": None, "status_code": outcome.status_code,
        "duration_ms": outcome.duration_ms, "last_error": outcome.error,
        "next_attempt_dt": outcome.next_attempt_dt}
    if outcome.state == DeliveryState.DELIVERED:
        values["delivered_dt"] = now
    recorded = db.session.execute(_RECORD.values(**values),
                                  {"_id": delivery_id, "_token": token}).rowcount == 1
    if not recorded:
        logger.warning("webhook delivery %s: lease lost meanwhile; result not recorded",
                       delivery_id)
    return recorded


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
