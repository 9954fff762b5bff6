"""The outbox: each event is written in the transaction of the change it reports.

The features send named blinker signals (``responses.signals`` …); :func:`connect` subscribes
to them once. A receiver writes one row in the same session: a rolled-back answer leaves
nothing, a committed one is always delivered. The respondent's events (:func:`emit_reference`)
write a narrow ``webhook_outbox`` row naming their object; staff actions' events (:func:`emit`)
a ``webhook_events`` row, unrouted, with the payload as it is then. A worker routes both
(:mod:`~survey_app.webhooks.routing`: a ``webhook_deliveries`` row per endpoint that wants
it), handed off after the request; the sweep routes what a lost hand-off or a job left. No
active endpoint of the process's list (:func:`targets`) wants it: nothing is written. Events
sent to named endpoints (the test event, daily summaries) are written routed, with their
deliveries.

Each event names the person its payload describes (``person_id``); erasing the person deletes
their events and deliveries (:func:`_on_erased`, on ``privacy.erasure.person_erased``).

Anonymous surveys' events are dated by their day only and held until the next day (a random
minute of its first hour): a receiver learns an answer's day, as on the dashboard, not its time.
"""

from __future__ import annotations

import random
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlalchemy import event as orm_event
from sqlalchemy.orm import Session

from survey_app.core.db import Row, db, insert_row, utcnow
from survey_app.core.scoring import UNHAPPY
from survey_app.followups.models import FollowUp, Priority
from survey_app.followups.signals import followup_opened, followup_resolved, followup_updated
from survey_app.invitations.models import Invitation
from survey_app.invitations.signals import invitation_bounced
from survey_app.people.models import Person
from survey_app.people.signals import person_unsubscribed
from survey_app.privacy.erasure import person_erased
from survey_app.responses.models import Response
from survey_app.responses.signals import (
    response_counted,
    response_recording,
    response_updated,
)
from survey_app.webhooks import payloads
from survey_app.webhooks.models import (
    DeliveryState,
    EndpointKind,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
    WebhookOutbox,
)

#: Event types an endpoint may subscribe to, in the order the form lists them.
EVENT_TYPES = ("response.created", "response.updated", "followup.opened", "followup.updated",
               "followup.resolved", "person.unsubscribed", "invitation.bounced")
#: The test event ("Send test event"): only to the endpoint it is sent to.
TEST_EVENT = "webhook.test"
#: Slack / Teams rules, and the event that triggers each.
CHAT_RULES = ("case.red", "response.detractor", "survey.daily_summary")
DAILY_SUMMARY = "survey.daily_summary"

#: How long a process trusts its list of active endpoints: changes committed in the process
#: count at once, another process's within this delay (routing reads them afresh).
TARGETS_TTL = 1.0
#: ``app.extensions`` key: (monotonic expiry, the active endpoints).
TARGETS_KEY = "polso_webhook_targets"
#: ``Session.info`` keys: endpoints changed in this transaction; endpoints with deliveries to
#: hand off; unrouted events to hand off.
_CHANGED = "polso_webhook_endpoints_changed"
PENDING = "polso_webhook_endpoint_ids"
ROUTE = "polso_webhook_route"

Write = Callable[..., Any]


@dataclass(frozen=True)
class _Target:
    id: int
    kind: str
    scope: str
    events: tuple[str, ...]
    survey_ids: frozenset[int]


def new_message_id() -> str:
    """``msg_`` and 32 random hex digits (128 bits)."""
    return "msg_" + secrets.token_hex(16)


def chat_rule(event_type: str, data: dict[str, Any]) -> str | None:
    """The Slack/Teams rule an event falls under, if any."""
    if event_type == "followup.opened" and data.get("priority") == Priority.RED:
        return "case.red"
    if event_type == "response.created" and data.get("category") in UNHAPPY:
        return "response.detractor"
    return DAILY_SUMMARY if event_type == DAILY_SUMMARY else None


def targets(*, fresh: bool = False) -> list[_Target]:
    """Active endpoints: the process's copy, read again after ``TARGETS_TTL`` (or ``fresh``).

    An answer pays no query for it; an endpoint made or changed in another process counts
    within a second (the event is routed with the endpoints as they are then).
    """
    now = time.monotonic()
    cached = current_app.extensions.get(TARGETS_KEY)
    if cached is not None and cached[0] > now and not fresh:
        return cached[1]
    rows = db.session.execute(sa.select(
        WebhookEndpoint.id, WebhookEndpoint.kind, WebhookEndpoint.scope,
        WebhookEndpoint.events, WebhookEndpoint.survey_ids,
    ).where(WebhookEndpoint.is_active))
    found = [_Target(r.id, r.kind, r.scope, tuple(r.events or ()), frozenset(r.survey_ids or ()))
             for r in rows]
    current_app.extensions[TARGETS_KEY] = (now + TARGETS_TTL, found)
    return found


