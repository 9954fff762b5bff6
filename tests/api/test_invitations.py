"""POST /api/v1/surveys/{slug}/invitations and …/bulk: who is invited or skipped, and why."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from survey_app.audit.models import AuditEvent
from survey_app.core.db import db, utcnow
from survey_app.followups.models import FollowUp
from survey_app.invitations.models import Invitation, InvitationStatus
from survey_app.people.models import Person
from survey_app.surveys.models import Survey
from tests.api.conftest import assert_problem

_slugs = itertools.count(1)


@pytest.fixture
def survey(make_survey):
    """``survey(kind="nps", **settings) -> slug`` of an active survey."""

    def make(kind: str = "nps", **settings) -> str:
        slug = f"api-{kind}-{next(_slugs)}"
        make_survey(kind, slug=slug, settings=settings)
        return slug

    return make


def _invite(api, token, slug, email="ann@example.com", **extra):
    body = {"person": {"email": email, **extra.pop("person", {})}, **extra}
    return api.post(f"/api/v1/surveys/{slug}/invitations", token, json=body)


def _count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_a_trigger_sends_the_e_mail_and_creates_the_person(app, api, tokens, survey,
                                                           smtp_server):
    slug = survey()
    response = _invite(api, tokens["support"], slug, "Ann@Example.com",
                       person={"name": "Ann", "language": "it",
                               "attributes": {"plan": "pro"}})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["outcome"] == "sent" and body["reason"] is None
    assert body["email"] == "ann@example.com" and body["invitation_id"]
    [message] = smtp_server.to("ann@example.com")
    assert "/s/" in message.get_body(("plain",)).get_content()
    with app.app_context():
        person = db.session.scalar(select(Person).where(Person.email == "ann@example.com"))
        assert (person.name, person.locale, person.attributes) == ("Ann", "it", {"plan": "pro"})
        invitation = db.session.get(Invitation, body["invitation_id"])
        assert invitation.status == InvitationStatus.SENT and invitation.wave_id is None
        event = db.session.scalar(select(AuditEvent).where(
            AuditEvent.action == "invitations.trigger"))
        assert event.actor_id is None and event.details["by"].startswith("token:support")
        assert event.details["via"] == "api" and event.details["sent"] == 1


def test_an_existing_person_is_updated_not_duplicated(app, api, tokens, survey):
    slug = survey(throttle_days=0)
    _invite(api, tokens["admin"], slug, person={"attributes": {"plan": "free", "team": "a"}})
    response = _invite(api, tokens["admin"], slug,
                       person={"name": "Ann B", "attributes": {"plan": "pro"}})
    assert response.get_json()["outcome"] == "sent"
    with app.app_context():
        [person] = db.session.scalars(select(Person).where(Person.email == "ann@example.com"))
        assert person.name == "Ann B" and person.attributes == {"plan": "pro", "team": "a"}


def test_a_delayed_trigger_is_scheduled_and_the_sweep_sends_it_when_due(
        app, api, tokens, survey, smtp_server):
    from survey_app.waves.emails import InvitationDeliverer

    slug = survey()
    response = _invite(api, tokens["admin"], slug, delay_seconds=86400)
    body = response.get_json()
    assert body["outcome"] == "scheduled"
    send_at = datetime.fromisoformat(body["send_at"])
    assert abs((send_at - utcnow()) - timedelta(days=1)) < timedelta(minutes=1)
    assert smtp_server.messages == []
    with app.app_context():
        assert InvitationDeliverer().sweep() == []  # not due yet
        due = InvitationDeliverer().sweep(now=send_at + timedelta(seconds=1))
        assert len(due) == 1
        InvitationDeliverer().run(due, now=send_at + timedelta(seconds=1))
        invitation = db.session.get(Invitation, body["invitation_id"])
        # The link lives its lifetime from the sending, not from the request.
        assert invitation.expires_dt - send_at == timedelta(days=30)
    assert len(smtp_server.to("ann@example.com")) == 1


def test_send_at_in_the_past_sends_now_and_too_far_ahead_is_refused(api, tokens, survey):
    slug = survey(throttle_days=0)
    past = (utcnow() - timedelta(hours=1)).isoformat()
    assert _invite(api, tokens["admin"], slug, send_at=past).get_json()["outcome"] == "sent"
    far = (utcnow() + timedelta(days=91)).isoformat()
    refused = assert_problem(_invite(api, tokens["admin"], slug, "b@example.com", send_at=far),
                             422, "validation")
    assert refused["errors"] == {"send_at": ["At most 90 days ahead."]}
    bulk = api.post(f"/api/v1/surveys/{slug}/invitations/bulk", tokens["admin"], json={
        "invitations": [{"person": {"email": "e@example.com"}},
                        {"person": {"email": "f@example.com"}, "send_at": far}]})
    assert assert_problem(bulk, 422, "validation")["errors"] == {
        "invitations.1.send_at": ["At most 90 days ahead."]}
    for impossible in ("0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-23:00"):
        body = assert_problem(_invite(api, tokens["admin"], slug, "g@example.com",
                                      send_at=impossible), 422, "validation")
        assert "send_at" in body["errors"]
    naive = datetime(2030, 1, 1).isoformat()
    body = assert_problem(_invite(api, tokens["admin"], slug, "c@example.com", send_at=naive),
                          422, "validation")
    assert "send_at" in body["errors"]
    both = _invite(api, tokens["admin"], slug, "d@example.com", send_at=past, delay_seconds=5)
    assert "send_at" in assert_problem(both, 422)["errors"]


def test_skip_reasons_are_the_waves(app, api, tokens, survey, make_survey):
    slug = survey(throttle_days=30)
    token = tokens["admin"]
    assert _invite(api, token, slug).get_json()["outcome"] == "sent"
    assert _invite(api, token, slug).get_json()["reason"] == "throttled"
    with app.app_context():
        for email, column in (("u@example.com", "unsubscribed_dt"),
                              ("b@example.com", "bounced_dt")):
            person = Person(email=email, kind="customer", locale="en", attributes={})
            setattr(person, column, utcnow())
            db.session.add(person)
        employee = Person(email="e@example.com", kind="employee", locale="en", attributes={})
        db.session.add(employee)
        db.session.commit()
    assert _invite(api, token, slug, "u@example.com").get_json()["reason"] == "unsubscribed"
    assert _invite(api, token, slug, "b@example.com").get_json()["reason"] == "bounced"
    assert _invite(api, token, slug, "e@example.com").get_json()["reason"] == "other_kind"


def test_a_person_with_an_open_case_is_skipped(app, api, tokens, survey, make_link):
    slug = survey(throttle_days=0)
    with app.app_context():
        survey_id = db.session.scalar(select(Survey.id).where(Survey.slug == slug))
    link = make_link(survey_id, email="c@example.com")
    answer = api.post("/api/v1/responses", tokens["admin"],
                      json={"link_token": link, "score": 2, "comment": "Slow and rude."})
    assert answer.status_code == 201, answer.get_json()
    assert _count(app, FollowUp) == 1
    skipped = _invite(api, tokens["admin"], slug, "c@example.com").get_json()
    assert (skipped["outcome"], skipped["reason"], skipped["invitation_id"]) == (
        "skipped", "open_case", None)


@pytest.mark.parametrize(("status", "reason"), [("closed", "survey_closed"),
                                                ("draft", "survey_draft")])
def test_a_survey_that_is_not_active_skips_everyone(app, api, tokens, survey, status, reason):
    slug = survey(status=status)
    body = _invite(api, tokens["admin"], slug).get_json()
    assert (body["outcome"], body["reason"]) == ("skipped", reason)
    assert _count(app, Invitation) == 0


def test_roles_and_scopes(app, api, tokens, survey):
    customers, employees = survey("nps"), survey("enps")
    assert_problem(_invite(api, tokens["viewer"], customers), 403, "forbidden")
    # Outside the token's scope: the same 404 as a survey that does not exist.
    hidden = assert_problem(_invite(api, tokens["support"], employees), 404, "not-found")
    missing = assert_problem(_invite(api, tokens["support"], "no-such-survey"), 404)
    assert hidden["detail"] == missing["detail"]
    assert_problem(_invite(api, tokens["hr"], customers), 404)
    assert _invite(api, tokens["hr"], employees, "e@example.com").get_json()["outcome"] == "sent"
    assert _invite(api, tokens["admin"], customers).get_json()["outcome"] == "sent"
    with app.app_context():
        denied = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "access.denied")).all()
        assert len(denied) == 3 and all(e.details["via"] == "api" for e in denied)
        assert db.session.scalar(select(Person.kind).where(
            Person.email == "e@example.com")) == "employee"


def test_a_person_of_the_other_kind_is_neither_changed_nor_named(app, api, tokens, survey):
    """HR triggers its employee survey with a customer's e-mail: skipped as a wave would, and
    the customer's record (which HR may not see) stays as it was."""
    employees = survey("enps")
    with app.app_context():
        customer = Person(email="ann@example.com", name="Ann", kind="customer", locale="en",
                          attributes={"plan": "pro"})
        db.session.add(customer)
        db.session.commit()
        customer_id = customer.id
    body = _invite(api, tokens["hr"], employees, person={
        "name": "Renamed by HR", "language": "it", "attributes": {"plan": "hacked"}}).get_json()
    assert (body["outcome"], body["reason"], body["person_id"]) == (
        "skipped", "other_kind", None)
    with app.app_context():
        person = db.session.get(Person, customer_id)
        assert (person.name, person.locale, person.attributes, person.kind) == (
            "Ann", "en", {"plan": "pro"}, "customer")


