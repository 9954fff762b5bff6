"""The API's common behaviour: problems for every error, strict input, tokens, rate limits,
idempotency keys."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select, update

from survey_app.accounts.api_tokens import revoke
from survey_app.accounts.models import ApiToken
from survey_app.api.idempotency import purge
from survey_app.api.models import IdempotencyKey
from survey_app.core.db import db, set_write_intent, utcnow
from survey_app.people.models import Person
from tests.api.conftest import assert_problem

URL = "/api/v1/surveys/strict/invitations"


@pytest.fixture(autouse=True)
def _survey(make_survey):
    make_survey("nps", slug="strict", settings={"throttle_days": 0})


def _people(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Person))


# --- every error is a problem -------------------------------------------------------------------


def test_unknown_urls_and_methods_are_problems_never_html(api, tokens):
    assert_problem(api.get("/api/v1/nothing/here", tokens["admin"]), 404, "not-found")
    assert_problem(api.get("/api/nothing", None), 404)
    not_allowed = api.get(URL, tokens["admin"])
    assert_problem(not_allowed, 405, "method-not-allowed")
    assert "POST" in not_allowed.headers["Allow"]
    assert_problem(api.get("/api/v1/a\x00b", None), 404)


def test_no_session_cookie_and_no_csrf_token_under_the_api(client, api, tokens, login):
    login(client, "admin")  # a staff session cookie is sent along, and ignored
    response = api.post(URL, tokens["admin"], json={"person": {"email": "a@example.com"}})
    assert response.status_code == 200, response.get_json()
    assert "Set-Cookie" not in response.headers
    assert_problem(api.post(URL, None, json={"person": {"email": "a@example.com"}}), 401)


# --- authentication -----------------------------------------------------------------------------


@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer ", "Basic abc", "Token x",
                                    "Bearer polso_short", "Bearer " + "polso_" + "A" * 22,
                                    "Bearer polso_\u00e9\u00e9\u00e9"])
def test_a_missing_or_unknown_token_is_a_401_with_a_challenge(api, header):
    headers = {} if header is None else {"Authorization": header}
    response = api.call("POST", URL, None, json_body={"person": {"email": "a@example.com"}},
                        headers=headers)
    body = assert_problem(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "token" in body["detail"].lower()


def test_a_revoked_token_stops_at_once_and_use_is_noted(app, api, make_token):
    secret = make_token("admin", name="helpdesk")
    assert api.post(URL, secret, json={"person": {"email": "a@example.com"}}).status_code == 200
    with app.app_context():
        token = db.session.scalar(select(ApiToken).where(ApiToken.name == "helpdesk"))
        assert token.last_used_dt is not None
        revoke(token)
        db.session.commit()
    response = api.post(URL, secret, json={"person": {"email": "b@example.com"}})
    assert_problem(response, 401)
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_last_use_is_written_at_most_once_a_minute(app, make_token):
    from survey_app.accounts.api_tokens import authenticate, note_use

    secret = make_token("viewer")
    with app.app_context():
        token = authenticate(secret)
        now = utcnow()
        assert note_use(token, now) is True
        assert note_use(token, now + timedelta(seconds=30)) is False
        assert note_use(token, now + timedelta(seconds=61)) is True


@pytest.mark.live
def test_last_use_is_written_after_another_process_wrote(app, make_token):
    """The token is read in one transaction; another connection commits before the use is
    written. On SQLite that read could not become a write ("database is locked": a 500 when
    requests with a token came together)."""
    from survey_app.accounts.api_tokens import authenticate, note_use

    secret = make_token("viewer")
    set_write_intent(False)  # a GET: SQLite reads in a snapshot (an earlier test may have set it)
    with app.app_context():
        token = authenticate(secret)
        with db.engine.connect() as other:
            other.execute(update(ApiToken).where(ApiToken.id == token.id)
                          .values(name="renamed elsewhere"))
            other.commit()
        assert note_use(token) is True
        db.session.expire_all()
        assert db.session.get(ApiToken, token.id).last_used_dt is not None


@pytest.mark.live
def test_last_use_is_written_when_another_process_writes_just_before(app, make_token):
    """Another connection commits right before the last-use UPDATE: that UPDATE must be the
    first statement of its transaction (no reload of the token before it), or SQLite refuses
    it as above."""
    from survey_app.accounts.api_tokens import authenticate, note_use

    secret = make_token("viewer")
    set_write_intent(False)  # a GET: SQLite reads in a snapshot (an earlier test may have set it)
    with app.app_context():
        engine, token = db.engine, authenticate(secret)
        token_id, fired = token.id, []

        def other_writes(_conn, _cursor, statement, *_args) -> None:
            if statement.startswith("UPDATE api_tokens SET last_used_dt") and not fired:
                fired.append(statement)
                with engine.connect() as other:
                    other.execute(update(ApiToken).where(ApiToken.id == token_id)
                                  .values(name="renamed elsewhere"))
                    other.commit()

        sa.event.listen(engine, "before_cursor_execute", other_writes)
        try:
            assert note_use(token) is True and fired
        finally:
            sa.event.remove(engine, "before_cursor_execute", other_writes)


# --- strict input -------------------------------------------------------------------------------


def test_wrong_content_type_is_415(api, tokens):
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data"):
        response = api.call("POST", URL, tokens["admin"], data=b'{"person": {}}',
                            content_type=content_type)
        assert_problem(response, 415, "unsupported-media-type")
    assert_problem(api.call("POST", URL, tokens["admin"]), 415)


@pytest.mark.parametrize("data", [b'{"person": {"email": "a@example.com"}, "person": {}}',
                                  b'{"person": {"email": "a@example.com", "email": "b@x.io"}}',
                                  b"\xff\xfe{}", b'{"person": ', b"", b"[1, 2",
                                  b'{"person": {"email": "a\\ud800@example.com"}}',
                                  b"[" * 33 + b"]" * 33, b"[" * 5000 + b"]" * 5000,
                                  b'{"a":' * 2000 + b"1" + b"}" * 2000])
def test_malformed_json_is_400(app, api, tokens, data):
    assert_problem(api.call("POST", URL, tokens["admin"], data=data), 400, "invalid-json")
    assert _people(app) == 0


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "true", '"7"', "7.0",
                                   "1e1", "null", "[7]", "99999999999999999999"])
def test_integers_must_be_json_integers(app, api, tokens, value):
    data = b'{"person": {"email": "a@example.com"}, "delay_seconds": ' + value.encode() + b"}"
    body = assert_problem(api.call("POST", URL, tokens["admin"], data=data), 422, "validation")
    assert list(body["errors"]) == ["delay_seconds"]
    assert _people(app) == 0


@pytest.mark.parametrize("name", ["a\x00b", "line\nbreak", "tab\there", "esc\x1b[31m", "del\x7f"])
def test_control_characters_in_text_are_422(app, api, tokens, name):
    body = assert_problem(api.post(URL, tokens["admin"], json={
        "person": {"email": "a@example.com", "name": name}}), 422)
    assert list(body["errors"]) == ["person.name"]
    assert _people(app) == 0


def test_a_comment_may_hold_line_breaks_but_not_nul(api, tokens, make_survey, make_link):
    link = make_link(make_survey("nps"))
    assert_problem(api.post("/api/v1/responses", tokens["admin"], json={
        "link_token": link, "score": 5, "comment": "a\x00b"}), 422)
    assert api.post("/api/v1/responses", tokens["admin"], json={
        "link_token": link, "score": 5, "comment": "line one\nline two"}).status_code == 201


def test_a_body_over_the_limit_is_413(app, api, tokens):
    big = b'{"person": {"email": "a@example.com", "name": "' + b"x" * (2 * 1024 * 1024) + b'"}}'
    body = assert_problem(api.call("POST", URL, tokens["admin"], data=big), 413,
                          "body-too-large")
    assert body["detail"] == "The body is over the limit of 1024 KiB."


def test_unknown_fields_are_named(api, tokens):
    body = assert_problem(api.post(URL, tokens["admin"], json={
        "person": {"email": "a@example.com", "unsubscribed": False}, "wave_id": 1}), 422)
    assert body["errors"] == {"person.unsubscribed": ["Unknown field."],
                              "wave_id": ["Unknown field."]}
    assert body["detail"] == "Some fields are not valid: errors names each one."
    assert_problem(api.post(URL, tokens["admin"], json=[1, 2]), 422)


# --- rate limits --------------------------------------------------------------------------------


def test_each_token_has_its_own_rate_limit(app, api, make_token):
    app.config["API_RATELIMIT"] = "3/minute"
    try:
        first, second = make_token("admin"), make_token("admin")
        answers = [api.post(URL, first, json={"person": {"email": f"p{i}@example.com"}})
                   for i in range(4)]
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        assert answers[0].headers["RateLimit-Limit"] == "3"
        assert [a.headers["RateLimit-Remaining"] for a in answers] == ["2", "1", "0", "0"]
        refused = answers[3]
        detail = assert_problem(refused, 429, "rate-limited")["detail"]
        assert detail.startswith("This token may make 3 requests per minute; try again in ")
        assert 0 < int(refused.headers["Retry-After"]) <= 60
        assert 0 < int(refused.headers["RateLimit-Reset"]) <= 60
        assert api.post(URL, second, json={"person": {"email": "x@example.com"}}
                        ).status_code == 200
    finally:
        app.config["API_RATELIMIT"] = "600/minute"


# --- idempotency keys ---------------------------------------------------------------------------


def test_a_key_in_flight_is_a_409(app, api, make_token):
    secret = make_token("admin", name="busy")
    with app.app_context():
        token = db.session.scalar(select(ApiToken).where(ApiToken.name == "busy"))
        body = b'{"person": {"email": "a@example.com"}}'
        fingerprint = hashlib.sha256(b"POST\n" + URL.encode() + b"\n" + body).hexdigest()
        db.session.add(IdempotencyKey(token_id=token.id, key="k1", fingerprint=fingerprint,
                                      created_dt=utcnow()))
        db.session.commit()
    response = api.call("POST", URL, secret, data=body, headers={"Idempotency-Key": "k1"})
    assert_problem(response, 409, "idempotency-key-in-use")
    assert response.headers["Retry-After"] == "1"
    assert _people(app) == 0


def test_refusals_by_a_rule_are_replayed_but_bad_bodies_store_nothing(app, api, tokens):
    key = {"Idempotency-Key": "same"}
    private = {"url": "https://10.0.0.1/hook", "events": ["response.created"]}
    first = api.post("/api/v1/webhooks", tokens["admin"], json=private, headers=key)
    assert_problem(first, 422)
    again = api.post("/api/v1/webhooks", tokens["admin"], json=private, headers=key)
    assert again.headers["Idempotent-Replayed"] == "true" and again.status_code == 422
    invalid = {"person": {"email": "not an address"}}
    assert_problem(api.post(URL, tokens["admin"], json=invalid,
                            headers={"Idempotency-Key": "other"}), 422)
    with app.app_context():
        assert db.session.scalars(select(IdempotencyKey.key)).all() == ["same"]


@pytest.mark.parametrize("key", ["", "a b", "é", "x" * 256, "tab\there"])
def test_a_malformed_key_is_a_400(api, tokens, key):
    response = api.post(URL, tokens["admin"], json={"person": {"email": "a@example.com"}},
                        headers={"Idempotency-Key": key})
    assert_problem(response, 400, "invalid-idempotency-key")


def test_keys_are_forgotten_after_a_day(app, api, tokens):
    body = {"person": {"email": "a@example.com"}}
    api.post(URL, tokens["admin"], json=body, headers={"Idempotency-Key": "old"})
    with app.app_context():
        assert purge() == 0
        assert purge(now=utcnow() + timedelta(hours=25)) == 1
        db.session.commit()
    fresh = api.post(URL, tokens["admin"], json=body, headers={"Idempotency-Key": "old"})
    assert fresh.status_code == 200 and "Idempotent-Replayed" not in fresh.headers


def test_a_server_error_is_a_problem_and_frees_the_key(app, api, tokens, monkeypatch):
    from survey_app.api.views import invitations

    def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(invitations.trigger, "trigger_invitations", broken)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    body = {"person": {"email": "a@example.com"}}
    failed = api.post(URL, tokens["admin"], json=body, headers={"Idempotency-Key": "retry-me"})
    problem = assert_problem(failed, 500, "server-error")
    assert "database" not in problem["detail"]  # no internals in the answer
    monkeypatch.undo()
    retried = api.post(URL, tokens["admin"], json=body, headers={"Idempotency-Key": "retry-me"})
    assert retried.status_code == 200 and "Idempotent-Replayed" not in retried.headers
    assert _people(app) == 1


def test_the_hourly_job_purges_old_keys(app, api, tokens):
    from survey_app.api.tasks import purge_idempotency_keys

    api.post(URL, tokens["admin"], json={"person": {"email": "a@example.com"}},
             headers={"Idempotency-Key": "k"})
    with app.app_context():
        key = db.session.scalar(select(IdempotencyKey))
        key.created_dt = utcnow() - timedelta(hours=25)
        db.session.commit()
        assert purge_idempotency_keys.call_local() == 1
        assert db.session.scalar(select(func.count()).select_from(IdempotencyKey)) == 0


def test_a_bad_rate_limit_setting_stops_the_start(database_url):
    from survey_app import create_app

    with pytest.raises(RuntimeError, match="POLSO_API_RATELIMIT"):
        create_app({"TESTING": True, "DATABASE_URL": database_url, "API_RATELIMIT": "lots"})
