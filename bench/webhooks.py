"""Webhook delivery throughput, and the respondent's submission rate with and without an
endpoint subscribed to ``response.created`` — side by side in one run.

    .venv/bin/python bench/webhooks.py [--events 10000] [--workers 4] [--answers 300]
                                       [--rounds 3] [--db sqlite|postgresql]

1. **Delivery**: a receiver (``ThreadingHTTPServer`` answering 200, in its own process) on
   127.0.0.1, allowed through ``WEBHOOK_ALLOWED_HOSTS``; ``--events`` events written to the
   outbox unrouted, as answers write them, for one endpoint (cap ``WEBHOOK_MAX_CONCURRENCY``
   = workers); one routing job handed to a real ``polso worker`` with ``--workers`` threads
   over the SQLite job broker, which routes them and delivers. Prints the time to enqueue and
   the deliveries/s (routing included) from the first ``delivered`` row to the last (the
   worker's start-up is measured apart, as the time to the first delivery).
2. **Submissions**: the respondent's POST (validation, category, sentiment, case, commit,
   after-commit hand-off) through the Flask test client, ``--answers`` per slice, alternating
   slices without and with a subscribed endpoint for ``--rounds`` rounds, so a drifting
   machine slows both alike. Prints answers/s of each and their ratio.
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/polso_bench_hooks"


class _Ok(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    #: As production HTTP servers do: without it the 2-byte body, written after the headers,
    #: waits for the client's delayed ACK (~40 ms), capping each connection at ~25 answers/s.
    disable_nagle_algorithm = True

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


def _serve(port: int) -> None:
    ThreadingHTTPServer(("127.0.0.1", port), _Ok).serve_forever()


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url(kind: str, tmp: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp / 'bench.sqlite3'}"
    admin = sa.create_engine(PG_URL.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text("DROP DATABASE IF EXISTS polso_bench_hooks WITH (FORCE)"))
        conn.execute(sa.text("CREATE DATABASE polso_bench_hooks"))
    admin.dispose()
    return PG_URL


def make_app(url: str, broker: str, allowed: str):  # type: ignore[no-untyped-def]
    import flask_migrate

    from survey_app import create_app

    app = create_app({"SECRET_KEY": "bench", "DATABASE_URL": url, "JOBS_URL": broker,
                      "WEBHOOK_ALLOWED_HOSTS": allowed, "RATELIMIT_ENABLED": False,
                      "MIN_ANSWER_SECONDS": 0, "MAIL_OUTBOX_DIR": str(Path(broker[10:]).parent)})
    logging.getLogger("survey_app").setLevel(logging.WARNING)
    app.logger.setLevel(logging.WARNING)
    with app.app_context():
        flask_migrate.upgrade()
    return app


def endpoint(app, url: str, events: list[str], workers: int) -> int:  # type: ignore[no-untyped-def]
    from survey_app.accounts.models import User
    from survey_app.core.db import db
    from survey_app.webhooks import services

    with app.app_context():
        owner = db.session.scalar(sa.select(User).limit(1))
        if owner is None:
            owner = User(email="bench@example.com", role="admin", password_hash="-")
            db.session.add(owner)
            db.session.flush()
        found = services.create_endpoint(owner, url=url, events=events, scope="customers")
        db.session.commit()
        return found.id


def delivery_figures(app, args, receiver_url: str, env: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    from survey_app.core.db import db
    from survey_app.webhooks import tasks
    from survey_app.webhooks.events import emit
    from survey_app.webhooks.models import WebhookDelivery

    endpoint_id = endpoint(app, receiver_url, ["response.created"], args.workers)
    with app.app_context():
        started = time.perf_counter()
        for number in range(args.events):
            emit("response.created", {"id": number, "score": number % 11}, scope="customers",
                 survey_id=None, hand_off=False)
            if number % 1000 == 999:
                db.session.commit()
        db.session.commit()
        written = time.perf_counter() - started
        started = time.perf_counter()
        tasks.route_webhook_events()  # what a request's commit hands off: one job
        enqueued = time.perf_counter() - started
    print(f"outbox: {args.events} events written in {written:.1f} s "
          f"({args.events / written:.0f}/s); handed to the broker in {enqueued * 1000:.1f} ms",
          flush=True)
    worker = subprocess.Popen([str(BIN / "polso"), "worker", "-w", str(args.workers), "-n",
                               "-k", args.worker_type],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    done_query = sa.select(sa.func.count()).select_from(WebhookDelivery).where(
        WebhookDelivery.endpoint_id == endpoint_id, WebhookDelivery.state == "delivered")
    try:
        launched = time.perf_counter()
        first = None
        with app.app_context():
            while True:
                done = db.session.scalar(done_query)
                db.session.rollback()
                if done and first is None:
                    first = (time.perf_counter(), done)
                if done >= args.events:
                    break
                if time.perf_counter() - launched > 1800:
                    raise SystemExit(f"only {done} of {args.events} delivered in 30 minutes")
                time.sleep(0.2)
        finished = time.perf_counter()
    finally:
        worker.terminate()
        worker.wait(30)
    assert first is not None
    rate = (args.events - first[1]) / max(finished - first[0], 1e-9)
    print(f"delivery: {args.events} deliveries with {args.workers} workers ({args.worker_type}): "
          f"worker start-up {first[0] - launched:.1f} s, then {rate:.0f} deliveries/s "
          f"({finished - first[0]:.1f} s)", flush=True)


def submission_figures(app, args, receiver_url: str) -> None:  # type: ignore[no-untyped-def]
    from survey_app.core.db import db
    from survey_app.invitations.services import create_invitation
    from survey_app.people.services import get_or_create_person
    from survey_app.surveys.services import create_survey
    from survey_app.webhooks.models import WebhookEndpoint

    total = args.answers * args.rounds * 2
    with app.app_context():
        survey = create_survey(kind="nps", title="Bench", slug="bench-hooks")
        tokens = [create_invitation(survey, get_or_create_person(f"r{i}@example.com"))[1]
                  for i in range(total)]
        db.session.commit()
    hook = endpoint(app, receiver_url, ["response.created", "followup.opened"], args.workers)
    client = app.test_client()
    # Each link's form once, for its CSRF token (bound to the link; not timed).
    forms = [(t, CSRF.search(client.get(f"/s/{t}").get_data(as_text=True)).group(1))
             for t in tokens]

    def answer_slice(subscribed: bool) -> float:
        with app.app_context():  # as the settings page does (the process's list follows)
            db.session.get(WebhookEndpoint, hook).is_active = subscribed
            db.session.commit()
        started = time.perf_counter()
        for _ in range(args.answers):
            token, csrf = forms.pop()
            answer = client.post(f"/s/{token}", data={"score": "3", "comment": "Too slow.",
                                                       "csrf_token": csrf})
            assert answer.status_code == 303, answer.status_code
        return args.answers / (time.perf_counter() - started)

    without, with_ = [], []
    for round_number in range(args.rounds):
        without.append(answer_slice(False))
        with_.append(answer_slice(True))
        print(f"round {round_number + 1}: {without[-1]:.0f} answers/s without an endpoint, "
              f"{with_[-1]:.0f} with one ({with_[-1] / without[-1]:.2f}×)", flush=True)
    a, b = sum(without) / len(without), sum(with_) / len(with_)
    ratios = sorted(w / o for w, o in zip(with_, without, strict=True))
    print(f"per-round ratios: median {statistics.median(ratios):.2f}×, "
          f"from {ratios[0]:.2f}× to {ratios[-1]:.2f}×", flush=True)
    print(f"submissions: {a:.0f} answers/s without an endpoint, {b:.0f} with one subscribed "
          f"to response.created and followup.opened: {b / a:.2f}× (each answer also writes "
          f"2 outbox rows; its routing job joins its case's e-mails in one broker message)",
          flush=True)
    with app.app_context():  # the delivery run measures its own endpoint only
        db.session.get(WebhookEndpoint, hook).is_active = False
        db.session.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=10000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--answers", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--worker-type", choices=["thread", "process"], default="thread")
    args = parser.parse_args()
    port = free_port()
    receiver = multiprocessing.Process(target=_serve, args=(port,), daemon=True)
    receiver.start()
    allowed = f"127.0.0.1:{port}"
    receiver_url = f"http://127.0.0.1:{port}/hook"
    with tempfile.TemporaryDirectory() as tmp:
        url = database_url(args.db, Path(tmp))
        broker = f"sqlite:///{Path(tmp) / 'jobs.sqlite3'}"
        env = {**os.environ, "POLSO_DATABASE_URL": url, "POLSO_SECRET_KEY": "bench",
               "POLSO_JOBS_URL": broker, "POLSO_WEBHOOK_ALLOWED_HOSTS": allowed,
               "POLSO_WEBHOOK_MAX_CONCURRENCY": str(args.workers)}
        app = make_app(url, broker, allowed)
        app.config["WEBHOOK_MAX_CONCURRENCY"] = args.workers
        print(f"database {args.db}, receiver {receiver_url}, {os.cpu_count()} CPUs, load "
              f"{os.getloadavg()[0]:.1f}", flush=True)
        submission_figures(app, args, receiver_url)
        # The delivery run starts from an empty broker: the jobs the answers handed off are
        # not the ones measured (their rows are delivered already or belong to another endpoint).
        delivery_broker = f"sqlite:///{Path(tmp) / 'jobs-delivery.sqlite3'}"
        app.extensions.pop("polso_huey", None)
        app.config["JOBS_URL"] = env["POLSO_JOBS_URL"] = delivery_broker
        delivery_figures(app, args, receiver_url, env)
    receiver.terminate()


if __name__ == "__main__":
    main()
