"""``/api/v1/webhooks``: list, add (the secret in the answer, once), rotate, delete endpoints.

The same rules as ``/settings/webhooks`` (``webhooks.services``): support and admin tokens
manage customer endpoints, HR and admin tokens employee ones; others' endpoints are 404s. The
events' payloads are described in the document's ``webhooks`` section.
"""

from __future__ import annotations

from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import RAISE, fields
from marshmallow.validate import Length, OneOf
from sqlalchemy import select

from survey_app.accounts.models import Role
from survey_app.api import auth
from survey_app.api.blueprint import ApiBlueprint
from survey_app.api.errors import refuse
from survey_app.api.idempotency import idempotent
from survey_app.api.paging import PageArgs, id_page, page_schema
from survey_app.core.db import db
from survey_app.core.strictjson import StrictSchema, Text
from survey_app.schemas.common import Representation, moment
from survey_app.surveys.models import Survey
from survey_app.webhooks import services
from survey_app.webhooks.events import CHAT_RULES, EVENT_TYPES
from survey_app.webhooks.models import WebhookEndpoint
from survey_app.webhooks.payloads import DATA_SCHEMAS
from survey_app.webhooks.ssrf import MAX_URL_LENGTH


class WebhooksBlueprint(ApiBlueprint):
    """The resource's operations, and the events themselves in the ``webhooks`` section."""

    def register_views_in_doc(self, api: Any, app: Any, spec: APISpec, **options: Any) -> None:
        super().register_views_in_doc(api, app, spec, **options)
        document_events(spec)


blp = WebhooksBlueprint("webhooks", __name__, description=(
    "Webhook endpoints and Slack / Teams channels: events signed the Standard Webhooks way "
    "(see the document's webhooks section and docs/webhooks.md)."))

#: The Standard Webhooks headers of every delivery.
SIGNATURE_HEADERS = [
    {"in": "header", "name": "webhook-id", "required": True, "schema": {"type": "string"},
     "description": "The event's id (``msg_…``), the same on every retry: de-duplicate on it."},
    {"in": "header", "name": "webhook-timestamp", "required": True,
     "schema": {"type": "string"}, "description": "Unix seconds when this attempt was signed."},
    {"in": "header", "name": "webhook-signature", "required": True,
     "schema": {"type": "string"}, "description": "Space-separated ``v1,<base64>`` HMAC-SHA256 "
                                                  "signatures (two during a secret rotation)."},
]


def document_events(spec: APISpec) -> None:
    """Describe each event's request in the OpenAPI 3.1 ``webhooks`` section, its ``data``
    from the same schema the API answers with (``webhooks.payloads.DATA_SCHEMAS``)."""
    plugin = next(p for p in spec.plugins if isinstance(p, MarshmallowPlugin))
    section = {}
    for event_type, schema in DATA_SCHEMAS.items():
        envelope = {
            "type": "object", "required": ["type", "timestamp", "data"],
            "properties": {
                "type": {"const": event_type},
                "timestamp": {"type": "string", "format": "date-time", "description":
                              "When it happened (an anonymous survey's: the day, 00:00Z)."},
                "data": plugin.converter.resolve_nested_schema(schema)}}
        section[event_type] = {"post": {
            "summary": f"{event_type} event", "operationId": f"event_{event_type}",
            "description": "Signed the Standard Webhooks way; retried for 24 hours until a "
                           "2xx (408, 409, 429 and 5xx are retried, other 4xx stop).",
            "parameters": SIGNATURE_HEADERS,
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": envelope}}},
            "responses": {"2XX": {"description": "Received; anything else is retried or "
                                                 "given up (see above)."}}}}
    spec.options["webhooks"] = section

MANAGERS = (Role.ADMIN, Role.HR, Role.SUPPORT)
SLUG = Length(min=1, max=64)


class EndpointInputSchema(StrictSchema):
    url = Text(required=True, validate=Length(min=1, max=MAX_URL_LENGTH), metadata={
        "description": "https only; never a private, local or reserved address."})
    events = fields.List(Text(validate=OneOf([*EVENT_TYPES, *CHAT_RULES])), required=True,
                         validate=Length(min=1, max=10), metadata={
        "description": "Event types (webhooks) or alert rules (Slack, Teams)."})
    surveys = fields.List(Text(validate=SLUG), load_default=list, validate=Length(max=200),
                          metadata={"description": "Survey slugs; empty: every survey of "
                                                   "the scope."})
    scope = Text(validate=OneOf(["customers", "employees"]), metadata={
        "description": "Default: customers for admin and support tokens, employees for HR."})
    kind = Text(load_default="webhook", validate=OneOf(["webhook", "slack", "teams"]))
    description = Text(load_default="", validate=Length(max=200))
    locale = Text(load_default="en", validate=OneOf(["en", "it"]), metadata={
        "description": "Language of Slack / Teams messages."})


