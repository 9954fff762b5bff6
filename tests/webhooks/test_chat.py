"""Slack and Teams alerts: rules, formatting per platform, language, anonymity."""

from __future__ import annotations

import json
from datetime import timedelta

import sqlalchemy as sa

from survey_app.core.db import db, utcnow
from survey_app.responses.models import Response
from survey_app.webhooks import delivery, summary
from survey_app.webhooks.events import PENDING
from tests.webhooks.conftest import deliver_due, received

NEGATIVE = "Terrible support, the worst experience."


def _bodies(receiver) -> list[dict]:
    return [json.loads(r.get_data()) for r in received(receiver)]


def test_slack_gets_a_block_kit_message_for_a_red_case(
        app, receiver, make_endpoint, submit, make_survey, make_link):
    receiver.expect_request("/slack").respond_with_data("ok")
    make_endpoint(["case.red"], kind="slack", path="/slack")
    token = make_link(make_survey("nps", title="Onboarding"), email="bob@example.com",
                      attributes={"plan": "pro"})
    submit(f"/s/{token}", {"score": "1", "comment": NEGATIVE + " <@channel> *bold*"})
    [message] = _bodies(receiver)
    assert "webhook-signature" not in received(receiver)[0].headers
    assert message["text"] == "New red case"
    header, facts, excerpt, actions = message["blocks"]
    assert header["type"] == "header"
    texts = [f["text"] for f in facts["fields"]]
    assert "Survey: Onboarding" in texts and "Score: 1" in texts
    assert "Category: detractor" in texts and "Segment: plan: pro" in texts
    assert all(f["type"] == "plain_text" for f in facts["fields"])  # no mentions, no links
    assert excerpt["text"] == {"type": "plain_text", "text": NEGATIVE + " <@channel> *bold*"}
    with app.app_context():
        case_id = db.session.scalar(sa.select(Response.id))
    button = actions["elements"][0]
    assert button["url"].startswith("http://polso.test/followups/") and case_id


def test_teams_gets_an_adaptive_card_in_italian(app, receiver, make_endpoint, submit,
                                                make_survey, make_link):
    receiver.expect_request("/teams").respond_with_data("1")
    make_endpoint(["response.detractor"], kind="teams", path="/teams", locale="it")
    submit(f"/s/{make_link(make_survey('nps'))}", {"score": "4", "comment": "[link](x)"})
    submit(f"/s/{make_link(make_survey('nps'))}", {"score": "10"})  # not a detractor
    [message] = _bodies(receiver)
    card = message["attachments"][0]
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
    body = card["content"]["body"]
    assert body[0]["text"] == "Nuovo detrattore"
    facts = {f["title"]: f["value"] for f in body[1]["facts"]}
    assert facts["Punteggio"] == "4"
    assert body[2]["text"] == "\\[link\\]\\(x\\)"  # Markdown escaped


def test_anonymous_answers_post_no_comment_no_segment_and_wait(
        app, receiver, make_endpoint, submit, make_survey, make_link):
    receiver.expect_request("/slack").respond_with_data("ok")
    make_endpoint(["response.detractor"], kind="slack", path="/slack", scope="employees")
    token = make_link(make_survey("enps"), email="emp@example.com", attributes={"team": "ops"})
    submit(f"/s/{token}", {"score": "2", "comment": "My manager ignores us"})
    assert received(receiver) == []
    with app.app_context():
        deliver_due(utcnow() + timedelta(days=2))
    assert received(receiver) == []  # held for the week: its day would date the answer
    with app.app_context():
        deliver_due(utcnow() + timedelta(days=8))
    [message] = _bodies(receiver)
    text = json.dumps(message)
    assert "manager" not in text and "ops" not in text and "emp@example.com" not in text
    assert "Score: 2" in text


def test_daily_summary_respects_the_anonymity_threshold(
        app, receiver, make_endpoint, submit, make_survey, make_link):
    receiver.expect_request("/slack").respond_with_data("ok")
    make_endpoint(["survey.daily_summary"], kind="slack", path="/slack", scope="employees")
    survey_id = make_survey("enps", title="Pulse")
    for score in (9, 10, 3):
        submit(f"/s/{make_link(survey_id)}", {"score": str(score)})
    with app.app_context():
        tomorrow = utcnow() + timedelta(days=1)
        assert summary.emit_daily(tomorrow) == 1
        [endpoint_id] = db.session.info.pop(PENDING)  # handed to the workers after the commit
        db.session.commit()
        token, ids = delivery.claim_batch(endpoint_id, tomorrow, 50)
        delivery.Run(token, ids, tomorrow).send_all()
    [message] = _bodies(receiver)
    texts = [f["text"] for f in message["blocks"][1]["fields"]]
    assert "Answers: 3" in texts
    assert "Score: hidden: fewer answers than the anonymity threshold" in texts
