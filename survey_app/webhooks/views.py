"""``/settings/webhooks``: list, add (the secret shown once), edit, rotate, delete, deliveries,
send a test event, redeliver. Support/admin manage customer endpoints, HR/admin employee ones;
another team's endpoint answers 404."""

from __future__ import annotations

import secrets
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload

from survey_app.accounts.access import access_denied, role_required, visible_surveys
from survey_app.accounts.models import User
from survey_app.core.db import db
from survey_app.core.inputs import page_arg
from survey_app.surveys.models import Survey
from survey_app.webhooks import services
from survey_app.webhooks.forms import DeleteForm, EndpointForm, scope_choices
from survey_app.webhooks.models import EndpointKind, WebhookDelivery, WebhookEndpoint

bp = Blueprint("webhooks", __name__, url_prefix="/settings/webhooks")

#: Deliveries per page of an endpoint's log.
PER_PAGE = 50
#: Session key: ``[nonce, endpoint id]`` of the endpoint this browser added last.
_ADDED = "webhook_added"
#: Longest add-form id kept in the session cookie (a forged longer one is ignored).
NONCE_MAX = 64
MANAGERS = ("admin", "hr", "support")


def _me() -> User:
    """The signed-in user as a model instance (from the session's identity map)."""
    return db.session.get(User, current_user.id)


def _endpoint_or_404(endpoint_id: int) -> WebhookEndpoint:
    endpoint = db.session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        abort(404)
    if not services.can_manage(current_user, endpoint):
        access_denied.send(None, target=endpoint, role=current_user.role)
        abort(404)
    return endpoint


def _form(endpoint: WebhookEndpoint | None = None, *, as_stored: bool = False,
          **kwargs: Any) -> EndpointForm:
    """The endpoint form: as posted, or as stored on a GET or ``as_stored`` (another form of
    the page was posted)."""
    if as_stored:
        kwargs["formdata"] = None
    form = EndpointForm(obj=endpoint, **kwargs)
    scopes = [endpoint.scope] if endpoint else services.scopes_of(current_user)
    form.scope.choices = scope_choices(scopes)
    surveys = db.session.scalars(visible_surveys(current_user).order_by(Survey.title))
    form.surveys.choices = [(s.id, f"{s.title} ({_audience(s.audience)})") for s in surveys
                            if s.audience in scopes]
    if endpoint is not None and (request.method == "GET" or as_stored):
        form.surveys.data = endpoint.survey_ids
        target = form.events if endpoint.kind == EndpointKind.WEBHOOK else form.rules
        target.data = endpoint.events
    return form


def _audience(audience: str) -> str:
    return _("employees") if audience == "employees" else _("customers")


@bp.get("")
@role_required(*MANAGERS)
def index():
    form = _form()
    form.nonce.data = secrets.token_urlsafe(16)
    return _index_page(form, 200)


def _index_page(form: EndpointForm, status: int):
    endpoints = db.session.scalars(services.visible_endpoints(current_user)).all()
    return render_template("webhooks/index.html", endpoints=endpoints, form=form,
                           display_url=services.display_url), status


@bp.post("")
@role_required(*MANAGERS)
def create():
    form = _form()
    if not form.validate_on_submit():
        return _index_page(form, 422)
    added = session.get(_ADDED)
    nonce = form.nonce.data if len(form.nonce.data or "") <= NONCE_MAX else None  # ours: 22
    if nonce and added and added[0] == nonce:  # the same form again
        flash(_("This endpoint was added already: its secret was shown then. If you did not "
                "copy it, rotate the secret."))
        return redirect(url_for(".detail", endpoint_id=added[1]))
    chosen = form.events.data if form.kind.data == EndpointKind.WEBHOOK else form.rules.data
    try:
        endpoint = services.create_endpoint(
            _me(), url=form.url.data.strip(), events=chosen, scope=form.scope.data,
            kind=form.kind.data, survey_ids=form.surveys.data,
            description=(form.description.data or "").strip(), locale=form.locale.data)
    except services.InvalidEndpointError as error:
        db.session.rollback()
        _field_of(form, error).errors = [str(error)]
        return _index_page(form, 422)
    db.session.commit()
    if nonce:
        session[_ADDED] = [nonce, endpoint.id]
    return _secret_page(endpoint, created=True)


def _field_of(form: EndpointForm, error: services.InvalidEndpointError) -> Any:
    if error.field == "events" and form.kind.data != EndpointKind.WEBHOOK:
        return form.rules
    return getattr(form, error.field, form.url)


