"""A ``polso worker`` SIGKILLed after the request went out and before it recorded the answer:
the event arrives again, with the same ``webhook-id`` (at-least-once)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from werkzeug import Response as WerkzeugResponse

from survey_app.accounts.models import User
from survey_app.core.db import db, utcnow
from survey_app.webhooks import delivery, services, tasks
from survey_app.webhooks.events import emit
from survey_app.webhooks.models import WebhookDelivery
from tests.core.test_jobs import _dispose, _second_app
from tests.webhooks.conftest import received, verify


@pytest.mark.live
def test_a_worker_killed_between_send_and_acknowledgement_sends_again(
        app, database_url, receiver, make_user, tmp_path):
    arrived, release = threading.Event(), threading.Event()

    def hold_the_first(_request):
        if not arrived.is_set():
            arrived.set()
            release.wait(120)  # the worker waits for this answer; it is killed meanwhile
        return WerkzeugResponse("ok", 200)

    receiver.expect_request("/hook").respond_with_handler(hold_the_first)
    broker = f"sqlite:///{tmp_path / 'jobs.sqlite3'}"
    allowed = ",".join(app.config["WEBHOOK_ALLOWED_HOSTS"])
    second = _second_app(database_url, 0, JOBS_URL=broker, WEBHOOK_ALLOWED_HOSTS=allowed)
    owner_id = make_user("admin")
    with second.app_context():
        endpoint = services.create_endpoint(db.session.get(User, owner_id),
                                            url=receiver.url_for("/hook"),
                                            events=["response.created"], scope="customers")
        secret = endpoint.secret
        emit("response.created", {"id": 1, "score": 0}, scope="customers", survey_id=None,
             endpoint_ids=[endpoint.id], hand_off=False)
        delivery_id = db.session.scalar(sa.select(WebhookDelivery.id))
        db.session.commit()
        tasks.deliver_webhooks([endpoint.id])  # on the broker, for the worker
    env = {**os.environ, "POLSO_DATABASE_URL": database_url, "POLSO_SECRET_KEY": "test-secret",
           "POLSO_JOBS_URL": broker, "POLSO_WEBHOOK_ALLOWED_HOSTS": allowed}
    polso = Path(sys.executable).parent / "polso"
    log = tmp_path / "worker.log"
    with log.open("w") as stderr:
        worker = subprocess.Popen([str(polso), "worker", "-w", "1", "-n"], env=env,
                                  stdout=subprocess.DEVNULL, stderr=stderr)
    try:
        assert arrived.wait(180), log.read_text()[-2000:]  # a busy machine starts slowly
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    finally:
        release.set()
        if worker.poll() is None:
            worker.kill()
    try:
        with second.app_context():
            row = db.session.get(WebhookDelivery, delivery_id)
            assert (row.state, row.attempts) == ("sending", 1)  # sent, never acknowledged
            later = utcnow() + timedelta(seconds=second.config["WEBHOOK_LEASE_SECONDS"] + 1)
            assert tasks.sweep(later) == [delivery_id]
            assert delivery.deliver(delivery_id, now=later).state == "delivered"
    finally:
        _dispose(second)
    time.sleep(0.1)
    first, again = received(receiver)
    assert first.headers["webhook-id"] == again.headers["webhook-id"]
    assert verify(secret, first) == verify(secret, again)


@pytest.mark.live
def test_a_worker_killed_mid_batch_sends_the_unrecorded_and_the_unsent_again(
        app, database_url, receiver, make_user, tmp_path):
    """One run holds five deliveries; the worker dies while the third is in flight: the
    third (sent, never acknowledged) and the fourth and fifth (never sent) go again after
    the lease, each with its own id kept; nothing is lost."""
    arrived, release = threading.Event(), threading.Event()
    count = iter(range(100))

    def hold_the_third(_request):
        if next(count) == 2:
            arrived.set()
            release.wait(120)  # the worker waits for this answer; it is killed meanwhile
        return WerkzeugResponse("ok", 200)

    receiver.expect_request("/hook").respond_with_handler(hold_the_third)
    broker = f"sqlite:///{tmp_path / 'jobs.sqlite3'}"
    allowed = ",".join(app.config["WEBHOOK_ALLOWED_HOSTS"])
    second = _second_app(database_url, 0, JOBS_URL=broker, WEBHOOK_ALLOWED_HOSTS=allowed)
    owner_id = make_user("admin")
    with second.app_context():
        endpoint = services.create_endpoint(db.session.get(User, owner_id),
                                            url=receiver.url_for("/hook"),
                                            events=["response.created"], scope="customers")
        endpoint_id, secret = endpoint.id, endpoint.secret
        for number in range(5):
            emit("response.created", {"id": number, "score": 0}, scope="customers",
                 survey_id=None, endpoint_ids=[endpoint_id], hand_off=False)
        db.session.commit()
        tasks.enqueue([endpoint_id])  # one job, on the broker, for the worker
    env = {**os.environ, "POLSO_DATABASE_URL": database_url, "POLSO_SECRET_KEY": "test-secret",
           "POLSO_JOBS_URL": broker, "POLSO_WEBHOOK_ALLOWED_HOSTS": allowed}
    polso = Path(sys.executable).parent / "polso"
    log = tmp_path / "worker.log"
    with log.open("w") as stderr:
        worker = subprocess.Popen([str(polso), "worker", "-w", "1", "-n"], env=env,
                                  stdout=subprocess.DEVNULL, stderr=stderr)
    try:
        assert arrived.wait(180), log.read_text()[-2000:]
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    finally:
        release.set()
        if worker.poll() is None:
            worker.kill()
    try:
        with second.app_context():
            rows = db.session.scalars(sa.select(WebhookDelivery).order_by(WebhookDelivery.id))
            states = [row.state for row in rows]
            assert states[2:] == ["sending"] * 3  # one run claimed all five; none recorded
            later = utcnow() + timedelta(seconds=second.config["WEBHOOK_LEASE_SECONDS"] + 1)
            assert len(tasks.sweep(later)) == states.count("sending")
            token, ids = delivery.claim_batch(endpoint_id, later, 50)
            delivery.Run(token, ids, later).send_all()
            assert set(db.session.scalars(sa.select(WebhookDelivery.state))) == {"delivered"}
    finally:
        _dispose(second)
    time.sleep(0.1)
    requests = received(receiver)
    ids = [request.headers["webhook-id"] for request in requests]
    first_three = ids[:3]  # the worker got no further than the third
    assert len(set(ids)) == 5 and ids.count(first_three[2]) == 2
    assert all(ids.count(i) == 1 for i in set(ids) - set(first_three))
    bodies: dict[str, dict] = {}
    for request in requests:  # a repeat is the same signed event
        assert bodies.setdefault(request.headers["webhook-id"], verify(secret, request)) == \
            verify(secret, request)
