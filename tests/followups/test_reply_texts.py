"""The reply draft to an Italian customer is all Italian, the survey title included (issue 12
point 11); the case page and the digest show times in the agent's own time zone (point 12)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from survey_app.core.db import db, utcnow
from survey_app.followups import notify, services, tasks
from survey_app.followups.models import FollowUp
from tests.followups.conftest import NEGATIVE_IT, get_case, get_user
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


def test_the_digest_is_dated_in_its_recipients_time_zone(app, app_ctx, make_case, make_user,
                                                        smtp_server):
    zone = "Pacific/Kiritimati"  # UTC+14: its date differs from UTC's from 10:00 UTC
    if datetime.now(UTC).hour < 10:
        zone = "Pacific/Pago_Pago"  # UTC-11: its date differs from UTC's until 11:00 UTC
    sam = get_user(make_user("support", email="sam@staff.example.com", timezone=zone))
    case = get_case(make_case(1, NEGATIVE_IT, now=utcnow() - timedelta(days=3)))
    services.claim(case, sam)
    db.session.commit()
    ids = notify.queue_digests((utcnow() - timedelta(days=1)).replace(hour=7, minute=5))
    db.session.commit()
    tasks.enqueue(ids)
    [message] = smtp_server.messages
    day = datetime.now(ZoneInfo(zone))
    months = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
    assert (f"Your follow-up digest for {day.day} {months[day.month - 1]} {day.year}"
            in message.get_body(("plain",)).get_content())
