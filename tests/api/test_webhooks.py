"""``/api/v1/webhooks``: add (secret once), list, rotate, delete; scopes; SSRF refusals; the
events in the OpenAPI document's ``webhooks`` section."""

from __future__ import annotations

import sqlalchemy as sa
from openapi_spec_validator import validate

from survey_app.core.db import db
from survey_app.webhooks.models import WebhookEndpoint
from tests.api.conftest import assert_problem

URL = "https://93.184.216.34/hook"


def _count(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(WebhookEndpoint))


def test_add_list_rotate_delete(app, api, tokens, make_survey):
    survey_id = make_survey("nps")
    with app.app_context():
        from survey_app.surveys.models import Survey

        slug = db.session.get(Survey, survey_id).slug
    created = api.post("/api/v1/webhooks", tokens["support"],
                       {"url": URL, "events": ["response.created"], "surveys": [slug]})
    assert created.status_code == 201, created.get_data(as_text=True)
    body = created.get_json()
    assert body["secret"].startswith("whsec_") and body["scope"] == "customers"
    assert body["surveys"] == [slug] and body["url"] == URL
    listed = api.get("/api/v1/webhooks", tokens["support"]).get_json()["data"]
    assert [e["id"] for e in listed] == [body["id"]] and "secret" not in listed[0]
    rotated = api.post(f"/api/v1/webhooks/{body['id']}/rotate", tokens["admin"])
    assert rotated.status_code == 200 and rotated.get_json()["secret"] != body["secret"]
    gone = api.call("DELETE", f"/api/v1/webhooks/{body['id']}", tokens["support"])
    assert gone.status_code == 204 and _count(app) == 0
    assert gone.get_data() == b"" and "Content-Type" not in gone.headers  # nothing to type


def test_scopes(app, api, tokens):
    hr = api.post("/api/v1/webhooks", tokens["hr"], {"url": URL, "events": ["response.created"]})
    assert hr.status_code == 201 and hr.get_json()["scope"] == "employees"
    endpoint_id = hr.get_json()["id"]
    assert api.get("/api/v1/webhooks", tokens["support"]).get_json()["data"] == []
    hidden = assert_problem(api.post(f"/api/v1/webhooks/{endpoint_id}/rotate",
                                     tokens["support"]), 404)
    missing = assert_problem(api.post("/api/v1/webhooks/999999/rotate", tokens["support"]), 404)
    assert hidden["detail"] == missing["detail"]
    assert_problem(api.call("DELETE", f"/api/v1/webhooks/{endpoint_id}", tokens["support"]), 404)
    assert_problem(api.post("/api/v1/webhooks", tokens["support"], {
        "url": URL, "events": ["response.created"], "scope": "employees"}), 422)
    assert_problem(api.get("/api/v1/webhooks", tokens["viewer"]), 403)
    assert _count(app) == 1


def test_bad_urls_are_422_and_store_nothing(app, api, tokens):
    for url in ("https://127.1/", "https://[::ffff:127.0.0.1]/", "file:///etc/passwd",
                "gopher://example.com/", "https:///x", "https://" + "a" * 5000 + ".com/",
                "http://example.com/"):
        answer = api.post("/api/v1/webhooks", tokens["admin"],
                          {"url": url, "events": ["response.created"]})
        assert_problem(answer, 422)
    assert_problem(api.post("/api/v1/webhooks", tokens["admin"],
                            {"url": URL, "events": ["nothing.happened"]}), 422)
    assert_problem(api.post("/api/v1/webhooks", tokens["admin"],
                            {"url": URL, "events": ["response.created"], "surveys": ["nope"]}),
                   422)
    assert _count(app) == 0


def test_the_events_are_in_the_openapi_webhooks_section(client):
    document = client.get("/api/v1/openapi.json").get_json()
    validate(document)
    events = document["webhooks"]
    assert {"response.created", "response.updated", "followup.opened", "followup.updated",
            "followup.resolved", "person.unsubscribed", "invitation.bounced"} <= set(events)
    created = events["response.created"]["post"]
    body = created["requestBody"]["content"]["application/json"]["schema"]
    assert body["properties"]["data"] == {"$ref": "#/components/schemas/Response"}
    assert {p["name"] for p in created["parameters"]} == {
        "webhook-id", "webhook-timestamp", "webhook-signature"}
