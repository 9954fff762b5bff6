"""Idempotency keys across threads of a real HTTP server: a key in flight is a 409, and
however many retries race, one invitation and one e-mail."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from survey_app.accounts.api_tokens import create_token
from survey_app.api.views import invitations as invitations_view
from survey_app.core.db import db
from survey_app.invitations.models import Invitation

pytestmark = pytest.mark.live

BODY = {"person": {"email": "ann@example.com"}}
PROBLEMS = "https://polso.dev/problems/"


def _post(url: str, secret: str, body: dict, key: str) -> tuple[int, dict[str, str], dict]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Authorization": f"Bearer {secret}",
                                              "Content-Type": "application/json",
                                              "Idempotency-Key": key})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read())


@pytest.fixture
def setup(app, make_survey):
    make_survey("nps", slug="race", settings={"throttle_days": 0})
    with app.app_context():
        _, secret = create_token("racer", "admin")
        db.session.commit()
    return secret


def _invitations(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Invitation))


def test_a_key_still_in_flight_is_a_409(app, live_server, setup, smtp_server, monkeypatch):
    url = f"{live_server.url}/api/v1/surveys/race/invitations"
    entered, gate = threading.Event(), threading.Event()
    original = invitations_view._survey

    def held(token, slug):  # the first request waits here, its key committed as in flight
        entered.set()
        gate.wait(10)
        return original(token, slug)

    monkeypatch.setattr(invitations_view, "_survey", held)
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(_post, url, setup, BODY, "k-1")
        assert entered.wait(10)
        monkeypatch.setattr(invitations_view, "_survey", original)
        status, headers, problem = _post(url, setup, BODY, "k-1")
        assert (status, problem["type"]) == (409, PROBLEMS + "idempotency-key-in-use")
        assert headers["Retry-After"] == "1"
        status, _, problem = _post(url, setup, {"person": {"email": "bob@example.com"}}, "k-1")
        assert (status, problem["type"]) == (422, PROBLEMS + "idempotency-key-reused")
        gate.set()
        status, headers, body = first.result(30)
    assert status == 200 and body["outcome"] == "sent"
    status, headers, replay = _post(url, setup, BODY, "k-1")
    assert (status, headers["Idempotent-Replayed"], replay) == (200, "true", body)
    assert len(smtp_server.to("ann@example.com")) == 1
    assert _invitations(app) == 1


def test_racing_retries_send_one_e_mail(app, live_server, setup, smtp_server):
    url = f"{live_server.url}/api/v1/surveys/race/invitations"
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: _post(url, setup, BODY, "k-2"), range(8)))
    fresh = [r for r in results if r[0] == 200 and "Idempotent-Replayed" not in r[1]]
    replayed = [r for r in results if r[0] == 200 and r[1].get("Idempotent-Replayed") == "true"]
    in_flight = [r for r in results if r[0] == 409]
    assert len(fresh) == 1 and len(fresh) + len(replayed) + len(in_flight) == 8, results
    assert all(r[2] == fresh[0][2] for r in replayed)
    assert len(smtp_server.to("ann@example.com")) == 1
    assert _invitations(app) == 1
