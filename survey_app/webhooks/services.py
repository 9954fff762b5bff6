"""Managing endpoints: who may see and change which, create, edit, rotate, delete, redeliver,
send a test event. Flushes, never commits."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask_babel import gettext as _

from survey_app.accounts.models import ApiToken, Role, User
from survey_app.audit import services as audit
from survey_app.core.db import db, utcnow
from survey_app.core.errors import DomainError
from survey_app.surveys.models import Survey
from survey_app.webhooks import delivery, ssrf
from survey_app.webhooks.events import (
    CHAT_RULES,
    EVENT_TYPES,
    TEST_EVENT,
    emit,
    hand_off_after_commit,
)
from survey_app.webhooks.models import (
    DeliveryState,
    EndpointKind,
    Scope,
    WebhookDelivery,
    WebhookEndpoint,
)
from survey_app.webhooks.signing import new_secret

#: Roles that manage each scope's endpoints.
SCOPE_ROLES = {Scope.CUSTOMERS: frozenset({Role.ADMIN, Role.SUPPORT}),
               Scope.EMPLOYEES: frozenset({Role.ADMIN, Role.HR})}
#: How long the secret before a rotation still signs.
ROTATION_OVERLAP = timedelta(hours=24)
#: Incoming-webhook hosts of each chat platform (a host or a ``.suffix``).
CHAT_HOSTS = {EndpointKind.SLACK: ("hooks.slack.com",),
              EndpointKind.TEAMS: (".webhook.office.com", ".logic.azure.com",
                                   ".api.powerplatform.com")}


#: Who manages endpoints: a signed-in staff user, or an API token (acting with its role).
Actor = User | ApiToken


class InvalidEndpointError(DomainError):
    """The endpoint's settings are not acceptable; ``field`` names the culprit."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def scopes_of(user: Actor) -> list[str]:
    """Scopes ``user`` may manage (and see)."""
    return [scope for scope, roles in SCOPE_ROLES.items() if user.role in roles]


def visible_endpoints(user: Actor) -> sa.Select[tuple[WebhookEndpoint]]:
    return (sa.select(WebhookEndpoint).where(WebhookEndpoint.scope.in_(scopes_of(user)))
            .order_by(WebhookEndpoint.id))


def can_manage(user: Actor, endpoint: WebhookEndpoint) -> bool:
    return endpoint.scope in scopes_of(user)


def check_settings(kind: str, scope: str, url: str, events: list[str], survey_ids: list[int],
                   *, user: Actor) -> None:
    """:raises InvalidEndpointError: a bad scope, URL, event list or survey."""
    if scope not in scopes_of(user):
        raise InvalidEndpointError("scope", _("You cannot manage endpoints of this scope."))
    try:
        ssrf.check_url(url)
    except ssrf.UnsafeURLError as error:
        raise InvalidEndpointError("url", str(error)) from None
    if kind != EndpointKind.WEBHOOK:
        _check_chat_host(kind, url)
    choices = EVENT_TYPES if kind == EndpointKind.WEBHOOK else CHAT_RULES
    if not events or any(e not in choices for e in events):
        raise InvalidEndpointError("events", _("Choose at least one of the listed events."))
    if survey_ids:
        audiences = dict(db.session.execute(
            sa.select(Survey.id, Survey.audience).where(Survey.id.in_(survey_ids))).all())
        if set(survey_ids) - audiences.keys() or any(a != scope for a in audiences.values()):
            raise InvalidEndpointError("surveys", _("Choose surveys of this endpoint's scope."))


def _check_chat_host(kind: str, url: str) -> None:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if f"{host}:{parts.port or 443}" in ssrf.allowed_hosts():
        return
    if not any(host == h or (h.startswith(".") and host.endswith(h)) for h in CHAT_HOSTS[kind]):
        raise InvalidEndpointError("url", _("This is not an incoming-webhook URL of %(platform)s.",
                                            platform=kind.title()))


def create_endpoint(user: Actor, *, url: str, events: list[str], scope: str,
                    kind: str = EndpointKind.WEBHOOK, survey_ids: list[int] | None = None,
                    description: str = "", locale: str = "en") -> WebhookEndpoint:
    """A new active endpoint with a fresh secret (shown once by the caller).

    :raises InvalidEndpointError: see :func:`check_settings`.
    """
    survey_ids = sorted(set(survey_ids or []))
    check_settings(kind, scope, url, events, survey_ids, user=user)
    endpoint = WebhookEndpoint(kind=kind, url=url, events=list(events), scope=scope,
                               survey_ids=survey_ids, description=description, locale=locale,
                               secret=new_secret(), created_by=_owner(user),
                               created_dt=utcnow())
    db.session.add(endpoint)
    db.session.flush()
    _audit(user, "webhook.create", endpoint, **_details(endpoint))
    return endpoint


