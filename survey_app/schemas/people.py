"""A person (customer or employee) as the API returns it."""

from __future__ import annotations

from typing import Any

from marshmallow import fields

from survey_app.people.models import Person
from survey_app.schemas.common import Representation, moment


class PersonSchema(Representation):
    id = fields.Integer(required=True)
    email = fields.String(required=True)
    name = fields.String(required=True)
    kind = fields.String(required=True, metadata={"enum": ["customer", "employee"]})
    locale = fields.String(required=True)
    attributes = fields.Dict(keys=fields.String(), required=True,
                             metadata={"description": "Segment attributes (department, plan …)."})
    unsubscribed_at = fields.String(required=True, allow_none=True,
                                    metadata={"format": "date-time"})
    bounced_at = fields.String(required=True, allow_none=True, metadata={"format": "date-time"})
    created_at = fields.String(required=True, metadata={"format": "date-time"})


def person_data(person: Person) -> dict[str, Any]:
    """The person as :class:`PersonSchema` describes it (never their anonymous answers)."""
    return {"id": person.id, "email": person.email, "name": person.name, "kind": person.kind,
            "locale": person.locale, "attributes": dict(person.attributes or {}),
            "unsubscribed_at": moment(person.unsubscribed_dt),
            "bounced_at": moment(person.bounced_dt), "created_at": moment(person.created_dt)}
