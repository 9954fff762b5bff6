"""``POST /api/v1/surveys/{slug}/invitations`` (one person) and ``…/invitations/bulk`` (up to
1,000): invite people from another system, now or later, decided as a wave decides."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from marshmallow import ValidationError, fields, validates_schema
from marshmallow.validate import Length, OneOf, Range
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from survey_app.accounts.access import can_collect
from survey_app.accounts.models import ApiToken, Role
from survey_app.api import auth
from survey_app.api.blueprint import ApiBlueprint
from survey_app.api.errors import refuse
from survey_app.api.idempotency import after_commit, idempotent
from survey_app.audit.services import record_api
from survey_app.core.db import db, utcnow
from survey_app.core.strictjson import Moment, StrictInteger, StrictSchema, Text
from survey_app.people.services import (
    InvalidPersonError,
    PersonDetails,
    normalise_email,
    upsert_people,
)
from survey_app.surveys.models import Survey
from survey_app.waves import trigger
from survey_app.waves.audience import kind_for

blp = ApiBlueprint("invitations", __name__, description=(
    "Ask one person (or up to 1,000) to answer a survey, now or later: the person is created "
    "or updated, and the answer says whether the invitation was sent, scheduled or skipped, "
    "and why — by the same rules as a wave."))

#: Most people in one bulk request.
BULK_MAX = 1000
#: Most segment attributes given for one person.
MAX_ATTRIBUTES = 50


class EmailAddress(Text):
    """An e-mail address, normalised (lower case) by the people service's own check."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return normalise_email(text)
        except InvalidPersonError:
            raise ValidationError("Not a valid e-mail address.") from None


class PersonInputSchema(StrictSchema):
    email = EmailAddress(required=True, validate=Length(max=254),
                         metadata={"format": "email", "example": "ann@example.com"})
    name = Text(validate=Length(max=200), metadata={
        "description": "Replaces the stored name when given"})
    language = Text(validate=OneOf(["en", "it"]), metadata={
        "description": "Language of the e-mail and pages; new people get the survey's"})
    attributes = fields.Dict(
        keys=Text(validate=Length(min=1, max=64)), values=Text(validate=Length(max=200)),
        validate=Length(max=MAX_ATTRIBUTES),
        metadata={"description": "Segment attributes (team, plan, region …), merged into the "
                                 "stored ones", "example": {"plan": "pro"}})


class InvitationRequestSchema(StrictSchema):
    person = fields.Nested(PersonInputSchema, required=True)
    delay_seconds = StrictInteger(
        validate=Range(0, int(trigger.MAX_DELAY.total_seconds())),
        metadata={"description": "Send this many seconds from now (e.g. 86400: in 24 h)"})
    send_at = Moment(metadata={
        "description": "Send at this time (ISO 8601 with a time zone); past: now"})

    @validates_schema
    def _one_time(self, data: dict[str, Any], **kwargs: Any) -> None:
        if "delay_seconds" in data and "send_at" in data:
            raise ValidationError("Give delay_seconds or send_at, not both.", "send_at")
        if "send_at" in data and data["send_at"] > utcnow() + trigger.MAX_DELAY:
            raise ValidationError(f"At most {trigger.MAX_DELAY.days} days ahead.", "send_at")


class BulkRequestSchema(StrictSchema):
    invitations = fields.List(fields.Nested(InvitationRequestSchema), required=True,
                              validate=Length(min=1, max=BULK_MAX))

    @validates_schema(skip_on_field_errors=False)
    def _distinct_people(self, data: dict[str, Any], **kwargs: Any) -> None:
        """Each person once (reported with any other errors, so one 422 names them all)."""
        first: dict[str, int] = {}
        errors: dict[int, Any] = {}
        for index, item in enumerate(data.get("invitations") or []):
            email = (item.get("person") or {}).get("email")
            if email is None:
                continue
            if email in first:
                errors[index] = {"person": {"email": [
                    f"The same person as invitations.{first[email]}."]}}
            first.setdefault(email, index)
        if errors:
            raise ValidationError({"invitations": errors})


