"""The outbox: each event is written in the transaction of the change it reports.

The features send named blinker signals (``responses.signals`` …); :func:`connect` subscribes
to them once. A receiver builds the payload, then writes one ``webhook_events`` row and one
``webhook_deliveries`` row per endpoint that wants it — in the same session, so a rolled-back
answer leaves nothing and a committed one is always delivered (the sweep finds any row whose
hand-off to the workers was lost). No endpoint wants it: nothing is written.

Each event names the person its payload describes (``person_id``); erasing the person deletes
their events and deliveries (:func:`_on_erased`, on ``privacy.erasure.person_erased``).

Anonymous surveys' events are dated by their day only and held until the next day (a random
minute of its first hour): a receiver learns an answer's day, as on the dashboard, not its time.
"""

from __future__ import annotations

import base64
import random
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event as orm_event
from sqlalchemy.orm import Session

from survey_app.core.db import db, utcnow
from survey_app.core.scoring import UNHAPPY
from survey_app.followups.models import FollowUp, Priority
from survey_app.followups.signals import followup_opened, followup_resolved, followup_updated
from survey_app.invitations.models import Invitation
from survey_app.invitations.signals import invitation_bounced
from survey_app.people.models import Person
from survey_app.people.signals import person_unsubscribed
from survey_app.privacy.erasure import person_erased
from survey_app.responses.models import Response
from survey_app.responses.signals import response_created, response_updated
from survey_app.webhooks import payloads
from survey_app.webhooks.models import (
    DeliveryState,
    EndpointKind,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)

#: Event types an endpoint may subscribe to, in the order the form lists them.
EVENT_TYPES = ("response.created", "response.updated", "followup.opened", "followup.updated",
               "followup.resolved", "person.unsubscribed", "invitation.bounced")
#: The test event ("Send test event"): only to the endpoint it is sent to.
TEST_EVENT = "webhook.test"
#: Slack / Teams rules, and the event that triggers each.
CHAT_RULES = ("case.red", "response.detractor", "survey.daily_summary")
DAILY_SUMMARY = "survey.daily_summary"

#: ``Session.info`` keys: endpoints read in this transaction; endpoints with rows to hand off.
_ENDPOINTS = "polso_webhook_endpoints"
PENDING = "polso_webhook_endpoint_ids"

Write = Callable[..., Any]


@dataclass(frozen=True)
class _Target:
    id: int
    kind: str
    scope: str
    events: tuple[str, ...]
    survey_ids: frozenset[int]


def new_message_id() -> str:
    """``msg_`` and 26 random base32 characters (130 bits)."""
    return "msg_" + base64.b32encode(secrets.token_bytes(17)).decode().lower().rstrip("=")[:26]


def chat_rule(event_type: str, data: dict[str, Any]) -> str | None:
    """The Slack/Teams rule an event falls under, if any."""
    if event_type == "followup.opened" and data.get("priority") == Priority.RED:
        return "case.red"
    if event_type == "response.created" and data.get("category") in UNHAPPY:
        return "response.detractor"
    return DAILY_SUMMARY if event_type == DAILY_SUMMARY else None


def _targets() -> list[_Target]:
    """Active endpoints, read once per transaction (an answer's response and case share it)."""
    cached = db.session.info.get(_ENDPOINTS)
    if cached is None:
        rows = db.session.execute(sa.select(
            WebhookEndpoint.id, WebhookEndpoint.kind, WebhookEndpoint.scope,
            WebhookEndpoint.events, WebhookEndpoint.survey_ids,
        ).where(WebhookEndpoint.is_active))
        cached = db.session.info[_ENDPOINTS] = [
            _Target(r.id, r.kind, r.scope, tuple(r.events or ()), frozenset(r.survey_ids or ()))
            for r in rows]
    return cached


def _wanted(target: _Target, event_type: str, data: dict[str, Any], scope: str,
            survey_id: int | None) -> bool:
    if target.scope != scope:
        return False
    if target.survey_ids and survey_id is not None and survey_id not in target.survey_ids:
        return False
    if target.kind == EndpointKind.WEBHOOK:
        return event_type in target.events
    return chat_rule(event_type, data) in target.events


