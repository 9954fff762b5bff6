"""Webhook endpoints (with Slack and Teams channels), the event outbox and the delivery log."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey_app.accounts.models import User
from survey_app.core.db import IDS_NEVER_REUSED, db, utcnow


class EndpointKind(StrEnum):
    #: Standard Webhooks: signed JSON, the object as the API returns it.
    WEBHOOK = "webhook"
    #: A Slack incoming webhook: Block Kit messages for the endpoint's rules.
    SLACK = "slack"
    #: A Microsoft Teams incoming webhook: Adaptive Card messages for the endpoint's rules.
    TEAMS = "teams"


class Scope(StrEnum):
    """Which surveys' events an endpoint may receive; set at creation by the creator's role."""

    CUSTOMERS = "customers"
    EMPLOYEES = "employees"


class DeliveryState(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    DELIVERED = "delivered"
    FAILED = "failed"


class WebhookEndpoint(db.Model):
    """Where events go: a URL, the events it wants, optionally only some surveys.

    ``secret`` is kept as it is (not hashed): every delivery is signed with it, so it must be
    readable; see docs/webhooks.md ("Secrets") for why it is not encrypted either.
    """

    __tablename__ = "webhook_endpoints"
    __table_args__ = (
        sa.CheckConstraint("kind IN ('webhook', 'slack', 'teams')", "kind_valid"),
        sa.CheckConstraint("scope IN ('customers', 'employees')", "scope_valid"),
        IDS_NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(8), default=EndpointKind.WEBHOOK)
    #: Checked at save (https, public address) and again at every connection.
    url: Mapped[str] = mapped_column(sa.String(2048))
    description: Mapped[str] = mapped_column(sa.String(200), default="")
    #: ``customers`` endpoints are made by support/admin, ``employees`` ones by HR/admin.
    scope: Mapped[str] = mapped_column(sa.String(10), index=True)
    #: Event types it receives (``response.created`` …); Slack/Teams: alert rules instead.
    events: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    #: Survey ids it is limited to; empty: every survey of its scope.
    survey_ids: Mapped[list[int]] = mapped_column(sa.JSON, default=list)
    #: Slack/Teams: language of the messages (``en``, ``it``).
    locale: Mapped[str] = mapped_column(sa.String(8), default="en")
    #: Standard Webhooks secret ``whsec_<base64>``.
    secret: Mapped[str] = mapped_column(sa.String(100))
    #: The secret before the last rotation; deliveries are signed with both until it expires.
    previous_secret: Mapped[str | None] = mapped_column(sa.String(100))
    previous_secret_expires_dt: Mapped[datetime | None]
    is_active: Mapped[bool] = mapped_column(default=True)
    #: Why it was disabled (``failing``: 24 h of failed deliveries), for the owner.
    disabled_reason: Mapped[str | None] = mapped_column(sa.String(200))
    #: First failed delivery since the last success (NULL: healthy).
    failing_since_dt: Mapped[datetime | None]
    #: Its owner, e-mailed when it is disabled.
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id",
                                                                    ondelete="SET NULL"))
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)

    created_by: Mapped[User | None] = relationship()

    def wants(self, event_type: str, survey_id: int | None) -> bool:
        return event_type in self.events and (
            not self.survey_ids or survey_id is None or survey_id in self.survey_ids)


class WebhookEvent(db.Model):
    """The event log: one row per event, with its deliveries.

    Staff actions' events (case changes, unsubscribes, bounces) are written here unrouted, in
    the transaction of the change: a worker writes their deliveries to the endpoints that want
    them (:func:`~survey_app.webhooks.routing.route`) once ``due_dt`` has come. The
    respondent's events wait in :class:`WebhookOutbox` and are written here routed.
    """

    __tablename__ = "webhook_events"
    __table_args__ = (
        #: The events waiting for a worker to route them.
        sa.Index("ix_webhook_events_unrouted", "due_dt", sqlite_where=sa.text("routed = 0"),
                 postgresql_where=sa.text("NOT routed")),
    )

    #: ``msg_…``: sent as ``webhook-id``, the receivers' de-duplication key.
    id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    type: Mapped[str] = mapped_column(sa.String(40))
    #: The event's time; the day only for anonymous surveys' events.
    created_dt: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    survey_id: Mapped[int | None] = mapped_column(sa.ForeignKey("surveys.id",
                                                                ondelete="SET NULL"))
    #: The whole body as sent (``{"type", "timestamp", "data"}``): a snapshot at event time.
    #: (Unrouted rows the release before the outbox wrote for the respondent's events hold the
    #: object's id, ``reference``, instead of ``data``; routing builds it.)
    payload: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    #: The person the payload names, if any: erasing them deletes the event and its deliveries
    #: (no foreign key, so the outbox insert checks nothing; :mod:`~survey_app.webhooks.events`).
    person_id: Mapped[int | None] = mapped_column(index=True)
    #: Its deliveries are written (in its transaction when it names its endpoints).
    routed: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    #: Unrouted events: the endpoints' scope they go to, and when to route them (an anonymous
    #: survey's events wait for the next day).
    scope: Mapped[str | None] = mapped_column(sa.String(10))
    due_dt: Mapped[datetime | None]


class WebhookOutbox(db.Model):
    """The respondent's events waiting to be routed: ``response.created``, ``response.updated``
    and ``followup.opened``, one narrow row each, written in the answer's transaction — a new
    answer's in the very statement that inserts it (:mod:`~survey_app.webhooks.events`).

    A row names its object (``response_id`` or ``followup_id``); routing builds the event from
    it, writes the ``webhook_events`` row with its deliveries and deletes this one
    (:mod:`~survey_app.webhooks.routing`). Only the key is indexed (and the held rows' due
    time), so an answer adds about one page to its commit; the table holds only what waits,
    so erasure finds a person's rows without an index. No foreign keys: the insert checks
    nothing, and an object gone by routing time sends nothing.
    """

    __tablename__ = "webhook_outbox"
    __table_args__ = (
        #: Anonymous surveys' events, held until the next day.
        sa.Index("ix_webhook_outbox_held", "due_dt", sqlite_where=sa.text("due_dt IS NOT NULL"),
                 postgresql_where=sa.text("due_dt IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    type: Mapped[str] = mapped_column(sa.String(40))
    #: ``response.*`` events: the answer.
    response_id: Mapped[int | None]
    #: ``followup.opened``: the case.
    followup_id: Mapped[int | None]
    #: The endpoints' scope it goes to.
    scope: Mapped[str] = mapped_column(sa.String(10))
    survey_id: Mapped[int | None]
    #: The person the event will name, if any (erasing them deletes the row).
    person_id: Mapped[int | None]
    #: The event's time; the day only for anonymous surveys' events.
    created_dt: Mapped[datetime]
    #: Held until then (anonymous surveys' events); NULL: route at once.
    due_dt: Mapped[datetime | None]



class WebhookDelivery(db.Model):
    """One event to one endpoint: its state, attempts and the last answer.

    ``sending`` is a lease (``claim_token`` from ``claimed_dt``): a worker that dies after the
    request went out leaves the row ``sending``; the sweep puts it back to ``pending`` once the
    lease ran out, so the event is sent again with the same ``webhook-id`` (at-least-once).
    """

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        sa.CheckConstraint("state IN ('pending', 'sending', 'delivered', 'failed')",
                           "state_valid"),
        sa.UniqueConstraint("event_id", "endpoint_id"),
        sa.Index("ix_webhook_deliveries_due", "state", "next_attempt_dt"),
        #: The endpoint's deliveries page, newest first; the per-endpoint concurrency count.
        sa.Index("ix_webhook_deliveries_endpoint", "endpoint_id", "state", "created_dt"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(sa.ForeignKey("webhook_events.id",
                                                        ondelete="CASCADE"))
    endpoint_id: Mapped[int] = mapped_column(sa.ForeignKey("webhook_endpoints.id",
                                                           ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(sa.String(10), default=DeliveryState.PENDING)
    #: Requests sent so far (a redelivery keeps counting).
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_dt: Mapped[datetime | None] = mapped_column(default=utcnow)
    #: The worker run holding it while ``sending``.
    claim_token: Mapped[str | None] = mapped_column(sa.String(32))
    claimed_dt: Mapped[datetime | None]
    #: The receiver's last HTTP status (NULL: no answer — network error or timeout).
    status_code: Mapped[int | None]
    #: Duration of the last attempt, milliseconds.
    duration_ms: Mapped[int | None]
    #: Why the last attempt failed (never the receiver's body).
    last_error: Mapped[str | None] = mapped_column(sa.String(300))
    delivered_dt: Mapped[datetime | None]
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)

    event: Mapped[WebhookEvent] = relationship()
    endpoint: Mapped[WebhookEndpoint] = relationship()
