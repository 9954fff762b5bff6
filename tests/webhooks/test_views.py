"""The settings pages: add (secret once), form errors, scope, edit, rotate, delete, test event,
deliveries and redeliver."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from survey_app.audit.models import AuditEvent
from survey_app.core.db import db
from survey_app.webhooks.models import WebhookDelivery, WebhookEndpoint
from tests.conftest import csrf_token
from tests.webhooks.conftest import received, verify

SECRET = re.compile(r"whsec_[A-Za-z0-9+/=]{40,}")


def _count(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(WebhookEndpoint))


def _button(client, endpoint_id: int, action: str, **fields):
    """Press a button of the endpoint's page (a form with its CSRF token and ``fields``)."""
    html = client.get(f"/settings/webhooks/{endpoint_id}").get_data(as_text=True)
    return client.post(f"/settings/webhooks/{endpoint_id}/{action}",
                       data={"csrf_token": csrf_token(html), **fields})


def _add(submit, url, **fields):
    data = {"kind": "webhook", "scope": "customers", "url": url,
            "events": ["response.created", "followup.opened"], "locale": "en", **fields}
    pairs = [(k, v) for k, values in data.items()
             for v in (values if isinstance(values, list) else [values])]
    return submit("/settings/webhooks", pairs)


def test_adding_an_endpoint_shows_the_secret_once(app, client, login, submit, receiver):
    login(client, "support")
    answer = _add(submit, receiver.url_for("/hook"), description="Helpdesk")
    assert answer.status_code == 201 and answer.headers["Cache-Control"] == "no-store"
    [secret] = SECRET.findall(answer.get_data(as_text=True))
    with app.app_context():
        endpoint = db.session.scalars(sa.select(WebhookEndpoint)).one()
        assert endpoint.secret == secret and endpoint.scope == "customers"
        assert endpoint.events == ["response.created", "followup.opened"]
        audit = db.session.scalars(sa.select(AuditEvent.action)).all()
        assert "webhook.create" in audit
        assert secret not in str(db.session.scalars(sa.select(AuditEvent.details)).all())
    for page in ("/settings/webhooks", f"/settings/webhooks/{endpoint.id}"):
        html = client.get(page).get_data(as_text=True)
        assert "Helpdesk" in html or receiver.url_for("/hook") in html
        assert secret not in html


@pytest.mark.parametrize(("url", "message"), [
    ("https:///hook", "The URL has no host."),
    ("https://" + "a" * 4990 + ".com/", "at most 2048 characters"),
    ("file:///etc/passwd", "Only https URLs are accepted."),
    ("gopher://example.com/", "Only https URLs are accepted."),
    ("https://169.254.169.254/latest/meta-data/", "private, local or reserved"),
    ("https://2130706433/", "private, local or reserved"),
])
def test_a_bad_url_gets_a_clear_form_error_and_nothing_is_stored(
        app, client, login, submit, url, message):
    login(client, "admin")
    answer = _add(submit, url)
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert message in html and 'class="field-error"' in html
    assert _count(app) == 0


def test_no_event_chosen_is_an_error(app, client, login, submit):
    login(client, "admin")
    answer = _add(submit, "https://93.184.216.34/hook", events=[])
    assert answer.status_code == 422 and "Choose at least one" in answer.get_data(as_text=True)
    assert _count(app) == 0


def test_italian_form_errors(app, client, login, submit):
    login(client, "admin", locale="it")
    answer = _add(submit, "gopher://example.com/")
    assert answer.status_code == 422
    assert "Sono accettati solo URL https." in answer.get_data(as_text=True)


def test_support_cannot_create_or_see_employee_endpoints(app, client, login, submit,
                                                         make_endpoint):
    hr_endpoint, _secret = make_endpoint(["response.created"], scope="employees", role="hr")
    login(client, "support")
    assert "employees" not in client.get("/settings/webhooks").get_data(as_text=True).split(
        'id="scope"')[1].split("</select>")[0]
    answer = _add(submit, "https://93.184.216.34/hook", scope="employees")
    assert answer.status_code == 422
    assert _count(app) == 1
    assert client.get(f"/settings/webhooks/{hr_endpoint}").status_code == 404
    assert submit(f"/settings/webhooks/{hr_endpoint}/delete", {}).status_code == 404
    assert _count(app) == 1


def test_hr_cannot_see_customer_endpoints_and_viewers_see_none(
        app, client, login, make_endpoint):
    customer_endpoint, _secret = make_endpoint(["response.created"])
    login(client, "hr")
    assert client.get(f"/settings/webhooks/{customer_endpoint}").status_code == 404
    viewer = app.test_client()
    login(viewer, "viewer")
    assert viewer.get("/settings/webhooks").status_code == 403


