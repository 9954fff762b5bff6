"""Deliveries in runs: one hand-off per answer, a batch per claim, the cap counted in runs."""

from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa
from werkzeug import Response as WerkzeugResponse

from survey_app.accounts.models import User
from survey_app.core import jobs
from survey_app.core.db import db, set_write_intent
from survey_app.webhooks import services, tasks
from survey_app.webhooks.events import emit
from survey_app.webhooks.models import WebhookDelivery
from tests.core.test_jobs import _dispose, _second_app
from tests.webhooks.conftest import received


def test_an_answer_writes_its_events_and_one_run_sends_them(
        app, client, receiver, make_endpoint, make_survey, make_link):
    """The respondent's request writes two outbox rows (on PostgreSQL in the statement that
    inserts the answer; nothing else is read: not even the new response's answers, nor the
    endpoints once the process knows them) and hands off once:
    the routing job writes both events with their deliveries and one run sends them."""
    from tests.conftest import csrf_token

    receiver.expect_request("/hook").respond_with_data("ok")
    make_endpoint(["response.created", "followup.opened"])
    survey_id = make_survey("nps")
    seen: list[str] = []
    with app.app_context():
        engine = db.engine
    listener = lambda *args: seen.append(" ".join(args[2].split()))  # noqa: E731

    def answer() -> list[str]:
        token = make_link(survey_id)
        token_field = csrf_token(client.get(f"/s/{token}").get_data(as_text=True))
        seen.clear()
        sa.event.listen(engine, "before_cursor_execute", listener)
        try:
            reply = client.post(f"/s/{token}", data={
                "score": "1", "comment": "Awful, never again", "csrf_token": token_field})
        finally:
            sa.event.remove(engine, "before_cursor_execute", listener)
        assert reply.status_code == 303
        return list(seen)

    first, second = answer(), answer()
    for statements, endpoints_read in ((first, 1), (second, 0)):
        routing = next(i for i, s in enumerate(statements)
                       if s.startswith("DELETE FROM webhook_outbox"))
        touched = [s for s in statements[:routing] if "webhook_" in s or "answers" in s]
        expected = ["SELECT webhook_endpoints.id, webhook_endpoints.kind"] * endpoints_read
        if engine.dialect.name == "postgresql":  # in the answer's one statement
            expected.append("WITH")
            assert touched[-1].count("INSERT INTO webhook_outbox") == 2, touched
        else:
            expected += ["INSERT INTO webhook_outbox"] * 2
        assert len(touched) == len(expected), touched
        assert all(s.startswith(e) for s, e in zip(touched, expected, strict=True)), touched
        after = statements[routing:]
        assert sum(s.startswith("INSERT INTO webhook_events") for s in after) == 1, after
        assert sum(s.startswith("INSERT INTO webhook_deliveries") for s in after) == 1, after
    with app.app_context():
        rows = db.session.execute(sa.select(WebhookDelivery.state, WebhookDelivery.claimed_dt)
                                  .order_by(WebhookDelivery.id)).all()
    assert [row.state for row in rows] == ["delivered"] * 4
    assert rows[0].claimed_dt == rows[1].claimed_dt  # one claim took an answer's two
    assert len(received(receiver)) == 4


