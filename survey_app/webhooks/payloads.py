"""The ``data`` of each event: the object as the API returns it (``survey_app.schemas``, the
one representation, anonymity rules included), and the schemas that describe each payload in
the OpenAPI document's ``webhooks`` section."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from marshmallow import Schema, fields

from survey_app.followups.models import FollowUp
from survey_app.invitations.models import Invitation
from survey_app.people.models import Person
from survey_app.responses.models import Response
from survey_app.schemas import (
    CaseSchema,
    PersonSchema,
    ResponseSchema,
    case_data,
    person_data,
    response_data,
)
from survey_app.schemas.common import Representation, moment


def response(answer: Response) -> dict[str, Any]:
    return response_data(answer)


def followup(case: FollowUp, change: str | None = None) -> dict[str, Any]:
    data = case_data(case)
    if change is not None:
        data["change"] = change
    return data


def person(someone: Person) -> dict[str, Any]:
    return person_data(someone)


def invitation(invited: Invitation, at: datetime) -> dict[str, Any]:
    return {"id": invited.id, "survey": invited.survey.slug, "wave_id": invited.wave_id,
            "person": person_data(invited.person), "bounced_at": moment(at)}


class BouncedInvitationSchema(Representation):
    id = fields.Integer(required=True)
    survey = fields.String(required=True, metadata={"description": "The survey's slug."})
    wave_id = fields.Integer(required=True, allow_none=True)
    person = fields.Nested(PersonSchema, required=True)
    bounced_at = fields.String(required=True, metadata={"format": "date-time"})


class CaseChangeSchema(CaseSchema):
    change = fields.String(required=True, metadata={
        "enum": ["claim", "assigned", "status", "note", "reply"],
        "description": "What staff did to the case."})


class TestDataSchema(Representation):
    endpoint_id = fields.Integer(required=True)
    message = fields.String(required=True)


#: Each event type's ``data`` schema (the OpenAPI ``webhooks`` section is built from it).
DATA_SCHEMAS: dict[str, type[Schema]] = {
    "response.created": ResponseSchema,
    "response.updated": ResponseSchema,
    "followup.opened": CaseSchema,
    "followup.updated": CaseChangeSchema,
    "followup.resolved": CaseSchema,
    "person.unsubscribed": PersonSchema,
    "invitation.bounced": BouncedInvitationSchema,
    "webhook.test": TestDataSchema,
}
