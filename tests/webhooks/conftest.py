"""Webhook tests: a real HTTP receiver (pytest-httpserver) allowed through the allow-list."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest
from flask import Flask
from pytest_httpserver import HTTPServer
from standardwebhooks.webhooks import Webhook

from survey_app.accounts.models import User
from survey_app.core.db import db
from survey_app.webhooks import delivery, routing, services, tasks
from survey_app.webhooks.models import WebhookEndpoint


@pytest.fixture
def receiver(app: Flask, httpserver: HTTPServer) -> Iterator[HTTPServer]:
    """The local receiver, allowed (http, loopback) through ``WEBHOOK_ALLOWED_HOSTS``."""
    allowed = app.config["WEBHOOK_ALLOWED_HOSTS"]
    app.config["WEBHOOK_ALLOWED_HOSTS"] = [f"127.0.0.1:{httpserver.port}",
                                           f"localhost:{httpserver.port}"]
    yield httpserver
    app.config["WEBHOOK_ALLOWED_HOSTS"] = allowed
    httpserver.clear()


@pytest.fixture
def make_endpoint(app: Flask, make_user: Callable[..., int], receiver: HTTPServer
                  ) -> Callable[..., tuple[int, str]]:
    """``make_endpoint(events=[…], scope="customers", path="/hook", **options)`` →
    ``(endpoint id, secret)``, created by a new admin (committed)."""

    def make(events: list[str] | None = None, *, scope: str = "customers",
             path: str = "/hook", role: str = "admin", **options: Any) -> tuple[int, str]:
        owner_id = make_user(role)
        with app.app_context():
            endpoint = services.create_endpoint(
                db.session.get(User, owner_id), url=receiver.url_for(path),
                events=events or ["response.created"], scope=scope, **options)
            db.session.commit()
            return endpoint.id, endpoint.secret

    return make


def received(server: HTTPServer) -> list[Any]:
    """Requests the receiver got, in order (werkzeug requests)."""
    return [request for request, _response in server.log]


def verify(secret: str, request: Any) -> dict[str, Any]:
    """The payload, verified with the library's own verifier (raises if the signature fails)."""
    return Webhook(secret).verify(request.get_data(), dict(request.headers))


def payloads(server: HTTPServer) -> list[dict[str, Any]]:
    return [json.loads(r.get_data()) for r in received(server)]


def endpoint(app: Flask, endpoint_id: int) -> WebhookEndpoint:
    with app.app_context():
        row = db.session.get(WebhookEndpoint, endpoint_id)
        db.session.expunge(row)
        return row


def deliver_due(at: datetime) -> None:
    """What the sweep job does at ``at`` (in an app context): route the events due, then send
    the deliveries due."""
    routing.route(at)
    for delivery_id in tasks.sweep(at):
        delivery.deliver(delivery_id, now=at)