def test_bulk_invites_each_and_says_what_became_of_each(app, api, tokens, survey, smtp_server):
    slug = survey(throttle_days=30)
    _invite(api, tokens["admin"], slug, "known@example.com")
    items = [{"person": {"email": f"p{i}@example.com"}} for i in range(5)]
    items.append({"person": {"email": "known@example.com"}})
    items.append({"person": {"email": "later@example.com"}, "delay_seconds": 3600})
    response = api.post(f"/api/v1/surveys/{slug}/invitations/bulk", tokens["admin"],
                        json={"invitations": items})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["sent"], body["scheduled"], body["skipped"]) == (5, 1, 1)
    assert [r["email"] for r in body["results"]] == [i["person"]["email"] for i in items]
    assert body["results"][5]["reason"] == "throttled"
    assert len(smtp_server.messages) == 6  # the first trigger and the five sent now


def test_bulk_is_all_or_nothing_and_names_the_bad_item(app, api, tokens, survey):
    slug = survey()
    items = [{"person": {"email": f"p{i}@example.com"}} for i in range(4)]
    items[2]["person"]["email"] = "not an address"
    items[3]["person"]["email"] = "p0@example.com"
    body = assert_problem(api.post(f"/api/v1/surveys/{slug}/invitations/bulk",
                                   tokens["admin"], json={"invitations": items}), 422)
    assert set(body["errors"]) == {"invitations.2.person.email", "invitations.3.person.email"}
    assert _count(app, Person) == 0 and _count(app, Invitation) == 0
    too_many = [{"person": {"email": f"p{i}@example.com"}} for i in range(1001)]
    assert_problem(api.post(f"/api/v1/surveys/{slug}/invitations/bulk", tokens["admin"],
                            json={"invitations": too_many}), 422)
    assert_problem(api.post(f"/api/v1/surveys/{slug}/invitations/bulk", tokens["admin"],
                            json={"invitations": []}), 422)


