"""``GET /metrics`` (issue 19, point 4): a small load over real HTTP, parsed as Prometheus does."""

from __future__ import annotations

from datetime import timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from survey_app.accounts.models import User
from survey_app.core.db import db, utcnow
from survey_app.core.delivery import DeliveryStatus
from survey_app.followups.models import FollowUp
from survey_app.followups.services import claim, resolve
from survey_app.invitations.models import Invitation
from survey_app.waves.models import InvitationEmail
from tests.subprocess_server import Gunicorn, get

TOKEN = "scrape-" + "s3cret" * 5


def scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of ``/metrics`` by name and sorted labels, parsed by prometheus-client."""
    status, headers, body = get(f"{url}/metrics", Authorization=f"Bearer {TOKEN}")
    assert status == 200 and headers["Content-Type"].startswith("text/plain; version=")
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(body) for s in family.samples}


def delta(before: dict, after: dict, name: str, **labels: str) -> float:
    key = (name, tuple(sorted(labels.items())))
    return after.get(key, 0) - before.get(key, 0)


@pytest.fixture
def token(app):
    app.config["METRICS_TOKEN"] = TOKEN
    yield TOKEN
    app.config["METRICS_TOKEN"] = ""


def test_metrics_is_not_there_without_a_token(client):
    assert client.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 404


@pytest.mark.parametrize("header", [None, "Bearer wrong", f"Basic {TOKEN}", f"Bearer {TOKEN}x",
                                    f"bearer  {TOKEN}"])
def test_metrics_want_the_exact_bearer_token(client, token, header):
    response = client.get("/metrics", headers={"Authorization": header} if header else {})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "polso_" not in response.get_data(as_text=True)


@pytest.mark.live
def test_a_small_load_shows_in_the_figures(app, live_server, token, make_survey, make_link,
                                           make_user, submit):
    before = scrape(live_server.url)
    survey = make_survey("nps")
    links = [make_link(survey, email=f"metrics{n}@example.com") for n in range(3)]
    for link, score in zip(links, ("9", "2", "4"), strict=True):
        assert submit(f"/s/{link}", {"score": score}).status_code == 303
    agent = make_user("support")
    with app.app_context():
        case = db.session.scalars(select(FollowUp).order_by(FollowUp.id)).first()
        claim(case, db.session.get(User, agent))
        resolve(case, "fixed", by=db.session.get(User, agent))
        sent, failed, queued = db.session.scalars(select(Invitation.id)).all()
        overdue = utcnow() - timedelta(minutes=7)
        db.session.add_all([
            InvitationEmail(invitation_id=sent, sequence=1, status=DeliveryStatus.SENT,
                            attempts=3),
            InvitationEmail(invitation_id=failed, sequence=1, status=DeliveryStatus.FAILED,
                            attempts=5),
            InvitationEmail(invitation_id=queued, sequence=1, status=DeliveryStatus.QUEUED,
                            next_attempt_dt=overdue),
        ])
        db.session.commit()
    for path in ("/healthz", "/healthz", f"/s/{links[0]}", "/no-such-page"):
        get(f"{live_server.url}{path}")

    after = scrape(live_server.url)
    text = str(after)
    assert not any(secret in text for secret in (*links, "metrics0@", "/no-such-page"))
    assert delta(before, after, "polso_answers_recorded_total", channel="email") == 3
    assert delta(before, after, "polso_cases_opened_total") == 2
    assert delta(before, after, "polso_cases_resolved_total") == 1
    assert delta(before, after, "polso_emails_sent_total", stream="invitation") == 1
    assert delta(before, after, "polso_emails_failed_total", stream="invitation") == 1
    assert delta(before, after, "polso_emails_retried_total", stream="invitation") == 2 + 4
    assert delta(before, after, "polso_email_queue_depth", stream="invitation") == 1
    assert 7 * 60 <= after[("polso_email_queue_delay_seconds", (("stream", "invitation"),))] < 3600
    assert after[("polso_job_broker_up", ())] == 1
    assert ("polso_job_queue_depth", (("state", "ready"),)) in after
    assert delta(before, after, "polso_http_requests_total",
                 endpoint="health.healthz", status="200") == 2
    # three pages shown by ``submit`` (the test client shares this process's figures) and one
    # over HTTP; the three answers redirect
    assert delta(before, after, "polso_http_requests_total",
                 endpoint="respond.personal", status="200") == 3 + 1
    assert delta(before, after, "polso_http_requests_total",
                 endpoint="respond.personal", status="303") == 3
    assert delta(before, after, "polso_http_requests_total",
                 endpoint="unmatched", status="404") == 1
    assert delta(before, after, "polso_http_request_duration_seconds_count",
                 endpoint="health.healthz") == 2


def test_gunicorn_workers_add_up_in_multiprocess_mode(app, database_url, tmp_path):
    """Two workers, each answering some of the requests: one scrape counts them all."""
    directory = tmp_path / "prometheus"
    directory.mkdir()
    (directory / "counter_999999.db").write_bytes(b"stale")  # a dead run's file: wiped at start
    env = {"POLSO_DATABASE_URL": database_url, "POLSO_METRICS_TOKEN": TOKEN,
           "WEB_CONCURRENCY": "2", "PROMETHEUS_MULTIPROC_DIR": str(directory),
           "POLSO_JOBS_URL": f"sqlite:///{tmp_path / 'jobs.sqlite3'}"}
    with Gunicorn(env, tmp_path / "stderr.log") as server:
        for _ in range(20):
            get(f"{server.url}/healthz", Connection="close")
        figures = scrape(server.url)
    key = ("polso_http_requests_total", (("endpoint", "health.healthz"), ("status", "200")))
    # 20 requests and the start-up probe(s) of the Gunicorn helper, however the workers split them
    assert 21 <= figures[key] <= 25
    assert len(list(directory.glob("counter_*.db"))) >= 1