class InvitationResultSchema(StrictSchema):
    outcome = fields.String(required=True, metadata={"enum": list(trigger.Outcome)})
    reason = fields.String(allow_none=True, required=True, metadata={
        "enum": [*trigger.SKIP_REASONS, None],
        "description": "Why the person was skipped; null unless skipped"})
    email = fields.String(required=True, metadata={"format": "email"})
    person_id = fields.Integer(required=True, allow_none=True, metadata={
        "description": "Null when skipped as other_kind (a person this token may not see)"})
    invitation_id = fields.Integer(allow_none=True, required=True)
    send_at = fields.AwareDateTime(allow_none=True, required=True, metadata={
        "description": "When the e-mail goes out; null if skipped"})


class BulkResultSchema(StrictSchema):
    results = fields.List(fields.Nested(InvitationResultSchema), required=True, metadata={
        "description": "One per invitation asked for, in the same order"})
    sent = fields.Integer(required=True)
    scheduled = fields.Integer(required=True)
    skipped = fields.Integer(required=True)


@blp.route("/surveys/<slug>/invitations", methods=["POST"])
@auth.require(Role.ADMIN, Role.HR, Role.SUPPORT)
@blp.arguments(InvitationRequestSchema)
@idempotent
@blp.response(200, InvitationResultSchema)
def create(data: dict[str, Any], slug: str) -> dict[str, Any]:
    """Invite one person

    Sends the survey to the person now, after ``delay_seconds`` or at ``send_at`` — unless a
    wave would skip them (``outcome: skipped`` with the ``reason``). A retry with the same
    ``Idempotency-Key`` replays this answer and sends nothing again.
    """
    return _trigger(slug, [data])[0]


@blp.route("/surveys/<slug>/invitations/bulk", methods=["POST"])
@auth.require(Role.ADMIN, Role.HR, Role.SUPPORT)
@blp.arguments(BulkRequestSchema)
@idempotent
@blp.response(200, BulkResultSchema)
def create_many(data: dict[str, Any], slug: str) -> dict[str, Any]:
    """Invite up to 1,000 people

    All or nothing: one invalid item makes the whole request a 422 naming it
    (``invitations.3.person.email``) and nothing is stored. Each person may appear once.
    """
    results = _trigger(slug, data["invitations"])
    counts = {outcome: sum(r["outcome"] == outcome for r in results)
              for outcome in trigger.Outcome}
    return {"results": results, **counts}


def _trigger(slug: str, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Create or update the people, invite them, audit; enqueue the e-mails after the commit."""
    token = auth.current_token()
    survey = _survey(token, slug)
    now = utcnow()
    details = [PersonDetails(email=i["person"]["email"], name=i["person"].get("name"),
                             locale=i["person"].get("language"),
                             attributes=i["person"].get("attributes") or {}) for i in items]
    try:
        people = upsert_people(details, kind=kind_for(survey), default_locale=survey.default_locale)
        results = trigger.trigger_invitations(
            survey, [(p, _send_at(i, now)) for p, i in zip(people, items, strict=True)], now=now)
    except IntegrityError:  # a concurrent request created one of these people first
        db.session.rollback()
        refuse(409, "Another request changed these people at the same time; send it again.")
    record_api(token, "invitations.trigger", survey, survey_id=survey.id,
               **{o.value: sum(r.outcome == o for r in results) for o in trigger.Outcome})
    after_commit(lambda: trigger.enqueue(results, now))
    return [{"outcome": r.outcome.value, "reason": r.reason, "email": r.person.email,
             "person_id": None if r.reason == "other_kind" else r.person.id,
             "invitation_id": r.invitation_id, "send_at": r.send_at}
            for r in results]


def _survey(token: ApiToken, slug: str) -> Survey:
    """The survey ``slug`` if the token may invite people to it; else 404 (audited)."""
    survey = db.session.scalar(select(Survey).where(Survey.slug == slug))
    if survey is None:
        refuse(404, auth.HIDDEN)
    if not can_collect(token, survey):
        auth.refuse_hidden(token, survey)
    return survey


def _send_at(item: dict[str, Any], now: datetime) -> datetime | None:
    if "delay_seconds" in item:
        return now + timedelta(seconds=item["delay_seconds"]) if item["delay_seconds"] else None
    return item.get("send_at")
