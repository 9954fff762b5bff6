"""``/api/v1/cases``: the follow-up queue worked through the API, with the case page's rules."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from survey_app.audit.models import AuditEvent
from survey_app.core.db import db
from survey_app.followups.models import FollowUpEvent
from tests.api.conftest import assert_problem


@pytest.fixture
def agent(make_user):
    make_user("support", email="agent@staff.example.com")
    return "agent@staff.example.com"


def _case(api, token, case_id):
    answer = api.get(f"/api/v1/cases/{case_id}", token)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.get_json()


def test_list_and_read_cases_in_scope(api, tokens, make_case):
    customer = make_case(score=1)
    employee = make_case(score=2, kind="enps", contact=True)
    support = api.get("/api/v1/cases?limit=500", tokens["support"]).get_json()
    assert customer in [c["id"] for c in support["data"]]
    assert employee not in [c["id"] for c in support["data"]]
    hr = api.get("/api/v1/cases?status=all", tokens["hr"]).get_json()
    assert [c["id"] for c in hr["data"]] == [employee]
    hidden = assert_problem(api.get(f"/api/v1/cases/{employee}", tokens["support"]), 404)
    missing = assert_problem(api.get("/api/v1/cases/999999", tokens["support"]), 404)
    assert hidden["detail"] == missing["detail"]
    assert_problem(api.get("/api/v1/cases", tokens["viewer"]), 403)
    case = _case(api, tokens["admin"], customer)
    assert case["status"] == "new" and case["priority"] == "red" and case["person"]["email"]
    assert case["timeline"][0]["kind"] == "opened"
    assert case["timeline"][0]["actor"] == {"type": "system", "name": None}
    assert_problem(api.get("/api/v1/cases?priority=purple", tokens["admin"]), 422)
    unknown = assert_problem(api.get("/api/v1/cases?assignee=nobody@x.org", tokens["admin"]), 422)
    assert list(unknown["errors"]) == ["query.assignee"]  # named as other query errors are


def test_pages_of_cases_follow_the_queue(api, tokens, make_case):
    ids = {make_case(score=s) for s in (0, 3, 6)}
    seen, url = [], "/api/v1/cases?limit=1&status=all"
    while url:
        body = api.get(url, tokens["admin"]).get_json()
        seen += [c["id"] for c in body["data"]]
        url = (f"/api/v1/cases?limit=1&status=all&cursor={body['next_cursor']}"
               if body["next_cursor"] else None)
    assert ids <= set(seen) and len(seen) == len(set(seen))


def test_work_a_case_through_its_transitions(api, tokens, make_case, agent, app):
    case_id = make_case(score=2)
    token = tokens["support"]
    claimed = api.post(f"/api/v1/cases/{case_id}/claim", token, json={"assignee": agent})
    assert claimed.status_code == 200, claimed.get_data(as_text=True)
    body = claimed.get_json()
    assert body["status"] == "in_progress" and body["assignee"]["email"] == agent
    assert body["timeline"][-2]["new"] == agent
    assert body["timeline"][-1]["actor"]["type"] == "token"
    again = api.post(f"/api/v1/cases/{case_id}/claim", token, json={"assignee": agent})
    assert_problem(again, 409, "invalid-transition")
    noted = api.post(f"/api/v1/cases/{case_id}/notes", token, json={"text": "Called, no answer"})
    assert noted.status_code == 201 and noted.get_json()["timeline"][-1]["note"] == (
        "Called, no answer")
    waiting = api.post(f"/api/v1/cases/{case_id}/status", token, json={"status": "waiting"})
    assert waiting.get_json()["status"] == "waiting"
    assert_problem(api.post(f"/api/v1/cases/{case_id}/status", token, json={"status": "new"}),
                   409, "invalid-transition")
    unexplained = assert_problem(api.post(f"/api/v1/cases/{case_id}/status", token,
                                          json={"status": "closed"}), 422, "validation")
    assert unexplained["errors"] == {"note": [unexplained["detail"]]}
    assert_problem(api.post(f"/api/v1/cases/{case_id}/resolve", token,
                            json={"outcome": "bribed"}), 422, "validation")
    resolved = api.post(f"/api/v1/cases/{case_id}/resolve", token, json={"outcome": "fixed"})
    assert resolved.get_json()["status"] == "resolved"
    assert resolved.get_json()["outcome"] == "fixed"
    assert_problem(api.post(f"/api/v1/cases/{case_id}/resolve", token,
                            json={"outcome": "fixed"}), 409, "invalid-transition")
    with app.app_context():
        actors = set(db.session.scalars(select(FollowUpEvent.actor_token_name).where(
            FollowUpEvent.followup_id == case_id,
            FollowUpEvent.kind.in_(["assigned", "status", "note"]))))
        audit = db.session.execute(select(AuditEvent.action, AuditEvent.details).where(
            AuditEvent.target_type == "followup", AuditEvent.target_id == case_id)).all()
    assert len(actors) == 1 and actors.pop().startswith("support-token-")
    assert [a for a, _ in audit] == ["followup.claim", "followup.note", "followup.status",
                                     "followup.status"]
    assert all(d["via"] == "api" and d["by"].startswith("token:") for _, d in audit)


def test_refusals(api, tokens, make_case, agent, make_user):
    case_id = make_case(score=2)
    hr_agent = "hr-agent@staff.example.com"
    make_user("hr", email=hr_agent)
    path = f"/api/v1/cases/{case_id}"
    assert_problem(api.post(f"{path}/claim", tokens["support"], json={"assignee": "x@y.z"}),
                   422, "validation")
    assert_problem(api.post(f"{path}/claim", tokens["support"], json={"assignee": hr_agent}),
                   422)
    assert_problem(api.post(f"{path}/claim", tokens["hr"], json={"assignee": agent}), 404)
    assert_problem(api.post(f"{path}/assign", tokens["support"], json={"assignee": agent}), 403)
    assert_problem(api.post(f"{path}/claim", tokens["support"],
                            json={"assignee": agent, "role": "admin"}), 422)
    assert_problem(api.post(f"{path}/notes", tokens["support"], json={"text": "a\x00b"}), 422)
    assert_problem(api.post(f"{path}/status", tokens["support"],
                            json={"status": "closed"}), 422, "validation")  # needs a note
    assert_problem(api.post("/api/v1/cases/999999/notes", tokens["admin"],
                            json={"text": "hello"}), 404)
    assigned = api.post(f"{path}/assign", tokens["admin"], json={"assignee": agent})
    assert assigned.get_json()["assignee"]["email"] == agent
    unassigned = api.post(f"{path}/assign", tokens["admin"], json={"assignee": None})
    assert unassigned.get_json()["assignee"] is None


def test_idempotency_key_replays_a_note(api, tokens, make_case):
    case_id = make_case(score=2)
    key = {"Idempotency-Key": str(uuid.uuid4())}
    first = api.post(f"/api/v1/cases/{case_id}/notes", tokens["support"],
                     json={"text": "Once"}, headers=key)
    second = api.post(f"/api/v1/cases/{case_id}/notes", tokens["support"],
                      json={"text": "Once"}, headers=key)
    assert second.headers["Idempotent-Replayed"] == "true"
    assert second.get_json() == first.get_json()
    notes = [e for e in _case(api, tokens["support"], case_id)["timeline"]
             if e["kind"] == "note"]
    assert len(notes) == 1
    other = api.post(f"/api/v1/cases/{case_id}/notes", tokens["support"],
                     json={"text": "Twice"}, headers=key)
    assert_problem(other, 422)