def wanted_by(event_type: str, data: dict[str, Any], scope: str, survey_id: int | None,
              among: list[_Target]) -> list[int]:
    """The endpoints ``among`` these that want this event."""
    return [t.id for t in among if _wanted(t, event_type, data, scope, survey_id)]


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
    """Write ``event_type`` with ``data`` to the outbox if an endpoint wants it.

    ``person_id``: the person ``data`` names (erasing them deletes the event).
    ``endpoint_ids``: exactly these endpoints, with their deliveries (the test event, the daily
    summary). ``write``: run the statement through it instead of the session (the bounce's
    deferred writes). ``hand_off=False``: do not hand the event to the workers after the
    commit (the sweep finds it). Returns the event id, or ``None`` when no endpoint wants it.
    """
    if endpoint_ids is None and not wanted_by(event_type, data, scope, survey_id, targets()):
        return None
    event_time, due = _dates(now or utcnow(), anonymous)
    event_id = new_message_id()
    event_row = {"id": event_id, "type": event_type, "created_dt": event_time,
                 "survey_id": survey_id, "payload": body(event_type, event_time, data),
                 "person_id": person_id}
    if endpoint_ids is None:
        event_row.update(routed=False, scope=scope, due_dt=due)
        if write is not None:
            write(_EVENT_INSERT, event_row)
        else:
            insert_row(db.session.connection(), WebhookEvent.__table__, event_row)
            _route_after_commit(hand_off and not anonymous)
        return event_id
    deliveries = [{"event_id": event_id, "endpoint_id": endpoint_id,
                   "state": DeliveryState.PENDING, "attempts": 0, "next_attempt_dt": due,
                   "created_dt": event_time} for endpoint_id in endpoint_ids]
    connection = db.session.connection()
    connection.execute(_EVENT_INSERT, event_row)
    connection.execute(_DELIVERY_INSERT, deliveries)
    if hand_off and not anonymous:
        hand_off_after_commit(endpoint_ids)
    return event_id


def emit_reference(event_type: str, reference: int, rule_data: dict[str, Any], *, scope: str,
                   survey_id: int, anonymous: bool, person_id: int | None) -> None:
    """Queue one of the respondent's events in :class:`WebhookOutbox` if an endpoint wants it:
    one narrow row naming the answer or case (``reference``), from which routing builds the
    event; ``rule_data``: what the alert rules read (``category``, ``priority``). A new
    answer's rows go in with it instead (:func:`_on_recording`)."""
    row = _outbox_row(event_type, rule_data, scope=scope, survey_id=survey_id,
                      anonymous=anonymous, person_id=person_id)
    if row is not None:
        column = "response_id" if event_type.startswith("response.") else "followup_id"
        insert_row(db.session.connection(), _OUTBOX, {**row, column: reference})


def _outbox_row(event_type: str, rule_data: dict[str, Any], *, scope: str, survey_id: int,
                anonymous: bool, person_id: int | None) -> dict[str, Any] | None:
    """An outbox row's columns but its object, if an endpoint of the process's list wants the
    event (its routing handed off after the commit); ``None`` otherwise."""
    if not wanted_by(event_type, rule_data, scope, survey_id, targets()):
        return None
    event_time, due = _dates(utcnow(), anonymous)
    _route_after_commit(not anonymous)  # held ones are routed by the sweep when due
    return {"type": event_type, "scope": scope, "survey_id": survey_id,
            "person_id": person_id, "created_dt": event_time,
            "due_dt": due if anonymous else None}


def body(event_type: str, event_time: datetime, data: dict[str, Any]) -> dict[str, Any]:
    """The event as sent: ``{"type", "timestamp", "data"}``."""
    return {"type": event_type, "timestamp": event_time.isoformat().replace("+00:00", "Z"),
            "data": data}


def _dates(now: datetime, anonymous: bool) -> tuple[datetime, datetime]:
    """The event's time and when to route it: an anonymous survey's is dated by its week (the
    unit of time of anonymous answers everywhere: docs/dashboards.md) and held until a random
    minute of the next week's first hour, so neither its date nor its arrival tells the day."""
    if not anonymous:
        return now, now
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=7, seconds=random.randrange(3600))


def _route_after_commit(wanted: bool) -> None:
    if wanted:
        db.session.info[ROUTE] = True


