"""Routing: a worker writes the deliveries of the events waiting to be routed.

Two kinds wait. The respondent's events (``response.created``, ``response.updated``,
``followup.opened``) wait in ``webhook_outbox`` as a row naming their object; routing builds
the event — the object as the API returns it — usually within a second of the answer (an
anonymous survey's the next day), writes its ``webhook_events`` row and deletes the outbox
row. An object deleted by then (an erased person's answer) sends nothing. Staff actions'
events are written to ``webhook_events`` unrouted, with their payload; routing marks them.

An event goes to the endpoints that want it when it is routed — read afresh, so an endpoint
disabled or deleted since the answer gets nothing (and an outbox row nobody wants leaves no
event). Each batch is claimed (outbox rows deleted, events marked ``routed``) and its
deliveries written in one transaction: two workers never route one event twice, and a worker
that dies mid-batch leaves it for the next.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from survey_app.core.db import db, utcnow
from survey_app.followups.models import FollowUp
from survey_app.responses.models import Response
from survey_app.webhooks import payloads
from survey_app.webhooks.events import body, new_message_id, targets, wanted_by
from survey_app.webhooks.models import (
    DeliveryState,
    WebhookDelivery,
    WebhookEvent,
    WebhookOutbox,
)

#: Events one transaction routes.
BATCH = 500

_E = WebhookEvent.__table__
_O = WebhookOutbox.__table__


def route(now: datetime | None = None) -> set[int]:
    """Route every unrouted event due by ``now``; the endpoints that got deliveries."""
    endpoint_ids: set[int] = set()
    more = True
    while more:
        routed, more = route_batch(now)
        endpoint_ids |= routed
    return endpoint_ids


def route_batch(now: datetime | None = None) -> tuple[set[int], bool]:
    """Route up to ``BATCH`` outbox rows and ``BATCH`` unrouted events due by ``now`` and
    commit; the endpoints that got deliveries, and whether a batch was full (more may be due)."""
    now = now or utcnow()
    queued, events = _claim_outbox(now), _claim(now)
    endpoint_ids = _write_deliveries(queued, events) if queued or events else set()
    db.session.commit()
    return endpoint_ids, BATCH in (len(queued), len(events))


def _claim(now: datetime) -> list[Any]:
    due = (sa.select(_E.c.id).where(sa.not_(_E.c.routed), _E.c.due_dt <= now)
           .order_by(_E.c.due_dt).limit(BATCH).with_for_update(skip_locked=True))
    return db.session.execute(
        sa.update(_E).where(_E.c.id.in_(due), sa.not_(_E.c.routed)).values(routed=True)
        .returning(_E.c.id, _E.c.type, _E.c.scope, _E.c.survey_id, _E.c.payload, _E.c.due_dt,
                   _E.c.created_dt)).all()


def _claim_outbox(now: datetime) -> list[Any]:
    """Delete (and return, oldest first) up to ``BATCH`` outbox rows due by ``now``."""
    due = (sa.select(_O.c.id).where(sa.or_(_O.c.due_dt.is_(None), _O.c.due_dt <= now))
           .order_by(_O.c.id).limit(BATCH).with_for_update(skip_locked=True))
    rows = db.session.execute(sa.delete(_O).where(_O.c.id.in_(due)).returning(
        _O.c.id, _O.c.type, _O.c.response_id, _O.c.followup_id, _O.c.scope, _O.c.survey_id,
        _O.c.person_id, _O.c.created_dt, _O.c.due_dt)).all()
    return sorted(rows, key=lambda row: row.id)  # RETURNING has no order


def _write_deliveries(queued: list[Any], events: list[Any]) -> set[int]:
    active = targets(fresh=True)
    new_events: list[dict[str, Any]] = []
    built: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []

    def deliver(event_id: str, event: Any, payload: dict[str, Any]) -> bool:
        wanting = wanted_by(event.type, payload["data"], event.scope, event.survey_id, active)
        rows.extend({"event_id": event_id, "endpoint_id": endpoint_id,
                     "state": DeliveryState.PENDING, "attempts": 0,
                     "next_attempt_dt": event.due_dt or event.created_dt,
                     "created_dt": event.created_dt} for endpoint_id in wanting)
        return bool(wanting)

    for row in queued:
        payload = _built(row.type, row.response_id or row.followup_id, row.created_dt)
        event_id = new_message_id()
        if payload is not None and deliver(event_id, row, payload):
            new_events.append({"id": event_id, "type": row.type, "created_dt": row.created_dt,
                               "survey_id": row.survey_id, "payload": payload,
                               "person_id": row.person_id, "routed": True, "scope": row.scope,
                               "due_dt": row.due_dt or row.created_dt})
    for event in events:
        payload = event.payload
        if "reference" in payload:  # written by the release before the outbox
            payload = _built(event.type, payload["reference"], event.created_dt)
            if payload is None:
                continue
            built.append({"b_id": event.id, "b_payload": payload})
        deliver(event.id, event, payload)
    if new_events:
        db.session.execute(sa.insert(WebhookEvent), new_events)
    if built:
        db.session.execute(sa.update(_E).where(_E.c.id == sa.bindparam("b_id"))
                           .values(payload=sa.bindparam("b_payload", type_=_E.c.payload.type)),
                           built)
    if rows:
        db.session.execute(sa.insert(WebhookDelivery), rows)
    return {row["endpoint_id"] for row in rows}


def _built(event_type: str, reference: int, event_time: datetime) -> dict[str, Any] | None:
    """The body of a respondent's event, built from its object (``None``: the object is gone)."""
    model = Response if event_type.startswith("response.") else FollowUp
    found = db.session.get(model, reference)
    if found is None:
        return None
    data = payloads.response(found) if model is Response else payloads.followup(found)
    return body(event_type, event_time, data)