def emit(event_type: str, data: dict[str, Any], *, scope: str, survey_id: int | None,
         anonymous: bool = False, now: datetime | None = None,
         endpoint_ids: list[int] | None = None, write: Write | None = None,
         hand_off: bool = True, person_id: int | None = None) -> str | None:
    """Write ``event_type`` with ``data`` to the outbox for every endpoint that wants it.

    ``person_id``: the person ``data`` names (erasing them deletes the event).
    ``endpoint_ids``: exactly these endpoints (the test event, the daily summary). ``write``:
    run statements through it instead of the session (the bounce's deferred writes).
    ``hand_off=False``: do not hand the deliveries to the workers after the commit.
    Returns the event id, or ``None`` when no endpoint wants it.
    """
    if endpoint_ids is None:
        endpoint_ids = [t.id for t in _targets()
                        if _wanted(t, event_type, data, scope, survey_id)]
    if not endpoint_ids:
        return None
    now = now or utcnow()
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    due = day + timedelta(days=1, seconds=random.randrange(3600)) if anonymous else now
    event_id = new_message_id()
    event_time = day if anonymous else now
    payload = {"type": event_type, "timestamp": event_time.isoformat().replace("+00:00", "Z"),
               "data": data}
    event_row = {"id": event_id, "type": event_type, "created_dt": event_time,
                 "survey_id": survey_id, "payload": payload, "person_id": person_id}
    deliveries = [{"event_id": event_id, "endpoint_id": endpoint_id,
                   "state": DeliveryState.PENDING, "attempts": 0, "next_attempt_dt": due,
                   "created_dt": event_time} for endpoint_id in endpoint_ids]
    if write is not None:
        write(_EVENT_INSERT, event_row)
        for row in deliveries:
            write(_DELIVERY_INSERT, row)
        return event_id
    # Core inserts on the session's connection: nothing to flush or load, so the ORM's
    # execute would only add its overhead to the respondent's answer.
    connection = db.session.connection()
    connection.execute(_EVENT_INSERT, event_row)
    connection.execute(_DELIVERY_INSERT, deliveries)
    if hand_off and not anonymous:  # held ones are found by the sweep when due
        hand_off_after_commit(endpoint_ids)
    return event_id


def hand_off_after_commit(endpoint_ids: Iterable[int]) -> None:
    """Have these endpoints' due deliveries handed to the workers once the transaction
    commits (:mod:`~survey_app.webhooks.tasks`: one job per transaction)."""
    db.session.info.setdefault(PENDING, set()).update(endpoint_ids)


_EVENT_INSERT = sa.insert(WebhookEvent.__table__)
_DELIVERY_INSERT = sa.insert(WebhookDelivery.__table__)


# --- the features' signals -------------------------------------------------------------------


def _scope(audience: str) -> str:
    return "employees" if audience == "employees" else "customers"


def _on_response(event_type: str) -> Callable[..., None]:
    def receive(response: Response, **_: Any) -> None:
        survey = response.survey
        if not _any_target(_scope(survey.audience)):
            return
        emit(event_type, payloads.response(response), scope=_scope(survey.audience),
             survey_id=survey.id, anonymous=response.is_anonymous,
             person_id=response.person_id)
    return receive


def _on_followup(event_type: str) -> Callable[..., None]:
    def receive(case: FollowUp, change: str | None = None, **_: Any) -> None:
        response = case.response
        scope = _scope(response.survey.audience)
        if not _any_target(scope):
            return
        data = payloads.followup(case, change)
        emit(event_type, data, scope=scope, survey_id=response.survey_id,
             anonymous=response.is_anonymous and case.person_id is None,
             person_id=case.person_id or response.person_id)
    return receive


def _on_unsubscribed(person: Person, **_: Any) -> None:
    scope = "employees" if person.kind == "employee" else "customers"
    if _any_target(scope):
        emit("person.unsubscribed", payloads.person(person), scope=scope, survey_id=None,
             person_id=person.id)


def _on_bounced(invitation: Invitation, *, at: datetime, write: Write, **_: Any) -> None:
    scope = _scope(invitation.survey.audience)
    if _any_target(scope):
        emit("invitation.bounced", payloads.invitation(invitation, at), scope=scope,
             survey_id=invitation.survey_id, now=at, write=write,
             person_id=invitation.person_id)


def _on_erased(_sender: object, *, person_id: int, **_: Any) -> None:
    """Erasure: the events naming the person go, with their deliveries (pending ones are
    never sent; the delivery log forgets them)."""
    events = sa.select(WebhookEvent.id).where(WebhookEvent.person_id == person_id)
    db.session.execute(sa.delete(WebhookDelivery).where(WebhookDelivery.event_id.in_(events))
                       .execution_options(synchronize_session=False))
    db.session.execute(sa.delete(WebhookEvent).where(WebhookEvent.person_id == person_id)
                       .execution_options(synchronize_session=False))


def _any_target(scope: str) -> bool:
    """Cheap early exit: no active endpoint of this scope, no payload to build."""
    return any(t.scope == scope for t in _targets())


_RECEIVERS = [
    (response_created, _on_response("response.created")),
    (response_updated, _on_response("response.updated")),
    (followup_opened, _on_followup("followup.opened")),
    (followup_updated, _on_followup("followup.updated")),
    (followup_resolved, _on_followup("followup.resolved")),
    (person_unsubscribed, _on_unsubscribed),
    (invitation_bounced, _on_bounced),
    (person_erased, _on_erased),
]


def connect() -> None:
    """Subscribe to the features' signals (idempotent: blinker keeps one of each receiver)."""
    for signal, receiver in _RECEIVERS:
        signal.connect(receiver)


@orm_event.listens_for(Session, "after_commit")
@orm_event.listens_for(Session, "after_rollback")
def _forget_endpoints(session: Session, *_: Any) -> None:
    session.info.pop(_ENDPOINTS, None)