def test_mass_assignment_is_refused_by_name(app, api, tokens, survey):
    slug = survey()
    body = assert_problem(_invite(api, tokens["admin"], slug, person={"kind": "employee"},
                                  survey_id=3), 422, "validation")
    assert set(body["errors"]) == {"person.kind", "survey_id"}
    assert _count(app, Person) == 0


def test_a_retried_trigger_sends_one_e_mail(app, api, tokens, survey, smtp_server):
    slug = survey(throttle_days=0)  # without the key, a second request would invite again
    key = {"Idempotency-Key": "ticket-4711-closed"}
    body = {"person": {"email": "ann@example.com"}}
    first = api.post(f"/api/v1/surveys/{slug}/invitations", tokens["admin"], json=body,
                     headers=key)
    again = api.post(f"/api/v1/surveys/{slug}/invitations", tokens["admin"], json=body,
                     headers=key)
    assert first.status_code == again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert again.get_json() == first.get_json()
    assert len(smtp_server.to("ann@example.com")) == 1
    assert _count(app, Invitation) == 1
    other = api.post(f"/api/v1/surveys/{slug}/invitations", tokens["admin"],
                     json={"person": {"email": "bob@example.com"}}, headers=key)
    assert_problem(other, 422, "idempotency-key-reused")
    # Keys belong to a token: another token's same key is a new request.
    mine = api.post(f"/api/v1/surveys/{slug}/invitations", tokens["support"], json=body,
                    headers=key)
    assert mine.status_code == 200 and "Idempotent-Replayed" not in mine.headers
    assert len(smtp_server.to("ann@example.com")) == 2