def test_send_test_event_shows_the_status_only(app, client, login, submit, receiver,
                                               make_endpoint):
    receiver.expect_request("/hook").respond_with_data("RECEIVER-BODY-SECRET", status=202)
    endpoint_id, secret = make_endpoint(["response.created"])
    login(client, "admin")
    answer = _button(client, endpoint_id, "test")
    assert answer.status_code == 303
    html = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "receiver answered 202" in html and "RECEIVER-BODY-SECRET" not in html
    assert "webhook.test" in html
    [request] = received(receiver)
    assert verify(secret, request)["type"] == "webhook.test"


def test_redeliver_sends_the_same_event_again(app, client, login, submit, receiver,
                                              make_endpoint):
    receiver.expect_request("/hook").respond_with_data("ok")
    endpoint_id, secret = make_endpoint(["response.created"])
    login(client, "admin")
    _button(client, endpoint_id, "test")
    with app.app_context():
        delivery_id = db.session.scalar(sa.select(WebhookDelivery.id))
    answer = _button(client, endpoint_id, f"deliveries/{delivery_id}/redeliver")
    assert answer.status_code == 303
    first, second = received(receiver)
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    verify(secret, second)
    with app.app_context():
        assert db.session.get(WebhookDelivery, delivery_id).attempts == 2


def test_rotate_shows_a_new_secret_and_edit_and_delete(app, client, login, submit,
                                                       make_endpoint, make_survey):
    endpoint_id, old = make_endpoint(["response.created"])
    login(client, "admin")
    answer = _button(client, endpoint_id, "rotate")
    [new] = SECRET.findall(answer.get_data(as_text=True))
    assert new != old
    survey_id = make_survey("nps")
    answer = submit(f"/settings/webhooks/{endpoint_id}", [
        ("url", "https://93.184.216.34/other"), ("events", "followup.resolved"),
        ("surveys", str(survey_id)), ("locale", "en"), ("description", "")])
    assert answer.status_code == 303
    with app.app_context():
        endpoint = db.session.get(WebhookEndpoint, endpoint_id)
        assert (endpoint.url, endpoint.events, endpoint.survey_ids, endpoint.is_active) == (
            "https://93.184.216.34/other", ["followup.resolved"], [survey_id], False)
    assert _button(client, endpoint_id, "delete", confirm="y").status_code == 303
    assert _count(app) == 0


def test_delete_needs_the_box_ticked(app, client, login, make_endpoint):
    """A stray press deletes nothing: the page says what is missing, the form as stored."""
    endpoint_id, _secret = make_endpoint(["response.created"])
    login(client, "admin")
    answer = _button(client, endpoint_id, "delete")
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert "Tick the box to confirm." in html and 'aria-invalid="true"' in html
    assert '<input checked id="events-0" name="events" type="checkbox" ' \
        'value="response.created">' in html
    assert _count(app) == 1
    assert _button(client, endpoint_id, "delete", confirm="y").status_code == 303
    assert _count(app) == 0


def test_slack_channel_needs_a_slack_url(app, client, login, submit):
    login(client, "admin")
    answer = _add(submit, "https://93.184.216.34/services/x", kind="slack", events=[],
                  rules=["case.red"])
    assert answer.status_code == 422
    assert "not an incoming-webhook URL of Slack" in answer.get_data(as_text=True)


def test_the_add_form_sent_again_adds_nothing(app, client, login, submit, receiver):
    """A reload of the secret page posts the form again: the endpoint is not added twice
    (its receiver would get each event twice, under a secret nobody copied)."""
    login(client, "admin")
    page = client.get("/settings/webhooks").get_data(as_text=True)
    [nonce] = re.findall(r'name="nonce" type="hidden" value="([^"]+)"', page)
    url_input = re.search(r'<input[^>]*name="url"[^>]*>', page).group(0)
    assert "maxlength" not in url_input  # a pasted long URL is refused, not cut short
    first = _add(submit, receiver.url_for("/hook"), nonce=nonce)
    assert first.status_code == 201
    again = _add(submit, receiver.url_for("/hook"), nonce=nonce)
    assert again.status_code == 302 and _count(app) == 1
    with app.app_context():
        endpoint_id = db.session.scalars(sa.select(WebhookEndpoint.id)).one()
    assert again.headers["Location"].endswith(f"/settings/webhooks/{endpoint_id}")
    shown = client.get(again.headers["Location"]).get_data(as_text=True)
    assert "added already" in shown and not SECRET.findall(shown)
    fresh = client.get("/settings/webhooks").get_data(as_text=True)
    assert nonce not in fresh  # a new form adds a new endpoint
    assert _add(submit, receiver.url_for("/other"), nonce="another").status_code == 201
    assert _count(app) == 2
    huge = "n" * 5000  # not kept in the session cookie: each such post adds its endpoint
    assert _add(submit, receiver.url_for("/third"), nonce=huge).status_code == 201
    assert _add(submit, receiver.url_for("/third"), nonce=huge).status_code == 201
    assert _count(app) == 4
