"""The API's read side: surveys, responses (cursor pages, sync, anonymity), people, metrics."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from survey_app.core.db import db
from survey_app.people.services import get_or_create_person
from survey_app.responses.models import Response
from survey_app.responses.services import Submission, update_response
from tests.api.conftest import assert_problem


@pytest.fixture
def nps(make_survey):
    return make_survey("nps", title="Shop NPS", slug="shop-nps",
                       settings={"edit_window_hours": 10_000})


@pytest.fixture
def enps(make_survey):
    return make_survey("enps", title="Pulse", slug="pulse")


def _walk(api, token, path):
    """Every item of every page, following ``Link`` (checked against ``next_cursor``)."""
    items, url = [], path
    while url:
        answer = api.get(url, token)
        assert answer.status_code == 200, answer.get_data(as_text=True)
        body = answer.get_json()
        items += body["data"]
        link = answer.headers.get("Link")
        if body["next_cursor"] is None:
            assert link is None
            return items
        next_url = link.removeprefix("<").split(">;")[0]
        assert parse_qs(urlsplit(next_url).query)["cursor"] == [body["next_cursor"]]
        url = next_url.removeprefix("http://localhost")


def test_surveys_are_scoped_by_role(api, tokens, nps, enps):
    slugs = {role: {s["slug"] for s in _walk(api, token, "/api/v1/surveys?limit=1")}
             for role, token in tokens.items()}
    assert slugs["admin"] >= {"shop-nps", "pulse"}
    assert "pulse" not in slugs["support"] | slugs["viewer"] and "shop-nps" in slugs["support"]
    assert "shop-nps" not in slugs["hr"] and "pulse" in slugs["hr"]
    survey = api.get("/api/v1/surveys/pulse", tokens["hr"]).get_json()
    assert survey["anonymity"] == "anonymous" and survey["questions"][0]["position"] == 0
    hidden = assert_problem(api.get("/api/v1/surveys/pulse", tokens["support"]), 404)
    assert_problem(api.get("/api/v1/surveys/pulse/responses", tokens["support"]), 404)
    assert_problem(api.get("/api/v1/surveys/pulse/metrics", tokens["support"]), 404)
    missing = assert_problem(api.get("/api/v1/surveys/nope", tokens["admin"]), 404)
    assert hidden["detail"] == missing["detail"]  # nothing tells "exists, not yours" apart
    assert_problem(api.get("/api/v1/surveys", None), 401)
    assert_problem(api.get("/api/v1/surveys/shop-nps/responses", tokens["viewer"]), 403)


def test_identified_responses_carry_person_answers_and_times(api, tokens, nps, app,
                                                             make_link, submit, client):
    link = make_link(nps, email="ann@example.com", attributes={"plan": "pro"})
    page = client.get(f"/s/{link}")
    assert page.status_code == 200
    assert submit(f"/s/{link}", {"score": "4", "comment": "Slow delivery"}).status_code in (
        200, 303)
    [item] = _walk(api, tokens["support"], "/api/v1/surveys/shop-nps/responses")
    assert item["person"]["email"] == "ann@example.com" and item["segment"] == {"plan": "pro"}
    assert item["category"] == "detractor" and item["comment"] == "Slow delivery"
    assert item["created_at"] and item["updated_at"] == item["created_at"]
    assert item["invitation_id"] is not None and item["id"].isdigit()
    again = api.get(f"/api/v1/responses/{item['id']}", tokens["admin"]).get_json()
    assert again == item
    hidden = assert_problem(api.get(f"/api/v1/responses/{item['id']}", tokens["hr"]), 404)
    assert_problem(api.get("/api/v1/responses/abc", tokens["admin"]), 404)
    missing = assert_problem(api.get("/api/v1/responses/999999", tokens["admin"]), 404)
    assert hidden["detail"] == missing["detail"]


def test_pages_walk_all_rows_once_with_inserts_between(api, tokens, nps, add_responses):
    add_responses(nps, [{"score": i % 11, "days_ago": 2} for i in range(12)])
    seen, url = [], "/api/v1/surveys/shop-nps/responses?limit=5"
    while url:
        body = api.get(url, tokens["admin"]).get_json()
        seen += [item["id"] for item in body["data"]]
        add_responses(nps, [{"score": 10, "days_ago": 0}])
        url = (f"/api/v1/surveys/shop-nps/responses?limit=5&cursor={body['next_cursor']}"
               if body["next_cursor"] else None)
    assert len(seen) == len(set(seen)) and len(seen) >= 12 + 2


def test_updated_since_picks_up_an_edited_response(api, tokens, nps, add_responses, app):
    add_responses(nps, [{"score": 5, "days_ago": 3}, {"score": 9, "days_ago": 3}])
    first = _walk(api, tokens["admin"], "/api/v1/surveys/shop-nps/responses")
    since = max(datetime.fromisoformat(i["updated_at"]) for i in first) + timedelta(seconds=1)
    query = f"/api/v1/surveys/shop-nps/responses?updated_since={since.isoformat()}"
    assert _walk(api, tokens["admin"], query.replace("+", "%2B")) == []
    with app.app_context():
        response = db.session.get(Response, int(first[0]["id"]))
        update_response(response, Submission(score=10), version=response.version,
                        now=datetime.now(UTC) + timedelta(seconds=2))
        db.session.commit()
    [changed] = _walk(api, tokens["admin"], query.replace("+", "%2B"))
    assert changed["id"] == first[0]["id"] and changed["score"] == 10


def test_anonymous_responses_carry_no_identity_nor_time(api, tokens, enps, add_responses, app):
    with app.app_context():
        person = get_or_create_person("bob@example.com", kind="employee")
        db.session.commit()
        person_id = person.id
    add_responses(enps, [{"score": 9 if i else 2, "comment": f"Comment {i}",
                          "segment": {"team": "A"}, "person_id": person_id if not i else None,
                          "days_ago": i} for i in range(6)])
    items = _walk(api, tokens["hr"], "/api/v1/surveys/pulse/responses")
    assert len(items) == 6
    ids = [item["id"] for item in items]
    assert all(i.startswith("anon-") for i in ids) and ids == sorted(ids)
    for item in items:
        assert item["person"] is None and item["invitation_id"] is None
        assert item["created_at"] is None and item["updated_at"] is None
        assert item["segment"] == {}
        assert date.fromisoformat(item["created_on"]).weekday() == 0  # a week, never a day
        assert item["comment"] and "bob" not in str(item)
    single = api.get(f"/api/v1/responses/{ids[0]}", tokens["admin"]).get_json()
    assert single == items[0]
    with app.app_context():
        row_id = db.session.scalar(db.select(Response.id).where(Response.survey_id == enps))
    assert_problem(api.get(f"/api/v1/responses/{row_id}", tokens["admin"]), 404)
    # Below the threshold, or narrowed by too few: refused, as the export is.
    assert_problem(api.get("/api/v1/surveys/pulse/responses?category=promoter",
                           tokens["hr"]), 422, "anonymity-threshold")


def test_anonymous_group_below_threshold_is_refused(api, tokens, enps, add_responses):
    add_responses(enps, [{"score": 9}] * 3)
    assert_problem(api.get("/api/v1/surveys/pulse/responses", tokens["hr"]), 422,
                   "anonymity-threshold")
    metrics = api.get("/api/v1/surveys/pulse/metrics", tokens["hr"]).get_json()
    assert metrics["overall"] == {"hidden": True, "n": None, "score": None, "categories": {}}
    assert metrics["periods"] == [] and metrics["segments"] == []


def test_metrics_are_the_dashboards(api, tokens, enps, add_responses, app):
    rows = ([{"score": 10, "segment": {"team": "A"}}] * 6 + [{"score": 3, "segment": {
        "team": "A"}}] * 4 + [{"score": 9, "segment": {"team": "B"}}] * 2
        + [{"score": 8, "segment": {"team": "C"}}] * 5)
    add_responses(enps, rows)
    body = api.get("/api/v1/surveys/pulse/metrics?segment=team&period=month",
                   tokens["hr"]).get_json()
    overall = body["overall"]
    assert overall["n"] == 17 and overall["categories"] == {
        "promoter": 8, "passive": 5, "detractor": 4}
    assert overall["score"]["value"] == round(100 * (8 - 4) / 17, 2)
    assert overall["score"]["margin"] > 0
    segments = {s["value"]: s for s in body["segments"]}
    # B (2) is below the threshold; C (5), the next smallest, is hidden with it so that B
    # cannot be worked out as the total minus the others.
    assert segments["B"]["hidden"] and segments["C"]["hidden"]
    assert segments["A"]["n"] == 10 and segments["A"]["score"]["value"] == 20.0
    assert body["periods"] and body["period"] == "month"
    # The same numbers as the dashboard page.
    with app.app_context():
        from survey_app.dashboards.filters import parse_filters
        from survey_app.dashboards.services import build_dashboard
        from survey_app.surveys.models import Survey

        survey = db.session.get(Survey, enps)
        board = build_dashboard(survey, parse_filters({"period": "all", "trend": "month",
                                                       "breakdown": "team"}, survey))
        assert overall["score"]["value"] == round(board.score.value, 2)
    assert_problem(api.get("/api/v1/surveys/pulse/metrics?filter=team:B", tokens["hr"]), 200
                   ) if False else None
    hidden = api.get("/api/v1/surveys/pulse/metrics?filter=team:B", tokens["hr"]).get_json()
    assert hidden["overall"]["hidden"]
    assert_problem(api.get("/api/v1/surveys/pulse/metrics?period=day", tokens["hr"]), 422)
    assert_problem(api.get("/api/v1/surveys/pulse/metrics?from=2026-13-01", tokens["hr"]),
                   400, "invalid-filter")


def test_bad_cursors_and_limits(api, tokens, nps, add_responses):
    add_responses(nps, [{"score": 9}] * 3)
    for query in ("cursor=xyz", "cursor=W10", "limit=0", "limit=501", "limit=abc",
                  "updated_since=2026-01-01T00:00:00", "bogus=1",
                  "updated_since=0001-01-01T00:00:00%2B01:00",
                  "updated_since=9999-12-31T23:59:59-23:00"):
        answer = api.get(f"/api/v1/surveys/shop-nps/responses?{query}", tokens["admin"])
        assert answer.status_code in (400, 422), query
        assert answer.content_type == "application/problem+json"


def test_people_never_show_employees_to_support(api, tokens, app):
    with app.app_context():
        customer = get_or_create_person("carla@example.com", kind="customer")
        employee = get_or_create_person("dan@example.com", kind="employee")
        db.session.commit()
        ids = customer.id, employee.id
    support = {p["email"] for p in _walk(api, tokens["support"], "/api/v1/people?limit=1")}
    hr = {p["email"] for p in _walk(api, tokens["hr"], "/api/v1/people")}
    assert "carla@example.com" in support and "dan@example.com" not in support
    assert "dan@example.com" in hr and "carla@example.com" not in hr
    assert api.get(f"/api/v1/people/{ids[0]}", tokens["support"]).get_json()["kind"] == (
        "customer")
    hidden = assert_problem(api.get(f"/api/v1/people/{ids[1]}", tokens["support"]), 404)
    missing = assert_problem(api.get("/api/v1/people/999999", tokens["support"]), 404)
    assert hidden["detail"] == missing["detail"]
    assert_problem(api.get("/api/v1/people", tokens["viewer"]), 403)
    found = api.get("/api/v1/people?email=CARLA@example.com", tokens["admin"]).get_json()
    assert [p["id"] for p in found["data"]] == [ids[0]]


def test_a_cursor_is_only_good_for_its_own_list_and_filters(api, tokens, nps, add_responses,
                                                             make_case):
    """A cursor of another list, or of this list under other filters, is a 400; the same
    filters in another order are the same list."""
    add_responses(nps, [{"score": i % 11, "sentiment": "positive"} for i in range(4)])
    make_case(score=1)
    make_case(score=2)
    admin = tokens["admin"]
    base = "/api/v1/surveys/shop-nps/responses?limit=1&sentiment=positive&category=promoter"
    first = api.get(base.replace("category=promoter", "category=detractor"), admin).get_json()
    cursor = first["next_cursor"]
    assert cursor is not None
    reordered = ("/api/v1/surveys/shop-nps/responses?category=detractor&limit=1"
                 f"&sentiment=positive&cursor={cursor}")
    assert api.get(reordered, admin).status_code == 200
    assert api.get(reordered.replace("limit=1", "limit=2"), admin).status_code == 200  # any size
    cases = api.get("/api/v1/cases?limit=1&status=all", admin).get_json()["next_cursor"]
    assert cases is not None
    for foreign in (f"{base}&cursor={cursor}",  # another category
                    f"/api/v1/cases?limit=1&status=all&cursor={cursor}",  # another list
                    f"/api/v1/surveys/shop-nps/responses?limit=1&cursor={cases}"):
        assert_problem(api.get(foreign, admin), 400, "invalid-cursor")


def test_webhook_endpoints_come_in_cursor_pages(api, tokens):
    admin = tokens["admin"]
    for n in range(3):
        created = api.post("/api/v1/webhooks", admin, {
            "url": f"https://93.184.216.34/hook{n}", "events": ["response.created"]})
        assert created.status_code == 201, created.get_json()
    urls = [e["url"] for e in _walk(api, admin, "/api/v1/webhooks?limit=2")]
    assert urls == [f"https://93.184.216.34/hook{n}" for n in range(3)]
    assert_problem(api.get("/api/v1/webhooks?limit=1&foo=bar", admin), 422)
