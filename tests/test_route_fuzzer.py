"""Route fuzzer (issue 13): every URL rule × every role × hostile requests → no 5xx, no change.

Routes come from ``app.url_map`` (:mod:`tests.routes`), so a route added later is fuzzed without
being listed here. For each role (anonymous, admin, hr, support, viewer) and each rule and
method, hypothesis draws requests with NUL, CR/LF, 10⁶-character strings, huge, negative and
odd integers, bad percent-encodings, duplicate parameters and wrong content types — with and
without a valid CSRF token, so the validators behind CSRF are reached too. Every answer must
be below 500, a fingerprint of every table (the rows themselves) must not change — the
requests carry invalid data, so nothing may be stored — and no log line may hold a control
character.

Three kinds of request, per role:

- every rule and method with fixed probes (every known parameter set to NUL + CR/LF, then to
  a 40-digit number) and :data:`EXAMPLES` requests drawn by hypothesis;
- GETs with the ids of real objects (a pulse survey with answers to every question kind, an
  NPS survey, a person, a wave, a user), so the pages and exports behind them are reached —
  POSTs only use ids that do not exist, since some POSTs act on valid data alone;
- every form found on those pages, posted as shown with one field at a time made hostile (NUL;
  CR/LF in single-line inputs): the other fields being valid, only the validators stand
  between the hostile value and the database.

Bounded and derandomized: the same requests on every run, well under a minute per database.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException

from survey_app.audit.models import AuditEvent
from survey_app.core.db import db
from survey_app.core.inputs import CONTROL
from survey_app.extensions import limiter
from survey_app.people.services import get_or_create_person
from survey_app.surveys.models import Wave
from tests.conftest import csrf_token
from tests.dashboards.conftest import add_responses  # noqa: F401 (fixture)
from tests.htmlforms import SINGLE_LINE_TYPES, Form, page_forms
from tests.routes import Route, all_routes

ROLES = [None, "admin", "hr", "support", "viewer"]
#: Examples per rule and method, for each role.
EXAMPLES = 4

#: POSTs that change state with no input at all — nothing to validate, so not fuzzed:
#: signing out (ends the session), the e-mail settings (two checkboxes, both may be off),
#: the webhook actions (the endpoint is in the URL) and the health page's one-step button
#: (red customers without an open case get one).
NO_INPUT_POSTS = {("POST", "accounts.logout"), ("POST", "followups.notifications"),
                  ("POST", "webhooks.rotate"), ("POST", "webhooks.delete"),
                  ("POST", "webhooks.send_test"), ("POST", "webhooks.redeliver"),
                  ("POST", "people.open_health_cases")}
#: Rows written on purpose by GETs or refused input: exports, failed sign-ins and the security
#: refusals (a role or scope refused, a signed-in user's CSRF token refused) are audited.
EXPECTED_ROWS = {"audit_events": AuditEvent.action.not_in(
    ["login.failed", "responses.export", "access.denied", "csrf.refused"])}
#: Fixed probes: (id in the path, value of every name in :data:`NAMES`).
PROBES = [(0, "a\x00=b"), (2**31, "a\r\nb"), (10**20, "9" * 40), (0, "-1")]

LONG = "x" * 10**6
TEXTS = ["\x00", "a\x00b", "\r\n", "a\r\nSet-Cookie: x=1", "\t", "\x1b[31m", "\x7f", LONG,
         "%zz", "%", "é€😀", "'; DROP TABLE people; --", "<script>x</script>", "../../x", "",
         " ", "=1+1", "a:b", "a=b", "team=Support"]
NUMBERS = ["-1", "0", "2147483648", "9223372036854775808", "9" * 40, "1e9", "0x10", "١٢",
           "1.5", "+1", " 1", "NaN", "1" * 5000]
#: Path parts for ``<int:…>``: digits only (others do not match the rule and are a plain 404).
ID_PARTS = [0, 2**31, 2**31 - 1, 2**63, 10**20]
NAMES = ["page", "q", "kind", "where", "status", "action", "actor", "period", "from", "to",
         "segment", "category", "breakdown", "lang", "next", "score", "email", "password",
         "title", "slug", "locale", "name", "role", "note", "text", "message", "assignee",
         "outcome", "comment", "attributes", "file", "throttle_days", "reminder_count",
         "min_group_size", "questions-0-kind", "questions-0-text_en", "team", "overdue",
         "decision", "add_question", "confirm", "theme", "csrf_token", "\x00", "a\r\nb"]
RAW_QUERIES = ["%zz", "%", "%e9%ff=%fe", "page=%ff", "a=%00&a=%0d%0a", "page=1&page=2",
               "q=%E2%82", "&&==&", "page[]=1", "lang=xx&lang=it"]
CONTENT_TYPES = ["application/x-www-form-urlencoded", "multipart/form-data",
                 "application/json", "text/plain", "application/xml",
                 "application/x-www-form-urlencoded; charset=ebcdic", None]

values = st.sampled_from(TEXTS + NUMBERS)
pairs = st.lists(st.tuples(st.sampled_from(NAMES), values), max_size=4)


def fingerprint(app: Flask) -> dict[str, str]:
    """A digest of every table's rows (in key order), minus :data:`EXPECTED_ROWS`."""
    digests = {}
    with app.app_context():
        for table in db.metadata.sorted_tables:
            query = select(table).order_by(*table.primary_key.columns)
            if table.name in EXPECTED_ROWS:
                query = query.where(EXPECTED_ROWS[table.name])
            rows = db.session.execute(query).all()
            digests[table.name] = hashlib.sha256(repr(rows).encode()).hexdigest()
    return digests


