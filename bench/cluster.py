"""Several processes, one system: nginx, two web servers, two job workers, PostgreSQL, Redis.

    .venv/bin/python bench/cluster.py [--answers 1500] [--emails 300] [--smtp-delay 0.25]
        [--users 20] [--run-time 120] [--database polso_cluster]
        [--redis redis://127.0.0.1:6379/5] [--respondents-only]

Starts nginx (the Debian package, as this user, config in a temporary directory) as the proxy in
front of two ``gunicorn wsgi:app`` servers on their own ports, two ``polso worker`` processes
(the first also runs the periodic jobs), an aiosmtpd sink (``--smtp-delay`` s a message), with
PostgreSQL as the database and Redis as rate-limit store and job broker. It seeds a customer
survey with one personal link per answer, a second survey whose wave of ``--emails`` e-mails the
workers send during the load, and staff users, then runs ``bench/cluster_load.py`` with locust
(respondents 80 %, dashboards 15 %, queue work 5 %; bounded by the links and ``--run-time``). A
third of the way in it SIGKILLs one web server (master and workers) and, once a third of the
e-mails are out, one worker, and starts each again as a supervisor would. Then it checks:

- every answer acknowledged with a 303 is in the database exactly once, with its score;
- every e-mail of the wave was delivered, a second copy only where counted "possibly
  duplicated" (and with the first copy's Message-ID);
- the respondent rate limit is one count across both web servers, keyed on the client address
  nginx passes on (a forged ``X-Forwarded-For`` changes nothing);
- a session and a CSRF token made by one web server work on the other.

It prints throughput and p50/p99 per request class (locust) and the CPU seconds the processes
spent (from ``/proc``) per acknowledged answer. ``tests/ops/test_cluster.py`` runs it small.
The processes are in ``cluster_topology.py``, the checks in ``cluster_checks.py``, the locust
users in ``cluster_load.py``.
"""

from __future__ import annotations

import argparse
import csv
import re
import secrets
import subprocess
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from cluster_checks import (
    PASSWORD,
    RESPOND_LIMIT,
    Outcome,
    check_answers,
    check_emails,
    check_rate_limit,
    check_sessions,
    server_errors,
    sweep,
    wait_for_emails,
)
from cluster_topology import BIN, NGINX, ROOT, CpuMeter, MailSink, Topology

PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
#: Recipients of the wave sent during the load (other e-mails: case alerts to staff).
WAVE_ADDRESS = re.compile(r"wave\d+-")


def fresh_database(name: str) -> str:
    """Drop and create PostgreSQL database ``name``; its URL."""
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


@dataclass
class Seed:
    tokens: list[str]
    survey_id: int
    mail_survey_id: int
    #: The ``group`` attribute of the wave's people.
    wave_group: str


def seed(app, answers: int, emails: int) -> Seed:
    """A customer survey with ``answers`` personal links, one with ``emails`` people for the
    wave (sent later, during the load), and the staff users of ``cluster_load.py``."""
    from survey_app.accounts.services import create_user
    from survey_app.core.db import db
    from survey_app.invitations.services import create_invitation
    from survey_app.people.services import get_or_create_person
    from survey_app.surveys.services import create_survey

    run = secrets.token_hex(4)
    with app.app_context():
        survey = create_survey(kind="nps", title="Cluster answers", slug=f"cluster-a-{run}")
        mail_survey = create_survey(kind="nps", title="Cluster mail", slug=f"cluster-m-{run}")
        tokens = []
        for i in range(answers):
            person = get_or_create_person(f"answer{i}-{run}@example.com",
                                          attributes={"group": "answer", "team": f"t{i % 10}"})
            tokens.append(create_invitation(survey, person)[1])
        for i in range(emails):
            get_or_create_person(f"wave{i}-{run}@example.com",
                                 attributes={"group": f"wave-{run}"})
        for role in ("viewer", "support"):
            create_user(email=f"cluster-{role}@example.com", role=role, password=PASSWORD)
        db.session.commit()
        return Seed(tokens, survey.id, mail_survey.id, f"wave-{run}")


def send_wave(app, survey_id: int, group: str) -> int:
    """Queue the mail survey's wave and enqueue its delivery on the broker (as the page does)."""
    from survey_app.core.db import db
    from survey_app.surveys.models import Survey
    from survey_app.waves import services, tasks
    from survey_app.waves.audience import Audience

    with app.app_context():
        survey = db.session.get(Survey, survey_id)
        wave = services.send_wave(survey, Audience("customer", {"group": (group,)}))
        db.session.commit()
        tasks.deliver_wave(wave.id)
        return wave.id


