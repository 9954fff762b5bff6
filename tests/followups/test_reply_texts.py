"""The reply draft to an Italian customer is all Italian, the survey title included (issue 12
point 11), and the case page shows times in the agent's own time zone (point 12)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from survey_app.core.db import db
from survey_app.followups.models import FollowUp
from tests.followups.conftest import NEGATIVE_IT
from tests.followups.test_mail import _draft_and_send


def test_italian_reply_draft_and_email_use_the_italian_title(
        app, client, login, make_case, smtp_server):
    login(client, "support", name="Sara Rossi")
    case_id = make_case(1, NEGATIVE_IT, locale="it", name="Mario Bianchi")
    with app.app_context():
        survey = db.session.get(FollowUp, case_id).response.survey
        survey.texts = {"it": {"title": "Com'è andata?"}}
        english = survey.title
        db.session.commit()
    response, subject, draft = _draft_and_send(client, case_id, "Abbiamo rimborsato.")
    assert response.status_code == 303
    assert subject == "Riguardo alla tua opinione: Com'è andata?"
    assert "«Com'è andata?»" in draft and english not in draft
    [message] = smtp_server.messages
    assert english not in message.get_body(("html",)).get_content()


def test_case_page_times_are_in_the_agents_time_zone_without_seconds(
        app, client, login, make_case):
    login(client, "support", locale="it", timezone="Europe/Rome")
    case_id = make_case(1, NEGATIVE_IT, now=datetime(2026, 12, 1, 23, 30, 15, tzinfo=UTC))
    page = client.get(f"/followups/{case_id}").get_data(as_text=True)
    html = re.sub(r' datetime="[^"]*"', "", page)  # machine-readable UTC stays in attributes
    assert "2 dic 2026, 00:30" in html  # opened: 23:30:15 UTC is 00:30 the next day in Rome
    assert "00:30:15" not in html and "23:30" not in html
