"""Events written in the transaction of the change: delivered when it commits, never when it
rolls back; payloads as the API returns the object; anonymity; scope."""

from __future__ import annotations

import json
from datetime import timedelta

import sqlalchemy as sa

from survey_app.accounts.models import User
from survey_app.core.db import db, utcnow
from survey_app.followups import services as followups
from survey_app.followups.models import FollowUp
from survey_app.invitations.services import create_invitation
from survey_app.people.models import Person
from survey_app.people.services import get_or_create_person, unsubscribe
from survey_app.privacy.erasure import erase_person
from survey_app.responses.services import Submission, record_response, update_response
from survey_app.schemas import ResponseSchema
from survey_app.surveys.models import Survey
from survey_app.waves import services as waves
from survey_app.waves.audience import Audience
from survey_app.waves.emails import InvitationDeliverer
from survey_app.webhooks import delivery, events, routing, tasks
from survey_app.webhooks.models import (
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
    WebhookOutbox,
)
from tests.webhooks.conftest import deliver_due, received, verify

NEGATIVE = "Terrible support, the worst experience."


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _events(app) -> list[WebhookEvent]:
    with app.app_context():
        rows = db.session.scalars(sa.select(WebhookEvent).order_by(WebhookEvent.created_dt))
        return [(row.type, row.payload) for row in rows]


def test_an_answer_reaches_the_endpoint_signed_as_the_api_shows_it(
        app, receiver, make_endpoint, submit, make_survey, make_link):
    receiver.expect_request("/hook").respond_with_data("ok")
    _id, secret = make_endpoint(["response.created", "followup.opened"])
    token = make_link(make_survey("nps"), email="ann@example.com", attributes={"plan": "pro"})
    assert submit(f"/s/{token}", {"score": "3", "comment": NEGATIVE}).status_code == 303
    bodies = [verify(secret, request) for request in received(receiver)]
    assert [b["type"] for b in bodies] == ["response.created", "followup.opened"]
    answer = bodies[0]["data"]
    assert ResponseSchema().dump(answer) == answer  # exactly the API's representation
    assert (answer["score"], answer["category"], answer["comment"]) == (3, "detractor", NEGATIVE)
    assert answer["person"]["email"] == "ann@example.com" and answer["segment"] == {"plan": "pro"}
    assert bodies[1]["data"]["priority"] == "red"
    with app.app_context():
        states = db.session.scalars(sa.select(WebhookDelivery.state)).all()
    assert states == ["delivered", "delivered"]


def test_a_rolled_back_answer_sends_nothing(app, receiver, make_endpoint, make_survey,
                                            make_link):
    make_endpoint(["response.created", "followup.opened"])
    survey_id = make_survey("nps")
    with app.app_context():
        survey = db.session.get(Survey, survey_id)
        person = get_or_create_person("rolled@example.com", kind="customer")
        invitation, token = create_invitation(survey, person)
        db.session.commit()
        record_response(survey, Submission(score=1, comment=NEGATIVE), token=token,
                        channel="email", invitation=invitation)
        assert _count(WebhookOutbox) == 2
        db.session.rollback()
        assert _count(WebhookOutbox) == 0 and _count(WebhookEvent) == 0
        later = utcnow() + timedelta(days=2)
        assert routing.route(later) == set() and tasks.sweep(later) == []
    assert received(receiver) == []


def test_a_committed_event_whose_hand_off_was_lost_is_found_by_the_sweep(
        app, receiver, make_endpoint, make_survey):
    receiver.expect_request("/hook").respond_with_data("ok")
    _id, secret = make_endpoint(["response.created"])
    survey_id = make_survey("nps")
    with app.app_context():  # outside a request: nobody hands it to a worker
        survey = db.session.get(Survey, survey_id)
        person = get_or_create_person("late@example.com", kind="customer")
        invitation, token = create_invitation(survey, person)
        record_response(survey, Submission(score=9), token=token, channel="email",
                        invitation=invitation)
        db.session.commit()
        assert received(receiver) == []
        later = utcnow() + timedelta(minutes=2)
        deliver_due(later)
    [request] = received(receiver)
    assert verify(secret, request)["data"]["score"] == 9


