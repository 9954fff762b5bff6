"""A follow-up case and its timeline as the API and webhooks return it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from marshmallow import fields

from survey_app.accounts.models import User
from survey_app.followups.models import FollowUp, FollowUpEvent
from survey_app.schemas.common import Representation, moment
from survey_app.schemas.responses import public_id


class StaffSchema(Representation):
    id = fields.Integer(required=True)
    email = fields.String(required=True)
    name = fields.String(required=True)


class ActorSchema(Representation):
    type = fields.String(required=True, metadata={"enum": ["user", "token", "system"]})
    name = fields.String(required=True, allow_none=True, metadata={
        "description": "The staff user's e-mail or the API token's name; null for the system."})


class TimelineEntrySchema(Representation):
    id = fields.Integer(required=True)
    kind = fields.String(required=True, metadata={"enum": [
        "opened", "status", "assigned", "priority", "note", "reply", "alert", "sla_warning"]})
    actor = fields.Nested(ActorSchema, required=True)
    old = fields.String(required=True, allow_none=True, metadata={
        "description": "The value before the change (a status, a priority, an assignee's "
                       "e-mail)."})
    new = fields.String(required=True, allow_none=True)
    outcome = fields.String(required=True, allow_none=True)
    note = fields.String(required=True, allow_none=True)
    created_at = fields.String(required=True, metadata={"format": "date-time"})


class CaseResponseSchema(Representation):
    id = fields.String(required=True)
    survey = fields.String(required=True)
    score = fields.Integer(required=True)
    category = fields.String(required=True)
    comment = fields.String(required=True, allow_none=True)


class CaseSchema(Representation):
    id = fields.Integer(required=True)
    status = fields.String(required=True, metadata={"enum": [
        "new", "in_progress", "waiting", "resolved", "closed"]})
    priority = fields.String(required=True, metadata={"enum": ["red", "yellow", "green"]})
    reason = fields.String(required=True, metadata={"enum": [
        "detractor", "mismatch", "contact_request"]})
    team = fields.String(required=True, metadata={"enum": ["support", "hr"]})
    assignee = fields.Nested(StaffSchema, required=True, allow_none=True)
    outcome = fields.String(required=True, allow_none=True)
    due_at = fields.String(required=True, metadata={"format": "date-time"})
    created_at = fields.String(required=True, metadata={"format": "date-time"})
    first_action_at = fields.String(required=True, allow_none=True,
                                    metadata={"format": "date-time"})
    ended_at = fields.String(required=True, allow_none=True, metadata={"format": "date-time"})
    person = fields.Nested("RespondentSchema", required=True, allow_none=True, metadata={
        "description": "Who to contact (an anonymous employee only when they asked to be)."})
    response = fields.Nested(CaseResponseSchema, required=True)
    timeline = fields.List(fields.Nested(TimelineEntrySchema), metadata={
        "description": "Oldest first; only when one case is read."})


def _staff(user: User | None) -> dict[str, Any] | None:
    return None if user is None else {"id": user.id, "email": user.email, "name": user.name}


def actor_data(event: FollowUpEvent) -> dict[str, Any]:
    """Who did it: a staff user, an API token (by name) or the system."""
    if event.actor_token_name is not None:
        return {"type": "token", "name": event.actor_token_name}
    if event.actor is not None:
        return {"type": "user", "name": event.actor.email}
    return {"type": "system", "name": None}


def event_data(event: FollowUpEvent, users: dict[int, User]) -> dict[str, Any]:
    """One timeline line; an assignment's old and new values are the assignees' e-mails."""
    old, new = event.old_value, event.new_value
    if event.kind == "assigned":
        old, new = (users[int(v)].email if v and v.isdigit() and int(v) in users else v
                    for v in (old, new))
    return {"id": event.id, "kind": event.kind, "actor": actor_data(event), "old": old,
            "new": new, "outcome": event.outcome, "note": event.body,
            "created_at": moment(event.created_dt)}


def case_data(case: FollowUp, events: Sequence[FollowUpEvent] | None = None,
              users: dict[int, User] | None = None) -> dict[str, Any]:
    """The case as :class:`CaseSchema` describes it; with ``events``, its timeline too.

    ``users`` maps the user ids that assignment lines name (see ``followups.queries``).
    """
    response, person = case.response, case.person
    data: dict[str, Any] = {
        "id": case.id, "status": case.status, "priority": case.priority, "reason": case.reason,
        "team": case.team, "assignee": _staff(case.assignee), "outcome": case.outcome,
        "due_at": moment(case.due_dt), "created_at": moment(case.created_dt),
        "first_action_at": moment(case.first_action_dt), "ended_at": moment(case.ended_dt),
        "person": None if person is None else {"id": person.id, "email": person.email,
                                               "name": person.name},
        "response": {"id": public_id(response), "survey": response.survey.slug,
                     "score": response.score, "category": response.category,
                     "comment": response.comment},
    }
    if events is not None:
        data["timeline"] = [event_data(e, users or {}) for e in events]
    return data