def run_load(topology: Topology, app, seeded: Seed, sink: MailSink, meter: CpuMeter,
             outcome: Outcome, users: int, run_time: int, emails: int,
             classes: list[str]) -> int:
    """Locust against nginx; kills one web server and one worker on the way. The wave id."""
    acks = topology.tmp / "acks.txt"
    acks.touch()
    (topology.tmp / "tokens.txt").write_text("\n".join(seeded.tokens))
    env = {**topology.env, "CLUSTER_TOKENS": str(topology.tmp / "tokens.txt"),
           "CLUSTER_ACKS": str(acks), "CLUSTER_SURVEY": str(seeded.survey_id),
           "CLUSTER_PASSWORD": PASSWORD}
    command = [str(BIN / "locust"), "-f", str(ROOT / "bench" / "cluster_load.py"), "--headless",
               "-u", str(users), "-r", str(users), "--run-time", f"{run_time}s",
               "--host", topology.url, "--csv", str(topology.tmp / "locust"), "--only-summary",
               "--stop-timeout", "2", "--loglevel", "WARNING", *classes]
    meter.start()
    started = time.monotonic()
    with (topology.tmp / "locust.log").open("w") as log:
        locust = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    wave_id = send_wave(app, seeded.mail_survey_id, seeded.wave_group)
    answered = 0
    while locust.poll() is None:
        time.sleep(0.5)
        meter.sample()
        if int(time.monotonic() - started) % 2 == 0:
            sweep(app)
        answered = len(acks.read_text().splitlines())
        elapsed = time.monotonic() - started
        killed = {what for what, _ in outcome.kills}
        if "web server 0" not in killed and answered >= len(seeded.tokens) // 3:
            topology.kill(topology.webs[0])
            outcome.kills.append(("web server 0", elapsed))
            print(f"  {elapsed:5.1f} s: {answered} answers, SIGKILLed web server 0", flush=True)
            topology.start_web(0)
        if "worker 1" not in killed and sink.count(WAVE_ADDRESS) >= emails // 3:
            topology.kill(topology.workers[1])
            outcome.kills.append(("worker 1", elapsed))
            print(f"  {elapsed:5.1f} s: {sink.count(WAVE_ADDRESS)} wave e-mails, SIGKILLed "
                  "worker 1", flush=True)
            topology.start_worker(1)
        if int(elapsed) % 10 == 0 and elapsed - int(elapsed) < 0.5:
            print(f"  {elapsed:5.1f} s: {answered} answers, {sink.count(WAVE_ADDRESS)} wave "
                  "e-mails", flush=True)
    outcome.load_seconds = time.monotonic() - started
    meter.sample()
    outcome.cpu = meter.totals()
    outcome.acknowledged = {token: int(score) for token, score in
                            (line.split() for line in acks.read_text().splitlines())}
    with (topology.tmp / "locust_stats.csv").open() as stats:
        outcome.stats = list(csv.DictReader(stats))
    with (topology.tmp / "locust_failures.csv").open() as failures:
        outcome.failures = [(row["Name"], row["Error"], int(row["Occurrences"]))
                            for row in csv.DictReader(failures)]
    return wave_id


def run(database_url: str, redis_url: str, *, answers: int, emails: int, smtp_delay: float,
        users: int, run_time: int, tmp: Path, classes: list[str] | None = None) -> Outcome:
    """Start everything, seed, load, kill, check; stop everything. ``classes``: only these
    locust users (e.g. ``["Respondent"]``), instead of the mix."""
    import flask_migrate

    from survey_app import create_app

    sink = MailSink(delay=smtp_delay)
    sink.controller.start()
    topology = Topology(database_url, redis_url, sink.port, tmp)
    app = create_app(topology.config())
    outcome = Outcome()
    try:
        with app.app_context():
            flask_migrate.upgrade(directory=str(ROOT / "migrations"))
        print(f"seeding {answers} links and {emails} people …", flush=True)
        seeded = seed(app, answers, emails)
        print("starting nginx, 2 web servers, 2 workers …", flush=True)
        topology.start()
        engine = sa.create_engine(database_url)
        print(f"load: {users} users, at most {run_time} s, through {topology.url}", flush=True)
        wave_id = run_load(topology, app, seeded, sink, CpuMeter(topology, engine), outcome,
                           users, run_time, emails, classes or [])
        engine.dispose()
        print("waiting for the last e-mails …", flush=True)
        wait_for_emails(app, wave_id, 60)
        check_answers(app, outcome)
        check_emails(app, wave_id, sink, outcome)
        check_rate_limit(topology, outcome)
        check_sessions(topology, outcome)
        outcome.server_errors = server_errors(topology.tmp)
    finally:
        topology.stop()
        topology.forget()
        sink.controller.stop()
        from survey_app.core.db import db

        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    return outcome


