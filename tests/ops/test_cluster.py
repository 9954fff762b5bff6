"""Several processes, one system (issue 18, point 3): ``bench/cluster.py`` on a small load.

Real parts only: nginx in front of two gunicorn servers, two ``polso worker`` processes, the
suite's PostgreSQL database, Redis (db 5) as rate-limit store and job broker, an aiosmtpd sink
and locust. One web server and one worker are SIGKILLed mid-load and started again. About 40 s.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ANSWERS = 90
EMAILS = 40


@pytest.fixture
def cluster(database_url, monkeypatch):
    if not database_url.startswith("postgresql"):
        pytest.skip("the cluster needs PostgreSQL (several processes write at once): "
                    "run the suite with POLSO_DATABASE_URL=postgresql+psycopg://…")
    if not Path("/usr/sbin/nginx").exists():
        pytest.fail("nginx is missing: `python3 scripts/dev.py test` installs it")
    monkeypatch.syspath_prepend(str(ROOT / "bench"))
    return importlib.import_module("cluster")


@pytest.mark.live
def test_two_web_servers_and_two_workers_behave_as_one_system_through_sigkills(
        database_url, cluster, tmp_path):
    outcome = cluster.run(database_url, "redis://127.0.0.1:6379/5", answers=ANSWERS,
                          emails=EMAILS, smtp_delay=0.4, users=10, run_time=60, tmp=tmp_path)
    cluster.report(outcome)

    # both kills happened while the load ran
    assert {what for what, _ in outcome.kills} == {"web server 0", "worker 1"}
    assert all(when < outcome.load_seconds for _, when in outcome.kills)
    # every class of user was served (respondents, dashboards, queue work)
    served = {row["Name"]: int(row["Request Count"]) for row in outcome.stats}
    assert all(served.get(name) for name in ("respondent: answer", "dashboard: view",
                                             "queue: claim next")), served

    # no server error under load; the only failed requests are those cut by the kill (502)
    assert not outcome.server_errors
    assert all("502" in error for _, error, _ in outcome.failures), outcome.failures

    # no acknowledged answer lost or doubled; a request cut by the kill may be stored unanswered
    assert len(outcome.acknowledged) >= ANSWERS * 3 // 4
    assert outcome.lost == []
    assert len(outcome.acknowledged) <= outcome.recorded <= ANSWERS

    # every e-mail of the wave delivered; a second copy only where counted, with the same id
    assert (outcome.emails_queued, outcome.emails_unsent, outcome.undelivered) == (EMAILS, 0, [])
    assert outcome.duplicates <= outcome.possibly_duplicated
    assert outcome.distinct_copies == []

    # one limit for both servers, keyed on the address nginx saw, whatever the client forged
    assert len(outcome.limit_upstreams) == 2
    assert outcome.limit_passed == cluster.RESPOND_LIMIT
    assert outcome.limit_other_address == 404

    # a session and a CSRF token from one server work on the other; a forged token does not
    assert outcome.session_statuses == {
        "sign in on two with one's form": 303, "queue on one": 200,
        "claim on two with one's token": 303, "claim on two with a forged token": 400}