def test_anonymous_answers_carry_no_person_and_no_time_and_wait_for_the_next_week(
        app, receiver, make_endpoint, submit, make_survey, make_link):
    receiver.expect_request("/hook").respond_with_data("ok")
    _id, secret = make_endpoint(["response.created"], scope="employees")
    survey_id = make_survey("enps")
    token = make_link(survey_id, email="eve@example.com", attributes={"team": "ops"})
    assert submit(f"/s/{token}", {"score": "2", "comment": "My manager ignores us"}
                  ).status_code == 303
    assert received(receiver) == []  # held: its arrival time would date the answer
    with app.app_context():
        queued = db.session.scalars(sa.select(WebhookOutbox)).one()
        assert queued.due_dt >= queued.created_dt + timedelta(days=7)  # next Monday, not day
        assert queued.created_dt == queued.created_dt.replace(hour=0, minute=0, second=0,
                                                              microsecond=0)
        assert queued.created_dt.weekday() == 0 and queued.created_dt <= utcnow()
        tomorrow = queued.due_dt
        assert routing.route(tomorrow - timedelta(seconds=1)) == set()
        assert tasks.sweep(tomorrow - timedelta(seconds=1)) == []
        assert len(routing.route(tomorrow)) == 1 and _count(WebhookOutbox) == 0
        [due] = tasks.sweep(tomorrow)
        delivery.deliver(due, now=tomorrow)
    [(kind, payload)] = _events(app)
    data = payload["data"]
    assert data["is_anonymous"] and data["id"].startswith("anon-")
    assert data["person"] is None and data["created_at"] is None
    assert data["segment"] == {} and data["invitation_id"] is None
    assert payload["timestamp"].endswith("T00:00:00Z") and "reference" not in payload
    assert payload["timestamp"][:10] == data["created_on"]  # the week's Monday, twice
    text = json.dumps(payload)
    assert "eve@example.com" not in text and token not in text and "ops" not in text
    [request] = received(receiver)
    assert verify(secret, request) == payload


def test_employee_events_go_only_to_employee_endpoints(
        app, receiver, make_endpoint, submit, make_survey, make_link):
    receiver.expect_request("/customers").respond_with_data("ok")
    make_endpoint(["response.created"], scope="customers", path="/customers")
    make_endpoint(["response.created"], scope="employees", path="/employees")
    submit(f"/s/{make_link(make_survey('enps'))}", {"score": "9"})
    submit(f"/s/{make_link(make_survey('nps'))}", {"score": "9"})
    with app.app_context():  # the employee survey's (anonymous) event waits for the next week
        routing.route(utcnow() + timedelta(days=8))
        targets = db.session.execute(sa.select(WebhookEvent.type, WebhookDelivery.endpoint_id)
                                     .join(WebhookDelivery)).all()
    assert len(targets) == 2 and targets[0][1] != targets[1][1]
    assert [r.path for r in received(receiver)] == ["/customers"]


def test_an_endpoint_limited_to_one_survey_gets_only_its_events(
        app, receiver, make_endpoint, submit, make_survey, make_link):
    receiver.expect_request("/hook").respond_with_data("ok")
    chosen, other = make_survey("nps"), make_survey("nps")
    make_endpoint(["response.created"], survey_ids=[chosen])
    submit(f"/s/{make_link(other)}", {"score": "9"})
    submit(f"/s/{make_link(chosen)}", {"score": "8"})
    with app.app_context():
        slug = db.session.get(Survey, chosen).slug
    assert [json.loads(r.get_data())["data"]["survey"] for r in received(receiver)] == [slug]


