"""``polso demo``: sample data once, fresh links every time."""

from __future__ import annotations

from sqlalchemy import func, select

from survey_app.core.db import db
from survey_app.followups.models import FollowUp
from survey_app.responses.models import Response
from survey_app.surveys.models import Survey


def test_demo_loads_once_and_prints_working_links(app, client):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "--people", "12"], catch_exceptions=False)
    assert first.exit_code == 0, first.output
    links = [w for w in first.output.split() if "/s/" in w]
    assert len(links) == 3
    assert "admin@example.com" in first.output and "polso-demo" in first.output
    for link in links:
        assert client.get(link.removeprefix("http://polso.test")).status_code == 200
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Survey)) == 3
        responses = db.session.scalar(select(func.count()).select_from(Response))
        statuses = set(db.session.scalars(select(FollowUp.status)))
    assert responses == 36
    assert statuses <= {"new", "resolved", "closed"} and "resolved" in statuses

    again = runner.invoke(args=["demo", "--people", "12"], catch_exceptions=False)
    assert again.exit_code == 0
    assert set(w for w in again.output.split() if "/s/" in w).isdisjoint(links)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Response)) == responses
