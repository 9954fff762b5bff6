"""``polso followups …``: list, warn-due, digest, sweep."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from survey_app.core.db import db, utcnow
from survey_app.followups.models import FollowUpMail
from tests.followups.conftest import NEGATIVE_EN


def test_list_warn_due_digest_and_sweep(app, make_case, make_user, smtp_server):
    make_user("support", email="sam@staff.example.com")
    case_id = make_case(1, NEGATIVE_EN, now=utcnow() - timedelta(hours=30))
    runner = app.test_cli_runner()

    listed = json.loads(runner.invoke(args=["followups", "list", "--json"]).output)
    assert [c["id"] for c in listed] == [case_id] and listed[0]["priority"] == "red"

    result = runner.invoke(args=["followups", "warn-due"])
    assert result.exit_code == 0 and "1 warning e-mail(s) queued." in result.output
    assert "1 follow-up case(s)" in smtp_server.to("sam@staff.example.com")[-1]["Subject"]
    assert "0 warning" in runner.invoke(args=["followups", "warn-due"]).output

    app.config["FOLLOWUP_DIGEST_HOUR"] = 0  # any time of day
    try:
        assert "1 digest(s) queued." in runner.invoke(args=["followups", "digest"]).output
        assert "0 digest(s) queued." in runner.invoke(args=["followups", "digest"]).output
    finally:
        app.config["FOLLOWUP_DIGEST_HOUR"] = 7
    assert smtp_server.to("sam@staff.example.com")[-1]["Subject"].startswith("Follow-ups: ")
    with app.app_context():
        kinds = db.session.scalars(select(FollowUpMail.kind).order_by(FollowUpMail.id)).all()
    assert kinds == ["alert", "sla", "digest"]  # the alert (no request) waits for the sweep
    result = runner.invoke(args=["followups", "sweep"])
    assert result.exit_code == 0 and "batch(es)" in result.output