def test_events_go_to_the_endpoints_as_they_are_when_routed(
        app, receiver, make_endpoint, submit, make_survey, make_link):
    """The answer trusts the process's list of endpoints (another process's change counts
    within ``TARGETS_TTL``); the worker routes with the endpoints read afresh: one disabled
    elsewhere since gets nothing, and routing twice sends once."""
    receiver.expect_request("/hook").respond_with_data("ok")
    endpoint_id, _secret = make_endpoint(["response.created"])
    survey_id = make_survey("nps")
    with app.app_context():
        engine = db.engine
    queued: list[str] = []

    def note(_conn, _cursor, statement, *_args) -> None:
        # Its own statement on SQLite; on PostgreSQL a CTE of the answer's one statement.
        queued.extend([statement] * statement.count("INSERT INTO webhook_outbox"))

    sa.event.listen(engine, "before_cursor_execute", note)
    try:
        submit(f"/s/{make_link(survey_id)}", {"score": "9"})
        assert len(received(receiver)) == 1 and len(queued) == 1
        with app.app_context():  # disabled by another process: this one's list is not told
            db.session.execute(sa.update(WebhookEndpoint)
                               .where(WebhookEndpoint.id == endpoint_id).values(is_active=False))
            db.session.commit()
        submit(f"/s/{make_link(survey_id)}", {"score": "10"})
        assert len(queued) == 2  # queued on the process's list …
        with app.app_context():  # … and routed to nobody: no event, nothing left waiting
            rows = db.session.execute(sa.select(WebhookEvent.routed, sa.func.count(
                WebhookDelivery.id)).outerjoin(WebhookDelivery).group_by(WebhookEvent.id)).all()
            assert rows == [(True, 1)] and _count(WebhookOutbox) == 0
            app.extensions[events.TARGETS_KEY] = (0.0, [])  # older than TARGETS_TTL
            submit(f"/s/{make_link(survey_id)}", {"score": "10"})
            assert len(queued) == 2 and _count(WebhookEvent) == 1
            assert routing.route(utcnow() + timedelta(days=2)) == set()
    finally:
        sa.event.remove(engine, "before_cursor_execute", note)
    assert len(received(receiver)) == 1


def test_case_changes_unsubscribes_and_bounces_are_events(
        app, receiver, make_endpoint, make_user, smtp_server, make_survey):
    receiver.expect_request("/hook").respond_with_data("ok")
    _id, secret = make_endpoint(["followup.opened", "followup.updated", "followup.resolved",
                                 "person.unsubscribed", "invitation.bounced"])
    agent_id = make_user("support")
    survey_id = make_survey("nps")
    with app.app_context():
        survey = db.session.get(Survey, survey_id)
        person = get_or_create_person("case@example.com", kind="customer")
        invitation, token = create_invitation(survey, person)
        record_response(survey, Submission(score=2, comment=NEGATIVE), token=token,
                        channel="email", invitation=invitation)
        db.session.commit()
        case = db.session.scalars(sa.select(FollowUp)).one()
        agent = db.session.get(User, agent_id)
        followups.claim(case, agent)
        followups.add_note(case, "Called them", by=agent)
        followups.resolve(case, app.config["FOLLOWUP_OUTCOMES"][0], by=agent)
        unsubscribe(db.session.get(Person, person.id))
        get_or_create_person("gone@example.com", kind="customer")
        db.session.commit()
    smtp_server.refuse["gone@example.com"] = "550 5.1.1 No such mailbox"
    with app.app_context():
        wave = waves.send_wave(db.session.get(Survey, survey_id), Audience("customer"))
        db.session.commit()
        InvitationDeliverer().run(waves.queued_email_ids(wave))
        later = utcnow() + timedelta(minutes=2)
        deliver_due(later)
    bodies = sorted((verify(secret, r) for r in received(receiver)),
                    key=lambda b: b["timestamp"])
    kinds = [(b["type"], b["data"].get("change")) for b in bodies]
    assert kinds == [("followup.opened", None), ("followup.updated", "claim"),
                     ("followup.updated", "status"), ("followup.updated", "note"),
                     ("followup.resolved", None), ("person.unsubscribed", None),
                     ("invitation.bounced", None)]
    assert bodies[-2]["data"]["email"] == "case@example.com"
    assert bodies[-1]["data"]["person"]["email"] == "gone@example.com"