@pytest.mark.live
def test_the_cap_holds_across_concurrent_batch_jobs(app, database_url, receiver, make_user):
    """Six jobs for one endpoint at once, cap 2, batches of 3: whenever a request arrives, at
    most two runs hold its deliveries (each run sends one at a time), and each of the 20 is
    sent exactly once. (The test receiver answers one request at a time, so the runs are
    counted in the database.)"""
    runs: list[int] = []
    holding = sa.select(sa.func.count(sa.distinct(WebhookDelivery.claim_token))).where(
        WebhookDelivery.state == "sending")

    def slow(_request):
        with second.app_context():
            runs.append(db.session.scalar(holding))
            db.session.remove()
        time.sleep(0.01)
        return WerkzeugResponse("ok", 200)

    receiver.expect_request("/hook").respond_with_handler(slow)
    allowed = ",".join(app.config["WEBHOOK_ALLOWED_HOSTS"])
    second = _second_app(database_url, 0, JOBS_IMMEDIATE=True, WEBHOOK_ALLOWED_HOSTS=allowed,
                         WEBHOOK_MAX_CONCURRENCY=2, WEBHOOK_BATCH_SIZE=3)
    owner_id = make_user("admin")
    try:
        with second.app_context():
            endpoint_id = services.create_endpoint(
                db.session.get(User, owner_id), url=receiver.url_for("/hook"),
                events=["response.created"], scope="customers").id
            for number in range(20):
                emit("response.created", {"id": number}, scope="customers", survey_id=None,
                     endpoint_ids=[endpoint_id], hand_off=False)
            db.session.commit()
        errors: list[BaseException] = []

        def job() -> None:
            try:
                with second.app_context():
                    set_write_intent(True)  # as a worker's job does
                    tasks.deliver_webhooks.call_local([endpoint_id])
            except BaseException as error:  # noqa: BLE001 (reported below)
                errors.append(error)

        threads = [threading.Thread(target=job) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        assert errors == []
        with second.app_context():
            states = db.session.scalars(sa.select(WebhookDelivery.state)).all()
    finally:
        _dispose(second)
    assert states == ["delivered"] * 20
    ids = [request.headers["webhook-id"] for request in received(receiver)]
    assert len(ids) == len(set(ids)) == 20
    assert max(runs) == 2  # a backlog gets a second run, never a third


@pytest.mark.live
def test_an_answer_hands_its_jobs_to_the_broker_as_one_message(
        app, database_url, receiver, make_endpoint, make_survey, make_link, smtp_server,
        _smtp_controller, tmp_path):
    """A detractor's answer has two jobs to hand off (its red case's alert e-mail, its webhook
    events' routing): one message reaches the broker, and running it does both."""
    from tests.conftest import csrf_token

    receiver.expect_request("/hook").respond_with_data("ok")
    make_endpoint(["response.created", "followup.opened"])
    token = make_link(make_survey("nps"))
    second = _second_app(database_url, _smtp_controller[0].port,
                         JOBS_URL=f"sqlite:///{tmp_path / 'jobs.sqlite3'}",
                         MIN_ANSWER_SECONDS=0, RATELIMIT_STORAGE_URI="memory://",
                         WEBHOOK_ALLOWED_HOSTS=",".join(app.config["WEBHOOK_ALLOWED_HOSTS"]))
    try:
        client = second.test_client()
        form = csrf_token(client.get(f"/s/{token}").get_data(as_text=True))
        reply = client.post(f"/s/{token}", data={
            "score": "1", "comment": "Terrible support, the worst experience.",
            "csrf_token": form})
        assert reply.status_code == 303
        huey = jobs.get_huey(second)
        [message] = huey.pending()
        assert message.name == "survey_app.core.jobs.run_handed_off"
        assert [name for name, _args in message.args[0]] == [
            "survey_app.followups.tasks.send_followup_mails",
            "survey_app.webhooks.tasks.route_webhook_events"]
        assert smtp_server.messages == [] and received(receiver) == []
        huey.dequeue()
        huey.execute(message)  # as a worker would
        [alert] = smtp_server.messages
        assert alert["Subject"].startswith("Red case #")
        [deliver] = huey.pending()  # routing handed the deliveries on
        assert deliver.name == "survey_app.webhooks.tasks.deliver_webhooks"
        huey.dequeue()
        huey.execute(deliver)
        assert len(received(receiver)) == 2
    finally:
        jobs.get_huey(second).storage.flush_all()
        _dispose(second)


def test_a_failing_job_of_a_hand_off_is_enqueued_alone_and_the_others_run(
        app, database_url, receiver, make_endpoint, tmp_path):
    make_endpoint(["response.created"])
    second = _second_app(database_url, 0, JOBS_URL=f"sqlite:///{tmp_path / 'jobs.sqlite3'}")
    try:
        with second.app_context():
            set_write_intent(True)
            emit("response.created", {"id": 1}, scope="customers", survey_id=None,
                 hand_off=False)
            db.session.commit()
            jobs.run_handed_off.call_local([
                ("survey_app.webhooks.tasks.deliver_webhooks", ()),  # a missing argument
                ("survey_app.webhooks.tasks.route_webhook_events", ())])
            routed = db.session.scalar(sa.select(sa.func.count()).select_from(WebhookDelivery))
        assert routed == 1  # the second job ran
        assert [t.name for t in jobs.get_huey(second).pending()] == [
            "survey_app.webhooks.tasks.deliver_webhooks",  # the failed one, alone
            "survey_app.webhooks.tasks.deliver_webhooks"]  # what routing handed on
    finally:
        jobs.get_huey(second).storage.flush_all()
        _dispose(second)