class EndpointSchema(Representation):
    id = fields.Integer(required=True)
    kind = fields.String(required=True, metadata={"enum": ["webhook", "slack", "teams"]})
    url = fields.String(required=True, metadata={
        "description": "A Slack / Teams URL is a credential: only its host is shown."})
    description = fields.String(required=True)
    scope = fields.String(required=True, metadata={"enum": ["customers", "employees"]})
    events = fields.List(fields.String(), required=True)
    surveys = fields.List(fields.String(), required=True)
    locale = fields.String(required=True)
    is_active = fields.Boolean(required=True)
    disabled_reason = fields.String(required=True, allow_none=True)
    created_at = fields.String(required=True, metadata={"format": "date-time"})


class CreatedEndpointSchema(EndpointSchema):
    secret = fields.String(required=True, metadata={
        "description": "``whsec_…``: in this answer only. Verify deliveries with it."})


EndpointPageSchema = page_schema("EndpointPage", EndpointSchema)


def endpoint_data(endpoint: WebhookEndpoint) -> dict[str, Any]:
    slugs = dict(db.session.execute(select(Survey.id, Survey.slug)
                                    .where(Survey.id.in_(endpoint.survey_ids or [-1]))).all())
    return {"id": endpoint.id, "kind": endpoint.kind, "url": services.display_url(endpoint),
            "description": endpoint.description, "scope": endpoint.scope,
            "events": list(endpoint.events),
            "surveys": [slugs[i] for i in endpoint.survey_ids if i in slugs],
            "locale": endpoint.locale, "is_active": endpoint.is_active,
            "disabled_reason": endpoint.disabled_reason,
            "created_at": moment(endpoint.created_dt)}


def _endpoint_or_404(endpoint_id: int) -> WebhookEndpoint:
    token = auth.current_token()
    endpoint = db.session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        refuse(404, auth.HIDDEN)
    if not services.can_manage(token, endpoint):
        auth.refuse_hidden(token, endpoint)
    return endpoint


def _survey_ids(slugs: list[str]) -> list[int]:
    found = dict(db.session.execute(select(Survey.slug, Survey.id)
                                    .where(Survey.slug.in_(slugs))).all())
    unknown = [slug for slug in slugs if slug not in found]
    if unknown:
        refuse(422, "Unknown survey slugs: " + ", ".join(unknown[:10]), slug="validation",
               errors={"surveys": ["Unknown survey slugs: " + ", ".join(unknown[:10])]})
    return [found[slug] for slug in slugs]


@blp.route("/webhooks", methods=["GET"])
@auth.require(*MANAGERS)
@blp.arguments(PageArgs, location="query", unknown=RAISE)
@blp.response(200, EndpointPageSchema)
def list_webhooks(args: dict[str, Any]) -> Any:
    """List webhook endpoints

    Those of the scopes the token's role manages, oldest first; never their secrets.
    """
    return id_page(services.visible_endpoints(auth.current_token()), WebhookEndpoint.id, args,
                   endpoint_data)


@blp.route("/webhooks", methods=["POST"])
@auth.require(*MANAGERS)
@blp.arguments(EndpointInputSchema)
@idempotent
@blp.response(201, CreatedEndpointSchema)
def create_webhook(data: dict[str, Any]) -> dict[str, Any]:
    """Add a webhook endpoint

    The answer carries the signing secret, the only time it is shown. A URL that is not
    https, has no host, or points at a private, local or reserved address is a 422.
    """
    token = auth.current_token()
    scope = data.get("scope") or services.scopes_of(token)[0]
    endpoint = services.create_endpoint(
        token, url=data["url"], events=data["events"], scope=scope, kind=data["kind"],
        survey_ids=_survey_ids(data["surveys"]), description=data["description"],
        locale=data["locale"])
    return {**endpoint_data(endpoint), "secret": endpoint.secret}


@blp.route("/webhooks/<int:endpoint_id>/rotate", methods=["POST"])
@auth.require(*MANAGERS)
@auth.document(404)
@idempotent
@blp.response(200, CreatedEndpointSchema)
def rotate_webhook_secret(endpoint_id: int) -> dict[str, Any]:
    """Rotate the signing secret

    A new secret, in this answer only; the previous one keeps signing beside it for 24 hours.
    """
    endpoint = _endpoint_or_404(endpoint_id)
    secret = services.rotate_secret(endpoint, auth.current_token())
    return {**endpoint_data(endpoint), "secret": secret}


@blp.route("/webhooks/<int:endpoint_id>", methods=["DELETE"])
@auth.require(*MANAGERS)
@auth.document(404)
@blp.response(204)
def delete_webhook(endpoint_id: int) -> None:
    """Delete a webhook endpoint

    Nothing more is sent to it; its delivery log goes with it.
    """
    endpoint = _endpoint_or_404(endpoint_id)
    services.delete_endpoint(endpoint, auth.current_token())
    db.session.commit()