def update_endpoint(endpoint: WebhookEndpoint, user: Actor, *, url: str, events: list[str],
                    survey_ids: list[int], description: str, locale: str,
                    is_active: bool) -> None:
    """Change the endpoint; switching it on again forgets its failures.

    :raises InvalidEndpointError: see :func:`check_settings`.
    """
    survey_ids = sorted(set(survey_ids))
    check_settings(endpoint.kind, endpoint.scope, url, events, survey_ids, user=user)
    endpoint.url, endpoint.events, endpoint.survey_ids = url, list(events), survey_ids
    endpoint.description, endpoint.locale = description, locale
    if is_active and not endpoint.is_active:
        endpoint.failing_since_dt = endpoint.disabled_reason = None
    endpoint.is_active = is_active
    db.session.flush()
    _audit(user, "webhook.update", endpoint, **_details(endpoint))


def rotate_secret(endpoint: WebhookEndpoint, user: Actor, now: datetime | None = None) -> str:
    """A new secret; the current one keeps signing (beside it) for 24 hours. Returns it."""
    now = now or utcnow()
    endpoint.previous_secret, endpoint.secret = endpoint.secret, new_secret()
    endpoint.previous_secret_expires_dt = now + ROTATION_OVERLAP
    db.session.flush()
    _audit(user, "webhook.rotate", endpoint)
    return endpoint.secret


def delete_endpoint(endpoint: WebhookEndpoint, user: Actor) -> None:
    """Delete the endpoint and its delivery log (its events stay for other endpoints)."""
    _audit(user, "webhook.delete", endpoint, **_details(endpoint))
    db.session.execute(sa.delete(WebhookDelivery)
                       .where(WebhookDelivery.endpoint_id == endpoint.id))
    db.session.delete(endpoint)
    db.session.flush()


def redeliver(row: WebhookDelivery, user: Actor, now: datetime | None = None) -> None:
    """Send a finished delivery again (same event, same ``webhook-id``).

    :raises InvalidEndpointError: it is still being sent or retried, or the endpoint is off.
    """
    if row.state not in (DeliveryState.DELIVERED, DeliveryState.FAILED):
        raise InvalidEndpointError("delivery", _("This delivery is still being sent or "
                                                 "retried."))
    if not row.endpoint.is_active:
        raise InvalidEndpointError("delivery", _("Switch the endpoint on first."))
    now = now or utcnow()
    changed = db.session.execute(
        sa.update(WebhookDelivery)
        .where(WebhookDelivery.id == row.id, WebhookDelivery.state == row.state)
        .values(state=DeliveryState.PENDING, next_attempt_dt=now, claim_token=None)
        .execution_options(synchronize_session=False)).rowcount
    if changed != 1:
        raise InvalidEndpointError("delivery", _("This delivery is still being sent or "
                                                 "retried."))
    _audit(user, "webhook.redeliver", row.endpoint, delivery_id=row.id,
                 event_id=row.event_id)
    hand_off_after_commit([row.endpoint_id])
    db.session.expire(row)


def queue_test(endpoint: WebhookEndpoint, user: Actor, now: datetime | None = None) -> int:
    """Write a ``webhook.test`` event for ``endpoint`` alone; the delivery's id (not handed
    to the workers: the caller sends it with :func:`send_now` after the commit)."""
    now = now or utcnow()
    data = {"endpoint_id": endpoint.id, "message": "Test event from Polso"}
    event_id = emit(TEST_EVENT, data, scope=endpoint.scope, survey_id=None,
                    endpoint_ids=[endpoint.id], now=now, hand_off=False)
    _audit(user, "webhook.test", endpoint, event_id=event_id)
    return db.session.scalar(sa.select(WebhookDelivery.id).where(
        WebhookDelivery.event_id == event_id))


def send_now(delivery_id: int) -> delivery.Outcome | None:
    """Send one delivery in this process, once (the test event); commits."""
    return delivery.deliver(delivery_id, retry=False)


def _owner(actor: Actor) -> User | None:
    """Who is e-mailed about the endpoint: the user, or the user who made the token."""
    return actor if isinstance(actor, User) else actor.created_by


def _audit(actor: Actor, action: str, target: Any, **details: Any) -> None:
    if isinstance(actor, ApiToken):
        audit.record_api(actor, action, target, **details)
    else:
        audit.record(actor, action, target, **details)


def display_url(endpoint: WebhookEndpoint) -> str:
    """The URL as pages show it: a chat URL is a credential, so only its host."""
    if endpoint.kind == EndpointKind.WEBHOOK:
        return endpoint.url
    return f"https://{urlsplit(endpoint.url).hostname}/…"


def _details(endpoint: WebhookEndpoint) -> dict[str, Any]:
    """Audit details: never the secret, never a chat URL's path (a credential)."""
    return {"kind": endpoint.kind, "scope": endpoint.scope, "host": urlsplit(endpoint.url).hostname,
            "events": endpoint.events, "surveys": endpoint.survey_ids,
            "active": endpoint.is_active}
