"""``polso demo``: a company that looks real on first run, loaded once; fresh links every time."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from survey_app.audit.models import AuditEvent
from survey_app.core.db import db
from survey_app.dashboards.metrics import score_from_categories
from survey_app.demo import data
from survey_app.followups.models import OPEN_STATUSES, FollowUp, FollowUpEvent, FollowUpMail
from survey_app.invitations.models import Invitation
from survey_app.people.models import Person
from survey_app.responses.models import Response
from survey_app.surveys.models import Survey, Wave
from survey_app.waves.models import InvitationEmail


@pytest.fixture
def demo(app):
    runner = app.test_cli_runner()

    def run(*args: str):
        result = runner.invoke(args=["demo", *args], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result

    return run


def test_demo_loads_once_and_prints_working_links(app, client, demo):
    first = demo("--people", "12")
    links = [w for w in first.output.split() if "/s/" in w]
    assert len(links) == 4
    assert "admin@example.com" in first.output and "polso-demo" in first.output
    for link in links:
        page = client.get(link.removeprefix("http://polso.test"))
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        if html.startswith('<!doctype html>\n<html lang="it"'):  # an Italian page, in Italian
            assert "Your support request" not in html and "how are we doing" not in html
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Survey)) == 4
        responses = db.session.scalar(select(func.count()).select_from(Response))
    assert responses > 0

    again = demo("--people", "12")
    assert set(w for w in again.output.split() if "/s/" in w).isdisjoint(links)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Response)) == responses


def _survey(slug: str) -> Survey:
    return db.session.scalars(select(Survey).where(Survey.slug == slug)).one()


def _score(slug: str) -> float:
    survey = _survey(slug)
    counts = Counter(db.session.scalars(select(Response.category).where(
        Response.survey_id == survey.id)))
    return score_from_categories(survey.kind, counts).value


def test_demo_looks_like_a_real_company(app, demo):
    demo()
    with app.app_context():
        # comments belong to their survey
        for slug, pool in (("acme-nps", "nps"), ("support-csat", "csat"),
                           ("enps", "employees"), ("team-pulse", "employees")):
            comments = set(db.session.scalars(select(Response.comment).where(
                Response.survey_id == _survey(slug).id, Response.comment.is_not(None))))
            allowed = {c for band in data.COMMENTS[pool].values() for lang in band.values()
                       for c in lang}
            assert comments and comments <= allowed, slug
        # realistic names, no "Demo Customer 7"
        names = db.session.scalars(select(Person.name).where(Person.name.is_not(None))).all()
        assert len(names) >= 100 and not any(n.startswith("Demo") for n in names)
        assert all(len(n.split()) >= 2 for n in names)
        assert len(set(names)) > 0.9 * len(names)
        # scores near industry averages: NPS ~ +30, CSAT ~ 80 %, eNPS ~ +15
        assert 20 <= _score("acme-nps") <= 45
        assert 75 <= _score("support-csat") <= 90
        assert 0 <= _score("enps") <= 30
        # an eNPS survey whose contact requests keep HR's queue busy
        assert _survey("enps").kind == "enps" and _survey("enps").is_anonymous
        hr = Counter(db.session.scalars(select(FollowUp.status).where(FollowUp.team == "hr")))
        assert sum(hr[s] for s in OPEN_STATUSES) >= 2 and hr["resolved"] >= 1
        # cases worked by several agents, in and out of SLA
        ended = db.session.execute(select(FollowUp.assignee_id, FollowUp.ended_dt,
                                          FollowUp.due_dt, FollowUp.team)
                                   .where(FollowUp.status == "resolved")).all()
        support = [row for row in ended if row.team == "support"]
        assert len({row.assignee_id for row in support}) >= 3
        late = sum(row.ended_dt > row.due_dt for row in ended)
        assert 0 < late < len(ended) / 2
        support_open = Counter(db.session.scalars(select(FollowUp.status).where(
            FollowUp.team == "support", FollowUp.status.in_(OPEN_STATUSES))))
        assert set(support_open) == {"new", "in_progress", "waiting"}
        # audit entries dated when they happened: the same moments as the case timelines
        claims = db.session.scalars(select(AuditEvent.created_dt).where(
            AuditEvent.action == "followup.claim")).all()
        timeline = set(db.session.scalars(select(FollowUpEvent.created_dt).where(
            FollowUpEvent.kind == "assigned")))
        assert claims and set(claims) <= timeline
        assert (max(claims) - min(claims)).days > 180
        sent = db.session.scalars(select(AuditEvent.created_dt).where(
            AuditEvent.action == "wave.sent")).all()
        waves = db.session.scalars(select(Wave.started_dt)).all()
        assert sorted(sent) == sorted(waves)
        # a send history: waves with delivered, opened, answered and bounced invitations
        for slug in ("acme-nps", "enps", "team-pulse"):
            assert db.session.scalar(select(func.count()).select_from(Wave).where(
                Wave.survey_id == _survey(slug).id)) >= 3, slug
        statuses = Counter(db.session.scalars(select(Invitation.status)))
        assert {"sent", "opened", "responded", "bounced"} <= set(statuses)
        emails = Counter(db.session.scalars(select(InvitationEmail.status)))
        assert emails["sent"] > 0 and emails["bounced"] > 0
        # … and nothing left for the workers to e-mail when the server starts
        assert emails["queued"] == 0
        assert db.session.scalar(select(func.count()).select_from(FollowUpMail).where(
            FollowUpMail.status == "queued")) == 0


def test_demo_purchases_follow_the_answers(app, demo):
    from survey_app.retention import services
    from survey_app.retention.forms import default_end, default_start
    from survey_app.retention.models import Activity

    demo()
    with app.app_context():
        kinds = db.session.execute(select(Person.kind, func.count(Activity.id))
                                   .join(Activity, Activity.person_id == Person.id)
                                   .group_by(Person.kind)).all()
        assert [kind for kind, _count in kinds] == ["customer"]
        report = services.report(services.scope(default_start(), default_end()))
    by = report.by_category
    assert report.total.start > 30 and report.total.lost > 0 and report.total.clv
    assert by["detractor"].churn_rate > by["passive"].churn_rate > by["promoter"].churn_rate
    assert {group.segment for group in report.rfm} >= {"champions", "hibernating"}
    with app.app_context():
        from survey_app.retention.health import movement
        # People joined when their history started, so the health page's past months show them.
        months = movement(6)
    assert all(sum(counts.values()) > 30 for _end, counts in months), months


@pytest.mark.parametrize("clock", ["2026-12-02T00:00:00", "2026-12-02T12:50:00",
                                   "2027-03-01T09:15:00", "2028-02-29T23:59:59"])
def test_demo_tells_the_same_story_at_any_time(app, demo, monkeypatch, clock):
    """The year is replayed up to the start of today: a queue with every open state and churn
    that follows the answers in the page's default year, whatever the time and the date (its
    first day is 334 to 365 days back) — and nothing dated after the clock."""
    import survey_app.demo
    from survey_app.retention import forms, services

    now = datetime.fromisoformat(clock).replace(tzinfo=UTC)
    for module in (survey_app.demo, forms):
        monkeypatch.setattr(module, "utcnow", lambda: now)
    demo()
    with app.app_context():
        support_open = set(db.session.scalars(select(FollowUp.status).where(
            FollowUp.team == "support", FollowUp.status.in_(OPEN_STATUSES))))
        assert support_open == {"new", "in_progress", "waiting"}
        by = services.report(services.scope(forms.default_start(),
                                            forms.default_end())).by_category
        assert by["detractor"].churn_rate > by["passive"].churn_rate > by["promoter"].churn_rate
        midnight = now.replace(hour=0, minute=0, second=0)
        for column in (Response.submitted_dt, FollowUp.created_dt, FollowUpEvent.created_dt,
                       InvitationEmail.sent_dt):
            assert db.session.scalar(select(func.max(column))) <= midnight, column