def test_erasing_a_person_deletes_their_events_before_they_are_sent(
        app, receiver, make_endpoint, make_survey):
    """Payloads are snapshots with the person's name and e-mail: erasure must not leave them in
    the outbox until the purge, nor let a pending delivery send them afterwards."""
    receiver.expect_request("/hook").respond_with_data("ok")
    _id, secret = make_endpoint(["response.created", "followup.opened", "person.unsubscribed"])
    survey_id = make_survey("nps")
    with app.app_context():  # outside a request: the deliveries wait for the sweep
        survey = db.session.get(Survey, survey_id)
        for email, score, comment in (("gone@example.com", 2, NEGATIVE),
                                      ("kept@example.com", 9, "Great service, thank you!")):
            person = get_or_create_person(email, name=email.split("@")[0].title(),
                                          kind="customer")
            invitation, token = create_invitation(survey, person)
            record_response(survey, Submission(score=score, comment=comment), token=token,
                            channel="email", invitation=invitation)
        gone = db.session.scalar(sa.select(Person).where(Person.email == "gone@example.com"))
        unsubscribe(gone)
        db.session.commit()
        assert (_count(WebhookOutbox), _count(WebhookEvent)) == (3, 1)
        erase_person(gone)
        db.session.commit()
        assert _count(WebhookEvent) == 0  # the unsubscribe's snapshot named them
        kept = db.session.scalar(sa.select(Person.id).where(Person.email == "kept@example.com"))
        left = db.session.execute(sa.select(WebhookOutbox.type, WebhookOutbox.person_id)).all()
        assert left == [("response.created", kept)]  # waiting: the sweep routes it
        later = utcnow() + timedelta(minutes=2)
        deliver_due(later)
    [request] = received(receiver)
    assert verify(secret, request)["data"]["person"]["email"] == "kept@example.com"


def test_an_answer_event_the_previous_release_left_unrouted_is_still_sent(
        app, receiver, make_endpoint, make_survey):
    """Rolling upgrade: the release before the outbox wrote an answer's event to
    ``webhook_events`` unrouted, naming the answer (``reference``); routing builds it."""
    receiver.expect_request("/hook").respond_with_data("ok")
    _id, secret = make_endpoint(["response.created"])
    survey_id = make_survey("nps")
    with app.app_context():
        survey = db.session.get(Survey, survey_id)
        person = get_or_create_person("old@example.com", kind="customer")
        invitation, token = create_invitation(survey, person)
        response = record_response(survey, Submission(score=6), token=token, channel="email",
                                   invitation=invitation)
        db.session.execute(sa.delete(WebhookOutbox))  # as if written by the older code:
        now = utcnow()
        db.session.execute(sa.insert(WebhookEvent), {
            "id": events.new_message_id(), "type": "response.created", "created_dt": now,
            "survey_id": survey_id, "person_id": person.id, "routed": False,
            "scope": "customers", "due_dt": now,
            "payload": {**events.body("response.created", now, {"category": "detractor"}),
                        "reference": response.id}})
        db.session.commit()
        deliver_due(now + timedelta(minutes=2))
        [event] = db.session.scalars(sa.select(WebhookEvent)).all()
        assert event.routed and "reference" not in event.payload
    [request] = received(receiver)
    data = verify(secret, request)["data"]
    assert (data["score"], data["person"]["email"]) == (6, "old@example.com")


def test_a_suspected_answer_is_sent_once_a_person_confirms_it(
        app, receiver, make_endpoint, make_survey):
    """Left out of the figures and the API's lists until reviewed, so not sent before either;
    confirmed, it is sent as the new answer it now is, then its case."""
    from survey_app.responses.models import Suspicion
    from survey_app.responses.review import confirm_human

    receiver.expect_request("/hook").respond_with_data("ok")
    _id, secret = make_endpoint(["response.created", "followup.opened"])
    survey_id = make_survey("nps")
    with app.app_context():
        survey = db.session.get(Survey, survey_id)
        invitation, token = create_invitation(survey, get_or_create_person("fast@example.com"))
        response = record_response(survey, Submission(score=1, comment=NEGATIVE), token=token,
                                   channel="email", invitation=invitation,
                                   suspected=Suspicion.TOO_FAST)
        db.session.commit()
        update_response(response, Submission(score=2, comment=NEGATIVE),
                        version=response.version)  # an edit before the review
        db.session.commit()
        later = utcnow() + timedelta(minutes=2)
        deliver_due(later)
        assert received(receiver) == [] and _count(WebhookOutbox) == 0
        confirm_human(response)
        db.session.commit()
        deliver_due(later + timedelta(minutes=2))
    bodies = [verify(secret, request) for request in received(receiver)]
    assert [b["type"] for b in bodies] == ["response.created", "followup.opened"]
    assert bodies[0]["data"]["score"] == 2
