"""Request ids and JSON logs (issue 19, point 5), down to a real gunicorn's standard error."""

from __future__ import annotations

import json
import logging

import pytest

from survey_app.core.requestlog import HEADER, JsonFormatter
from survey_app.core.tokens import new_token
from tests.subprocess_server import Gunicorn, get


def test_a_sane_incoming_request_id_is_kept_and_returned(client):
    response = client.get("/healthz", headers={HEADER: "lb-0123456789abcdef"})
    assert response.headers[HEADER] == "lb-0123456789abcdef"


@pytest.mark.parametrize("incoming", ["", "short", "x" * 200, "evil\"id<script>1234",
                                      "spaces are not ok"])
def test_an_odd_incoming_request_id_is_replaced(client, incoming):
    response = client.get("/healthz", headers={HEADER: incoming} if incoming else {})
    assert response.headers[HEADER] != incoming
    assert len(response.headers[HEADER]) == 32


def test_error_pages_show_the_request_id_a_user_can_quote(client):
    response = client.get("/no-such-page", headers={"Accept-Language": "it"})
    assert response.status_code == 404
    request_id = response.headers[HEADER]
    assert f"ID richiesta: {request_id}" in response.get_data(as_text=True)


def test_json_lines_redact_tokens_and_e_mail_addresses():
    token = new_token()
    record = logging.LogRecord("survey_app.x", logging.WARNING, __file__, 1,
                               "mail to %s for /s/%s failed", ("ada@example.com", token), None)
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "mail to …@example.com for /s/… failed"
    assert line["level"] == "WARNING" and line["logger"] == "survey_app.x" and line["time"]


def test_gunicorn_writes_one_json_object_per_line(app, database_url, tmp_path):
    token = new_token()
    log = tmp_path / "stderr.log"
    env = {"POLSO_DATABASE_URL": database_url, "POLSO_LOG_FORMAT": "json",
           "WEB_CONCURRENCY": "1", "POLSO_JOBS_URL": f"sqlite:///{tmp_path / 'jobs.sqlite3'}"}
    with Gunicorn(env, log) as server:
        ok = get(f"{server.url}/healthz", **{HEADER: "proxy-id-12345678"})
        missing = get(f"{server.url}/no-such-page")
        link = get(f"{server.url}/s/{token}")

    assert ok[0] == 200 and ok[1][HEADER] == "proxy-id-12345678"
    assert missing[0] == 404 and missing[1][HEADER] in missing[2]
    text = log.read_text()
    lines = [json.loads(line) for line in text.splitlines()]  # every line is one JSON object
    assert token not in text
    assert all({"time", "level", "logger", "message"} <= line.keys() for line in lines)
    assert any(line["logger"].startswith("gunicorn") for line in lines)
    requests = {line["request_id"]: line for line in lines
                if line["logger"] == "survey_app.request"}
    assert requests["proxy-id-12345678"] | {"time": None} == {
        "time": None, "level": "INFO", "logger": "survey_app.request",
        "message": requests["proxy-id-12345678"]["message"], "request_id": "proxy-id-12345678",
        "endpoint": "health.healthz", "method": "GET", "status": 200,
        "duration_ms": requests["proxy-id-12345678"]["duration_ms"]}
    not_found = requests[missing[1][HEADER]]
    assert not_found["status"] == 404 and "endpoint" not in not_found
    assert requests[link[1][HEADER]]["endpoint"] == "respond.personal"


def test_a_request_refused_before_any_view_still_shows_its_id(client):
    """The CSRF check answers from a before-request hook registered ahead of ours."""
    response = client.post("/login", data={"email": "x@example.com", "password": "nope"})
    assert response.status_code == 400
    assert f"Request ID: {response.headers[HEADER]}" in response.get_data(as_text=True)


def test_the_request_line_names_the_signed_in_user(client, login, caplog):
    user_id = login(client, "viewer")
    caplog.clear()
    with caplog.at_level(logging.INFO, "survey_app.request"):
        response = client.get("/no-such-page")
    [line] = [r for r in caplog.records if r.name == "survey_app.request"]
    assert (line.user_id, line.status, line.endpoint) == (user_id, 404, None)
    assert response.headers[HEADER]
