"""Send 10,000 invitations through a local aiosmtpd server; print e-mails/s and peak memory.

    .venv/bin/python bench/send.py [--count 10000] [--batch 200] [--workers 4]
                                   [--database-url URL]

A fresh SQLite database by default (``--database-url`` for PostgreSQL). The wave is created with
the real service and its e-mails are sent by the real job code (claim → render HTML + text →
SMTP → mark sent, one SMTP connection per batch of ``--batch``):

- ``--workers N`` (default 4): ``polso worker -w N -k process -n`` (huey, SQLite broker), timed
  from enqueuing the wave until every e-mail is marked sent — the production path;
- ``--workers 0``: the same job code called in this process, one batch after another.

The SMTP server (aiosmtpd) runs in a process of its own. Target: ≥ 200 e-mails/s.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import flask_migrate  # noqa: E402
from aiosmtpd.controller import Controller  # noqa: E402
from sqlalchemy import func, insert, select  # noqa: E402

from survey_app import create_app  # noqa: E402
from survey_app.core.db import db, utcnow  # noqa: E402
from survey_app.core.delivery import chunks  # noqa: E402
from survey_app.people.models import Person  # noqa: E402
from survey_app.surveys.services import create_survey  # noqa: E402
from survey_app.waves import services, tasks  # noqa: E402
from survey_app.waves.audience import Audience  # noqa: E402
from survey_app.waves.emails import InvitationDeliverer  # noqa: E402
from survey_app.waves.models import InvitationEmail  # noqa: E402


class Counter:
    """An SMTP handler that counts messages and their bytes."""

    def __init__(self, received, size) -> None:  # type: ignore[no-untyped-def]
        self.received, self.size = received, size

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        with self.received.get_lock():
            self.received.value += 1
            self.size.value += len(envelope.content)
        return "250 OK"


def serve(port: int, received, size, ready, stop) -> None:  # type: ignore[no-untyped-def]
    """The aiosmtpd server, in its own process (so it does not compete for our GIL)."""
    controller = Controller(Counter(received, size), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    stop.wait()
    controller.stop()


def _with_workers(app, wave_id: int, total: int, args, url: str, port: int
                  ) -> tuple[int, float]:  # type: ignore[no-untyped-def]
    """Start ``polso worker``, enqueue the wave, wait until every e-mail is sent."""
    env = {**os.environ, "POLSO_DATABASE_URL": url, "POLSO_SECRET_KEY": "bench",
           "POLSO_JOBS_URL": app.config["JOBS_URL"], "POLSO_MAIL_SERVER": "127.0.0.1",
           "POLSO_MAIL_PORT": str(port), "POLSO_MAIL_BATCH_SIZE": str(args.batch),
           "POLSO_BASE_URL": app.config["BASE_URL"]}
    polso = Path(sys.executable).parent / "polso"
    worker = subprocess.Popen([str(polso), "worker", "-w", str(args.workers), "-k", "process",
                               "-n"], env=env, stdout=subprocess.DEVNULL,
                              stderr=open(os.environ.get("BENCH_WORKER_LOG", os.devnull), "w"))
    try:
        time.sleep(2)  # let the workers start
        started = time.perf_counter()
        tasks.deliver_wave(wave_id)
        sent = 0
        while sent < total and time.perf_counter() - started < 600:
            time.sleep(0.1)
            sent = db.session.scalar(select(func.count()).select_from(InvitationEmail)
                                     .where(InvitationEmail.status == "sent"))
            db.session.commit()
        return sent, time.perf_counter() - started
    finally:
        worker.send_signal(signal.SIGINT)
        worker.wait(60)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    port = free_port()
    received, size = multiprocessing.Value("q", 0), multiprocessing.Value("q", 0)
    ready, stop = multiprocessing.Event(), multiprocessing.Event()
    server = multiprocessing.Process(target=serve, args=(port, received, size, ready, stop))
    server.start()
    if not ready.wait(10):
        sys.exit("the SMTP server did not start")
    folder = tempfile.mkdtemp()
    url = args.database_url or f"sqlite:///{folder}/bench.sqlite3"
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "DATABASE_URL": url,
                      "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": port,
                      "JOBS_URL": f"sqlite:///{folder}/jobs.sqlite3",
                      "MAIL_BATCH_SIZE": args.batch, "BASE_URL": "https://polso.example"})
    try:
        with app.app_context():
            flask_migrate.upgrade()
            survey = create_survey(kind="nps", title="Bench NPS", slug="bench-nps")
            now = utcnow()
            db.session.execute(insert(Person), [
                {"email": f"p{i}@example.com", "name": f"Person {i}", "kind": "customer",
                 "locale": "it" if i % 3 == 0 else "en", "attributes": {"team": "T"},
                 "created_dt": now} for i in range(args.count)])
            db.session.commit()
            started = time.perf_counter()
            wave = services.send_wave(survey, Audience("customer"))
            db.session.commit()
            queued = time.perf_counter() - started
            ids = services.queued_email_ids(wave)
            if args.workers:
                sent, elapsed = _with_workers(app, wave.id, len(ids), args, url, port)
            else:
                started = time.perf_counter()
                deliverer = InvitationDeliverer()
                sent = sum(deliverer.run(batch).sent for batch in chunks(ids, args.batch))
                elapsed = time.perf_counter() - started
            statuses = sorted(set(db.session.scalars(select(InvitationEmail.status))))
    finally:
        stop.set()
        server.join(10)
    print(f"database {url.split(':')[0]}, {args.count} people, batches of {args.batch}")
    print(f"wave created ({args.count} invitations + queued e-mails) in {queued:.2f} s")
    how = (f"{args.workers} worker processes (polso worker)" if args.workers
           else "in this process")
    print(f"sent {sent} e-mails in {elapsed:.1f} s = {sent / elapsed:,.0f} e-mails/s, {how}")
    print(f"the server received {received.value} messages, "
          f"{size.value / max(received.value, 1) / 1024:.1f} KB each; statuses {statuses}")
    print(f"peak RSS: this process {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}"
          f" MB, largest worker {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024:.0f}"
          " MB")


if __name__ == "__main__":
    main()