def _secret_page(endpoint: WebhookEndpoint, *, created: bool):
    """The secret, this once: never cached, never shown again."""
    body = render_template("webhooks/secret.html", endpoint=endpoint, created=created,
                           display_url=services.display_url(endpoint))
    return body, 201 if created else 200, {"Cache-Control": "no-store"}


@bp.get("/<int:endpoint_id>")
@role_required(*MANAGERS)
def detail(endpoint_id: int):
    endpoint = _endpoint_or_404(endpoint_id)
    return _detail_page(endpoint, _form(endpoint), 200)


def _detail_page(endpoint: WebhookEndpoint, form: EndpointForm, status: int,
                 delete_form: DeleteForm | None = None):
    page = page_arg(request.args)
    deliveries = db.session.scalars(
        sa.select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)
        .order_by(WebhookDelivery.created_dt.desc(), WebhookDelivery.id.desc())
        .options(joinedload(WebhookDelivery.event))
        .limit(PER_PAGE + 1).offset((page - 1) * PER_PAGE)).all()
    return render_template(
        "webhooks/detail.html", endpoint=endpoint, form=form, page=page,
        deliveries=deliveries[:PER_PAGE], has_next=len(deliveries) > PER_PAGE,
        display_url=services.display_url(endpoint),
        delete_form=delete_form or DeleteForm(formdata=None)), status


@bp.post("/<int:endpoint_id>")
@role_required(*MANAGERS)
def update(endpoint_id: int):
    endpoint = _endpoint_or_404(endpoint_id)
    form = _form(endpoint)
    form.kind.data, form.scope.data = endpoint.kind, endpoint.scope  # chosen once
    if not form.validate_on_submit():
        return _detail_page(endpoint, form, 422)
    chosen = form.events.data if endpoint.kind == EndpointKind.WEBHOOK else form.rules.data
    try:
        services.update_endpoint(endpoint, _me(), url=form.url.data.strip(), events=chosen,
                                 survey_ids=form.surveys.data,
                                 description=(form.description.data or "").strip(),
                                 locale=form.locale.data, is_active=form.is_active.data)
    except services.InvalidEndpointError as error:
        db.session.rollback()
        endpoint = _endpoint_or_404(endpoint_id)
        _field_of(form, error).errors = [str(error)]
        return _detail_page(endpoint, form, 422)
    db.session.commit()
    flash(_("Endpoint saved."))
    return redirect(url_for(".detail", endpoint_id=endpoint.id), 303)


@bp.post("/<int:endpoint_id>/rotate")
@role_required(*MANAGERS)
def rotate(endpoint_id: int):
    endpoint = _endpoint_or_404(endpoint_id)
    services.rotate_secret(endpoint, _me())
    db.session.commit()
    return _secret_page(endpoint, created=False)


@bp.post("/<int:endpoint_id>/delete")
@role_required(*MANAGERS)
def delete(endpoint_id: int):
    endpoint = _endpoint_or_404(endpoint_id)
    form = DeleteForm()
    if not form.validate_on_submit():
        return _detail_page(endpoint, _form(endpoint, as_stored=True), 422,
                            delete_form=form)
    services.delete_endpoint(endpoint, _me())
    db.session.commit()
    flash(_("Endpoint deleted."))
    return redirect(url_for(".index"), 303)


@bp.post("/<int:endpoint_id>/test")
@role_required(*MANAGERS)
def send_test(endpoint_id: int):
    """Send a ``webhook.test`` event now and say how the receiver answered (status only)."""
    endpoint = _endpoint_or_404(endpoint_id)
    delivery_id = services.queue_test(endpoint, _me())
    db.session.commit()
    outcome = services.send_now(delivery_id)
    if outcome is None:
        flash(_("The test event is queued; its result will show below."))
    elif outcome.state == "delivered":
        flash(_("Test event delivered: the receiver answered %(code)s in %(ms)s ms.",
                code=outcome.status_code, ms=outcome.duration_ms))
    else:
        flash(_("Test event not delivered: %(reason)s.", reason=outcome.error), "error")
    return redirect(url_for(".detail", endpoint_id=endpoint_id), 303)


@bp.post("/<int:endpoint_id>/deliveries/<int:delivery_id>/redeliver")
@role_required(*MANAGERS)
def redeliver(endpoint_id: int, delivery_id: int):
    endpoint = _endpoint_or_404(endpoint_id)
    row = db.session.get(WebhookDelivery, delivery_id)
    if row is None or row.endpoint_id != endpoint.id:
        abort(404)
    try:
        services.redeliver(row, _me())
    except services.InvalidEndpointError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for(".detail", endpoint_id=endpoint_id), 303)
    db.session.commit()
    flash(_("The event will be sent again, with the same webhook-id."))
    return redirect(url_for(".detail", endpoint_id=endpoint_id), 303)
