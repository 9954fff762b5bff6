"""API test helpers: a token per role and a JSON client that sends it."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from survey_app.accounts.api_tokens import create_token
from survey_app.core.db import db

ROLES = ("admin", "hr", "support", "viewer")
_names = itertools.count(1)


@pytest.fixture
def make_token(app: Flask) -> Callable[..., str]:
    """``make_token(role="admin", name=None) -> secret`` (committed)."""

    def make(role: str = "admin", name: str | None = None) -> str:
        with app.app_context():
            _, secret = create_token(name or f"{role}-token-{next(_names)}", role)
            db.session.commit()
            return secret

    return make


@pytest.fixture
def tokens(make_token: Callable[..., str]) -> dict[str, str]:
    """One token per role: ``tokens["support"]``."""
    return {role: make_token(role) for role in ROLES}


class ApiClient:
    """``api.post(path, token, json=…, headers=…)``: JSON in, a test response out."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def call(self, method: str, path: str, token: str | None, *, json_body: Any = None,
             data: bytes | str | None = None, content_type: str = "application/json",
             headers: dict[str, str] | None = None) -> TestResponse:
        sent = dict(headers or {})
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        if json_body is not None:
            data = json.dumps(json_body)
        return self.client.open(path, method=method, data=data, headers=sent,
                                content_type=content_type if data is not None else None)

    def get(self, path: str, token: str | None, **kwargs: Any) -> TestResponse:
        return self.call("GET", path, token, **kwargs)

    def post(self, path: str, token: str | None, json: Any = None, **kwargs: Any
             ) -> TestResponse:
        return self.call("POST", path, token, json_body=json, **kwargs)


@pytest.fixture
def api(client: FlaskClient) -> ApiClient:
    return ApiClient(client)


def assert_problem(response: TestResponse, status: int, slug: str | None = None) -> dict:
    """``response`` is an RFC 9457 problem with ``status`` (and type ``…/slug``); its body."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.content_type == "application/problem+json"
    body = response.get_json(force=True)
    assert body["status"] == status and body["title"] and body["detail"]
    if slug is not None:
        assert body["type"] == f"https://polso.dev/problems/{slug}", body
    return body