def hand_off_after_commit(endpoint_ids: Iterable[int]) -> None:
    """Have these endpoints' due deliveries handed to the workers once the transaction
    commits (:mod:`~survey_app.webhooks.tasks`: one job per transaction)."""
    db.session.info.setdefault(PENDING, set()).update(endpoint_ids)


_EVENT_INSERT = sa.insert(WebhookEvent.__table__)
_OUTBOX = WebhookOutbox.__table__
_DELIVERY_INSERT = sa.insert(WebhookDelivery.__table__)


# --- the features' signals -------------------------------------------------------------------


def _scope(audience: str) -> str:
    return "employees" if audience == "employees" else "customers"


def _on_recording(response: Response, *, case: FollowUp | None, **_: Any) -> list[Row]:
    """A new answer's ``response.created`` (and its case's ``followup.opened``): outbox rows
    inserted in the statement that inserts the answer, so the answer pays no round trip."""
    survey = response.survey
    scope = _scope(survey.audience)
    if response.is_suspected_automated or not _any_target(scope):
        return []  # a suspected answer counts (and is sent) once a person confirms it
    rows = []
    created = _outbox_row("response.created", {"category": response.category}, scope=scope,
                          survey_id=survey.id, anonymous=response.is_anonymous,
                          person_id=response.person_id)
    if created is not None:
        rows.append(Row(_OUTBOX, created, {"response_id": response}))
    if case is not None:
        opened = _outbox_row("followup.opened", {"priority": case.priority}, scope=scope,
                             survey_id=survey.id,
                             anonymous=response.is_anonymous and case.person_id is None,
                             person_id=case.person_id or response.person_id)
        if opened is not None:
            rows.append(Row(_OUTBOX, opened, {"followup_id": case}))
    return rows


def _on_response(event_type: str) -> Callable[..., None]:
    """``response.updated`` on an edit; ``response.created`` when a suspected answer is
    confirmed as a person's (the API's lists count it from then on; before, it sends
    nothing, edits included)."""
    def receive(response: Response, **_: Any) -> None:
        survey = response.survey
        scope = _scope(survey.audience)
        if not response.is_suspected_automated and _any_target(scope):
            emit_reference(event_type, response.id, {"category": response.category},
                           scope=scope, survey_id=survey.id, anonymous=response.is_anonymous,
                           person_id=response.person_id)
    return receive


def _on_followup(event_type: str) -> Callable[..., None]:
    def receive(case: FollowUp, change: str | None = None, **_: Any) -> None:
        response = case.response
        scope = _scope(response.survey.audience)
        if not _any_target(scope):
            return
        anonymous = response.is_anonymous and case.person_id is None
        person_id = case.person_id or response.person_id
        if event_type == "followup.opened":  # opened later: an edit, a confirmed answer
            emit_reference(event_type, case.id, {"priority": case.priority}, scope=scope,
                           survey_id=response.survey_id, anonymous=anonymous,
                           person_id=person_id)
            return
        emit(event_type, payloads.followup(case, change), scope=scope,
             survey_id=response.survey_id, anonymous=anonymous, person_id=person_id)
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
    db.session.execute(sa.delete(WebhookOutbox).where(WebhookOutbox.person_id == person_id))
    events = sa.select(WebhookEvent.id).where(WebhookEvent.person_id == person_id)
    db.session.execute(sa.delete(WebhookDelivery).where(WebhookDelivery.event_id.in_(events))
                       .execution_options(synchronize_session=False))
    db.session.execute(sa.delete(WebhookEvent).where(WebhookEvent.person_id == person_id)
                       .execution_options(synchronize_session=False))


def _any_target(scope: str) -> bool:
    """Cheap early exit: no active endpoint of this scope, no payload to build."""
    return any(t.scope == scope for t in targets())


_RECEIVERS = [
    (response_recording, _on_recording),
    (response_counted, _on_response("response.created")),
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


def forget_targets() -> None:
    """Read the active endpoints again at the next event (one was made or changed here)."""
    if has_app_context():
        current_app.extensions.pop(TARGETS_KEY, None)


@orm_event.listens_for(Session, "after_flush")
def _note_endpoint_changes(session: Session, *_: Any) -> None:
    if any(isinstance(obj, WebhookEndpoint)
           for obj in (*session.new, *session.dirty, *session.deleted)):
        session.info[_CHANGED] = True


@orm_event.listens_for(Session, "after_commit")
def _after_endpoint_changes(session: Session) -> None:
    if session.info.pop(_CHANGED, False):
        forget_targets()


@orm_event.listens_for(Session, "after_rollback")
def _forget_changes(session: Session) -> None:
    session.info.pop(_CHANGED, None)
