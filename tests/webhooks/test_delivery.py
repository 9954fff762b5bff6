"""Delivery against a real receiver: signatures, retries, stops, the disable rule, leases."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from werkzeug import Response as WerkzeugResponse

from survey_app.core.db import db, utcnow
from survey_app.webhooks import delivery, services, tasks
from survey_app.webhooks.events import emit
from survey_app.webhooks.models import DeliveryState, WebhookDelivery, WebhookEndpoint
from tests.webhooks.conftest import received, verify


def _emit(app, endpoint_id: int, data: dict | None = None) -> int:
    """One event for ``endpoint_id`` (committed); its delivery id."""
    with app.app_context():
        event_id = emit("response.created", data or {"id": 1, "score": 3}, scope="customers",
                        survey_id=None, endpoint_ids=[endpoint_id], hand_off=False)
        db.session.commit()
        return db.session.scalar(sa.select(WebhookDelivery.id)
                                 .where(WebhookDelivery.event_id == event_id))


def _row(app, delivery_id: int) -> WebhookDelivery:
    with app.app_context():
        row = db.session.get(WebhookDelivery, delivery_id)
        db.session.expunge(row)
        return row


def test_a_delivery_is_signed_the_standard_webhooks_way(app, receiver, make_endpoint):
    receiver.expect_request("/hook", method="POST").respond_with_data("ok")
    endpoint_id, secret = make_endpoint()
    delivery_id = _emit(app, endpoint_id, {"id": 7, "score": 2})
    with app.app_context():
        outcome = delivery.deliver(delivery_id)
    assert outcome.state == DeliveryState.DELIVERED and outcome.status_code == 200
    [request] = received(receiver)
    assert verify(secret, request)["data"] == {"id": 7, "score": 2}
    assert request.headers["webhook-id"].startswith("msg_")
    assert request.headers["Content-Type"] == "application/json"
    row = _row(app, delivery_id)
    assert (row.state, row.attempts, row.status_code) == ("delivered", 1, 200)


def test_a_receiver_failing_twice_gets_the_same_event_three_times(app, receiver, make_endpoint):
    answers = iter([WerkzeugResponse("busy", 503), WerkzeugResponse("slow down", 429,
                                                                     {"Retry-After": "1"}),
                    WerkzeugResponse("ok", 200)])
    receiver.expect_request("/hook").respond_with_handler(lambda _request: next(answers))
    endpoint_id, secret = make_endpoint()
    delivery_id = _emit(app, endpoint_id)
    now = utcnow()
    with app.app_context():
        first = delivery.deliver(delivery_id, now=now)
        assert first.state == DeliveryState.PENDING and first.status_code == 503
        assert delivery.deliver(delivery_id, now=now) is None  # not due yet: nothing sent
        second = delivery.deliver(delivery_id, now=first.next_attempt_dt)
        assert second.state == DeliveryState.PENDING
        assert second.next_attempt_dt >= now + timedelta(seconds=1)  # Retry-After honoured
        third = delivery.deliver(delivery_id, now=second.next_attempt_dt)
    assert third.state == DeliveryState.DELIVERED
    requests = received(receiver)
    assert len(requests) == 3
    assert len({r.headers["webhook-id"] for r in requests}) == 1
    for request in requests:
        verify(secret, request)
    assert _row(app, delivery_id).attempts == 3


def test_410_and_400_stop_at_once(app, receiver, make_endpoint):
    for code in (410, 400):
        receiver.clear()
        receiver.expect_request("/hook").respond_with_data("gone", status=code)
        endpoint_id, _secret = make_endpoint()
        delivery_id = _emit(app, endpoint_id)
        with app.app_context():
            outcome = delivery.deliver(delivery_id)
        assert outcome.state == DeliveryState.FAILED and outcome.next_attempt_dt is None
        row = _row(app, delivery_id)
        assert (row.state, row.status_code, row.last_error) == ("failed", code, f"HTTP {code}")
        assert len(received(receiver)) == 1


def test_redirects_are_not_followed(app, receiver, make_endpoint):
    receiver.expect_request("/hook").respond_with_data(
        "", status=302, headers={"Location": receiver.url_for("/elsewhere")})
    endpoint_id, _secret = make_endpoint()
    with app.app_context():
        outcome = delivery.deliver(_emit(app, endpoint_id))
    assert outcome.state == DeliveryState.FAILED
    assert [r.path for r in received(receiver)] == ["/hook"]


def test_an_endpoint_failing_for_24_hours_is_disabled_and_its_owner_told(
        app, receiver, make_endpoint, smtp_server):
    receiver.expect_request("/hook").respond_with_data("down", status=500)
    endpoint_id, _secret = make_endpoint()
    with app.app_context():
        first = _emit(app, endpoint_id)
        start = utcnow()
        assert delivery.deliver(first, now=start).state == DeliveryState.PENDING
        hooked = db.session.get(WebhookEndpoint, endpoint_id)
        assert hooked.is_active and hooked.failing_since_dt is not None
        # A day later (time moved, not slept): another event fails too.
        db.session.execute(sa.update(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id)
                           .values(failing_since_dt=start - timedelta(hours=25)))
        db.session.execute(sa.update(WebhookDelivery).where(WebhookDelivery.id == first)
                           .values(next_attempt_dt=start + timedelta(hours=1)))  # not due yet
        db.session.commit()
        later = _emit(app, endpoint_id)
        tasks.deliver_webhooks.call_local([endpoint_id])  # the job, as a worker runs it
        db.session.expire_all()
        assert db.session.get(WebhookDelivery, later).state == DeliveryState.PENDING
        hooked = db.session.get(WebhookEndpoint, endpoint_id)
        assert not hooked.is_active and hooked.disabled_reason == "failing"
        owner = hooked.created_by.email
        # Nothing more goes out to a disabled endpoint.
        row = db.session.get(WebhookDelivery, first)
        outcome = delivery.deliver(first, now=row.next_attempt_dt)
        assert outcome.state == DeliveryState.FAILED and outcome.error == "endpoint disabled"
    assert len(received(receiver)) == 2
    [notice] = smtp_server.to(owner)
    assert "webhook" in notice["Subject"].lower()


def test_retries_stop_when_the_event_is_a_day_old(app, receiver, make_endpoint):
    receiver.expect_request("/hook").respond_with_data("down", status=503)
    endpoint_id, _secret = make_endpoint()
    delivery_id = _emit(app, endpoint_id)
    with app.app_context():
        outcome = delivery.deliver(delivery_id, now=utcnow() + timedelta(hours=23, minutes=59,
                                                                     seconds=57))
    assert outcome.state == DeliveryState.FAILED and "given up" in outcome.error


def test_success_clears_the_failing_mark(app, receiver, make_endpoint):
    answers = iter([WerkzeugResponse("x", 500), WerkzeugResponse("ok", 204)])
    receiver.expect_request("/hook").respond_with_handler(lambda _r: next(answers))
    endpoint_id, _secret = make_endpoint()
    delivery_id = _emit(app, endpoint_id)
    with app.app_context():
        first = delivery.deliver(delivery_id)
        delivery.deliver(delivery_id, now=first.next_attempt_dt)
        assert db.session.get(WebhookEndpoint, endpoint_id).failing_since_dt is None


def test_a_rotated_secret_and_the_old_one_both_verify_for_a_day(app, receiver, make_endpoint):
    receiver.expect_request("/hook").respond_with_data("ok")
    endpoint_id, old = make_endpoint()
    with app.app_context():
        hooked = db.session.get(WebhookEndpoint, endpoint_id)
        new = services.rotate_secret(hooked, hooked.created_by)
        db.session.commit()
    with app.app_context():
        delivery.deliver(_emit(app, endpoint_id))
    [request] = received(receiver)
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    verify(old, request)
    verify(new, request)
    with app.app_context():
        hooked = db.session.get(WebhookEndpoint, endpoint_id)
        assert delivery.secrets_for(hooked, utcnow() + timedelta(hours=25)) == [new]


def test_the_concurrency_cap_holds_a_delivery_back(app, receiver, make_endpoint):
    receiver.expect_request("/hook").respond_with_data("ok")
    endpoint_id, _secret = make_endpoint()
    app.config["WEBHOOK_MAX_CONCURRENCY"], cap = 1, app.config["WEBHOOK_MAX_CONCURRENCY"]
    try:
        busy, waiting = _emit(app, endpoint_id), _emit(app, endpoint_id)
        with app.app_context():
            assert delivery.claim(busy, utcnow()) is not None  # in flight elsewhere
            assert delivery.deliver(waiting) is None
            assert db.session.get(WebhookDelivery, waiting).state == DeliveryState.PENDING
    finally:
        app.config["WEBHOOK_MAX_CONCURRENCY"] = cap
    assert received(receiver) == []


def test_the_sweep_sends_again_what_a_dead_worker_left(app, receiver, make_endpoint):
    receiver.expect_request("/hook").respond_with_data("ok")
    endpoint_id, secret = make_endpoint()
    delivery_id = _emit(app, endpoint_id)
    with app.app_context():
        assert delivery.claim(delivery_id, utcnow()) is not None  # then the worker died
        assert tasks.sweep() == []  # its lease still runs
        later = utcnow() + timedelta(seconds=app.config["WEBHOOK_LEASE_SECONDS"] + 1)
        assert tasks.sweep(later) == [delivery_id]
        assert delivery.deliver(delivery_id, now=later).state == DeliveryState.DELIVERED
    [request] = received(receiver)
    verify(secret, request)


def test_deliveries_show_in_the_metrics(app, client, receiver, make_endpoint):
    from prometheus_client.parser import text_string_to_metric_families

    answers = iter([WerkzeugResponse("x", 500), WerkzeugResponse("ok", 200)])
    receiver.expect_request("/hook").respond_with_handler(lambda _r: next(answers))
    endpoint_id, _secret = make_endpoint()
    delivery_id = _emit(app, endpoint_id)
    with app.app_context():
        first = delivery.deliver(delivery_id)
        delivery.deliver(delivery_id, now=first.next_attempt_dt)
    app.config["METRICS_TOKEN"] = "metrics-token"
    try:
        text = client.get("/metrics", headers={"Authorization": "Bearer metrics-token"}
                          ).get_data(as_text=True)
    finally:
        app.config["METRICS_TOKEN"] = ""
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for family in text_string_to_metric_families(text) for s in family.samples}
    assert samples[("polso_webhook_deliveries", (("state", "delivered"),))] == 1
    assert samples[("polso_webhook_retries_total", ())] == 1
    assert samples[("polso_webhook_delivery_duration_seconds_count", ())] == 1


def test_old_finished_events_are_purged(app, receiver, make_endpoint):
    from survey_app.webhooks.models import WebhookEvent

    receiver.expect_request("/hook").respond_with_data("ok")
    endpoint_id, _secret = make_endpoint()
    sent, waiting = _emit(app, endpoint_id), _emit(app, endpoint_id)
    with app.app_context():
        delivery.deliver(sent)
        later = utcnow() + timedelta(days=app.config["WEBHOOK_KEEP_DAYS"] + 1)
        assert tasks.purge(later) == 1  # the delivered one; the pending one is kept
        db.session.commit()
        assert db.session.get(WebhookDelivery, sent) is None
        assert db.session.get(WebhookDelivery, waiting).state == DeliveryState.PENDING
        assert db.session.scalar(sa.select(sa.func.count()).select_from(WebhookEvent)) == 1
