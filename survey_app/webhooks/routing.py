"""Routing: a worker writes the deliveries of the events an answer wrote unrouted.

The respondent's events (``response.created``, ``response.updated``, ``followup.opened``) name
their object (``reference``): their ``data`` — the object as the API returns it — is built
here, usually within a second of the answer (an anonymous survey's the next day); an object
deleted by then (an erased person's answer) sends nothing.

An event goes to the endpoints that want it when it is routed — read afresh, so an endpoint
disabled or deleted since the answer gets nothing. Each batch is claimed (``routed`` set) and
its deliveries written in one transaction: two workers never route one event twice, and a
worker that dies mid-batch leaves it unrouted for the next.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from survey_app.core.db import db, utcnow
from survey_app.followups.models import FollowUp
from survey_app.responses.models import Response
from survey_app.webhooks import payloads
from survey_app.webhooks.events import targets, wanted_by
from survey_app.webhooks.models import DeliveryState, WebhookDelivery, WebhookEvent

#: Events one transaction routes.
BATCH = 500

_E = WebhookEvent.__table__


def route(now: datetime | None = None) -> set[int]:
    """Route every unrouted event due by ``now``; the endpoints that got deliveries."""
    endpoint_ids: set[int] = set()
    more = True
    while more:
        routed, more = route_batch(now)
        endpoint_ids |= routed
    return endpoint_ids


def route_batch(now: datetime | None = None) -> tuple[set[int], bool]:
    """Route up to ``BATCH`` unrouted events due by ``now`` and commit; the endpoints that got
    deliveries, and whether the batch was full (more may be due)."""
    events = _claim(now or utcnow())
    endpoint_ids = _write_deliveries(events) if events else set()
    db.session.commit()
    return endpoint_ids, len(events) == BATCH


def _claim(now: datetime) -> list[Any]:
    due = (sa.select(_E.c.id).where(sa.not_(_E.c.routed), _E.c.due_dt <= now)
           .order_by(_E.c.due_dt).limit(BATCH).with_for_update(skip_locked=True))
    return db.session.execute(
        sa.update(_E).where(_E.c.id.in_(due), sa.not_(_E.c.routed)).values(routed=True)
        .returning(_E.c.id, _E.c.type, _E.c.scope, _E.c.survey_id, _E.c.payload, _E.c.due_dt,
                   _E.c.created_dt)).all()


def _write_deliveries(events: list[Any]) -> set[int]:
    active = targets(fresh=True)
    built: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    for event in events:
        payload = _built(event)
        if payload is None:
            continue
        if payload is not event.payload:
            built.append({"b_id": event.id, "b_payload": payload})
        rows.extend({"event_id": event.id, "endpoint_id": endpoint_id,
                     "state": DeliveryState.PENDING, "attempts": 0,
                     "next_attempt_dt": event.due_dt, "created_dt": event.created_dt}
                    for endpoint_id in wanted_by(event.type, payload["data"], event.scope,
                                                 event.survey_id, active))
    if built:
        db.session.execute(sa.update(_E).where(_E.c.id == sa.bindparam("b_id"))
                           .values(payload=sa.bindparam("b_payload", type_=_E.c.payload.type)),
                           built)
    if rows:
        db.session.execute(sa.insert(WebhookDelivery), rows)
    return {row["endpoint_id"] for row in rows}


def _built(event: Any) -> dict[str, Any] | None:
    """The event's body: as written, or built from its object (``None``: the object is gone)."""
    payload: dict[str, Any] = event.payload
    if "reference" not in payload:
        return payload
    model = Response if event.type.startswith("response.") else FollowUp
    found = db.session.get(model, payload["reference"])
    if found is None:
        return None
    data = payloads.response(found) if model is Response else payloads.followup(found)
    return {"type": payload["type"], "timestamp": payload["timestamp"], "data": data}