@pytest.fixture
def real_ids(app: Flask, make_survey: Callable[..., int], make_user: Callable[..., int],
             add_responses: Callable[..., None]) -> list[int]:  # noqa: F811
    """Objects for GETs to reach real pages: surveys with answers, a person, a wave, a user."""
    pulse = make_survey("pulse", anonymous=False)
    nps = make_survey("nps")
    add_responses(pulse, [dict(score=n, comment="ok", answers={1: 4, 2: 2, 3: 1, 4: "more"})
                          for n in range(6)])
    add_responses(nps, [dict(score=n, comment="fine") for n in range(3)])
    with app.app_context():
        person = get_or_create_person("fuzz@example.com", kind="customer")
        wave = Wave(survey_id=nps, label="Round 1")
        db.session.add(wave)
        db.session.commit()
        ids = [pulse, nps, person.id, wave.id]
    return [*ids, make_user("viewer")]


def _request(client: FlaskClient, app: Flask, route: Route, method: str, data: Any,
             token: str, real: list[int]) -> int:
    """Draw one hostile request for ``route`` and send it; returns the status."""
    ids = data.draw(st.sampled_from((real if method == "GET" else []) + ID_PARTS))
    path = route.url(app, ints=ids, text=data.draw(st.sampled_from(TEXTS)))
    query: Any = data.draw(st.one_of(pairs.map(MultiDict), st.sampled_from(RAW_QUERIES)))
    kwargs: dict[str, Any] = {"query_string": query}
    if method == "POST":
        body = MultiDict(data.draw(pairs))
        if data.draw(st.booleans()):
            body.add("csrf_token", token)
        content_type = data.draw(st.sampled_from(CONTENT_TYPES))
        if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            kwargs.update(data=body, content_type=content_type)
        else:
            kwargs.update(data=data.draw(st.sampled_from(["{", "\x00", '{"a": 1}', LONG])),
                          content_type=content_type)
    response = client.open(path, method=method, **kwargs)
    response.get_data()  # a streamed body (CSV export) fails only while it is read
    return response.status_code


def _fuzz(client: FlaskClient, app: Flask, route: Route, method: str, token: str,
          real: list[int]) -> None:
    """:data:`EXAMPLES` hostile requests to one rule and method; each must answer below 500."""

    @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def fuzz(data: Any) -> None:
        status = _request(client, app, route, method, data, token, real)
        assert status < 500, (method, route.rule.rule)

    fuzz()


def _probe(client: FlaskClient, app: Flask, route: Route, method: str, token: str) -> None:
    """The fixed probes of one rule and method (:data:`PROBES`): every known name set to the
    value, in the query and (POST, with a valid CSRF token) in the form."""
    for ids, value in PROBES:
        path = route.url(app, ints=ids, text=value)
        pairs = MultiDict([(name, value) for name in NAMES])
        body = MultiDict([*pairs.items(multi=True), ("csrf_token", token)])
        response = client.open(path, method=method, query_string=pairs,
                               data=body if method == "POST" else None)
        response.get_data()
        assert response.status_code < 500, (method, path, value)


def _real_pages(client: FlaskClient, app: Flask, real: list[int]) -> list[Form]:
    """GET every rule with each real id; the POST forms found on those pages."""
    forms: dict[tuple[str, tuple[str, ...]], Form] = {}
    for route in all_routes(app):
        if "GET" not in route.methods:
            continue
        for ids in real if route.int_arguments else [1]:
            path = route.url(app, ints=ids)
            response = client.get(path)
            body = response.get_data(as_text=True)  # read a streamed body to its end
            assert response.status_code < 500, path
            if response.mimetype == "text/html":
                for form in page_forms(body, path):
                    key = (form.action, tuple(f.name for f in form.fields))
                    form.action = urlsplit(form.action)._replace(fragment="").geturl()
                    if form.method == "POST" and form.action.startswith("/"):
                        forms.setdefault(key, form)
    return list(forms.values())


def _endpoint(app: Flask, url: str) -> str | None:
    """The endpoint a POST to ``url`` reaches (``None``: no rule takes it)."""
    try:
        return app.url_map.bind("localhost").match(urlsplit(url).path, method="POST")[0]
    except HTTPException:
        return None


def _mutate(client: FlaskClient, form: Form) -> None:
    """Post ``form`` as shown with one field at a time made hostile; each must answer < 500."""
    shown = form.data()
    for index, field in enumerate(form.fields):
        if field.name == "csrf_token" or field.kind in ("checkbox", "radio"):
            continue
        values = ["a\x00b"] + (["a\r\nb"] if field.kind in SINGLE_LINE_TYPES else [])
        for value in values:
            data = MultiDict(shown[:index] + [(field.name, value)] + shown[index + 1:])
            response = client.post(form.action, data=data)
            assert response.status_code < 500, (form.action, field.name, value)


@pytest.mark.parametrize("role", ROLES, ids=[r or "anonymous" for r in ROLES])
def test_no_route_answers_5xx_or_changes_anything(app, client, login, real_ids, caplog, role):
    if role:
        login(client, role)
    token = csrf_token(client.get("/account/password" if role else "/login").get_data(
        as_text=True))
    before = fingerprint(app)
    for route in all_routes(app):
        for method in route.methods:
            if (method, route.rule.endpoint) in NO_INPUT_POSTS:
                continue
            limiter.reset()
            _probe(client, app, route, method, token)
            _fuzz(client, app, route, method, token, real_ids)
            assert fingerprint(app) == before, (method, route.rule.rule)
    for form in _real_pages(client, app, real_ids):
        if ("POST", _endpoint(app, form.action)) in NO_INPUT_POSTS:
            continue
        limiter.reset()
        _mutate(client, form)
        assert fingerprint(app) == before, form.action
    forged = [r.getMessage() for r in caplog.records if CONTROL.search(r.getMessage())]
    assert forged == []  # every log line stays one line