def report(outcome: Outcome) -> None:
    print(f"\n{'request':<26} {'count':>6} {'failed':>6} {'req/s':>7} {'p50 ms':>7} "
          f"{'p99 ms':>7}")
    for row in outcome.stats:
        print(f"{row['Name']:<26} {row['Request Count']:>6} {row['Failure Count']:>6} "
              f"{float(row['Requests/s']):>7.1f} {row['50%']:>7} {row['99%']:>7}")
    for name, error, count in outcome.failures:
        print(f"  failed: {name}: {error} × {count}")
    for error, count in outcome.server_errors.items():
        print(f"  server error: {error} × {count}")
    classes: Counter[str] = Counter()
    for row in outcome.stats:
        if row["Name"] != "Aggregated":
            classes[row["Name"].split(":")[0]] += float(row["Requests/s"])
    print("requests/s by class: " + ", ".join(
        f"{name} {rate:.1f} ({rate / classes.total():.0%})" for name, rate in classes.items()))
    answers = len(outcome.acknowledged)
    print(f"\nacknowledged answers {answers} in {outcome.load_seconds:.1f} s "
          f"({answers / outcome.load_seconds:.1f}/s); stored {outcome.recorded}; "
          f"lost {len(outcome.lost)}")
    print(f"e-mails {outcome.emails_queued} queued, {outcome.emails_unsent} unsent, "
          f"{len(outcome.undelivered)} undelivered, {outcome.duplicates} duplicates "
          f"(possibly duplicated: {outcome.possibly_duplicated})")
    print(f"rate limit: {outcome.limit_passed} of {RESPOND_LIMIT + 10} passed from one address "
          f"via {sorted(outcome.limit_upstreams)}; another address: "
          f"{outcome.limit_other_address}")
    print(f"sessions across servers: {outcome.session_statuses}")
    print(f"kills: {outcome.kills}")
    cpu = outcome.cpu
    print("CPU seconds during the load: " + ", ".join(f"{k} {v:.1f}" for k, v in cpu.items()))
    if answers:
        serving = cpu.get("web", 0) + cpu.get("postgresql", 0)
        mixed = "dashboards and queue work included" if len(classes) > 1 else "answers alone"
        print(f"CPU per answer (web + PostgreSQL, {mixed}): "
              f"{serving / answers * 1000:.1f} ms → {answers / serving:.0f} answers/s per core")
    if outcome.emails_queued:
        print(f"worker CPU per wave e-mail (polling, sweeps and case alerts included): "
              f"{cpu.get('worker', 0) / outcome.emails_queued * 1000:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=1500, help="personal links (the bound)")
    parser.add_argument("--emails", type=int, default=300, help="e-mails of the wave")
    parser.add_argument("--smtp-delay", type=float, default=0.25,
                        help="seconds the SMTP sink takes per message")
    parser.add_argument("--users", type=int, default=20, help="locust users")
    parser.add_argument("--run-time", type=int, default=120, help="seconds at most")
    parser.add_argument("--database", default="polso_cluster", help="PostgreSQL database "
                        "(dropped and created)")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/5")
    parser.add_argument("--respondents-only", action="store_true",
                        help="no dashboards or queue work: the CPU of answers alone")
    args = parser.parse_args()
    if not Path(NGINX).exists():
        raise SystemExit("nginx is missing: apt-get install nginx")
    url = fresh_database(args.database)
    with tempfile.TemporaryDirectory() as tmp:
        outcome = run(url, args.redis, answers=args.answers, emails=args.emails,
                      smtp_delay=args.smtp_delay, users=args.users, run_time=args.run_time,
                      tmp=Path(tmp), classes=["Respondent"] if args.respondents_only else None)
    report(outcome)


if __name__ == "__main__":
    main()
