"""A wave through a slow SMTP server while its worker is SIGKILLed twice (issue 13, point 8).

Real parts only: ``polso worker`` processes (4 sending threads, SQLite job broker), the aiosmtpd
server of the ``smtp_server`` fixture slowed to 0.25 s a message, the suite's database (a SQLite
file or PostgreSQL) and the wave page. 150 invitations in batches of 20 (5 s a batch, longer than
the 3 s lease) take about 10 s to send without kills; each kill costs a lease and a restart.
This process sweeps every half second, as an eager periodic job would.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select

from survey_app.core.db import db
from survey_app.waves import tasks
from survey_app.waves.models import InvitationEmail
from tests.core.test_jobs import _dispose, _queue_a_wave, _second_app
from tests.waves.conftest import as_job, figures

INVITATIONS = 150
THREADS = 4
#: Kill the worker once the server has accepted this many messages (then start a new one).
KILL_AT = (40, 100)
#: The whole test must finish well within this (about 25 s on an idle machine).
DEADLINE_SECONDS = 120
SETTINGS = {"DELIVERY_STUCK_MINUTES": 0.05, "MAIL_BATCH_SIZE": 20}


class Worker:
    """A ``polso worker`` subprocess of the given app's configuration, logging to a file."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        polso = Path(sys.executable).parent / "polso"
        self.log = log
        with log.open("w") as stderr:
            self.process = subprocess.Popen(
                [str(polso), "worker", "-w", str(THREADS), "-k", "thread", "-n"], env=env,
                stdout=subprocess.DEVNULL, stderr=stderr)

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.mark.live
def test_every_invitation_arrives_through_slow_smtp_and_two_sigkills(
        app, client, login, database_url, smtp_server, _smtp_controller, tmp_path):
    started = time.monotonic()
    smtp_server.delay = 0.25
    port = _smtp_controller[0].port
    broker = f"sqlite:///{tmp_path / 'jobs.sqlite3'}"
    second = _second_app(database_url, port, JOBS_URL=broker, **SETTINGS)
    env = {**os.environ, "POLSO_DATABASE_URL": database_url, "POLSO_SECRET_KEY": "test-secret",
           "POLSO_JOBS_URL": broker, "POLSO_MAIL_SERVER": "127.0.0.1",
           "POLSO_MAIL_PORT": str(port), "POLSO_BASE_URL": "http://polso.test",
           **{f"POLSO_{name}": str(value) for name, value in SETTINGS.items()}}
    wave_id = _queue_a_wave(second, INVITATIONS)
    workers = [Worker(env, tmp_path / "worker-1.log")]

    def sent() -> int:
        with second.app_context():
            return db.session.scalar(select(func.count()).select_from(InvitationEmail)
                                     .where(InvitationEmail.status == "sent"))

    def sweep_until(done: Callable[[], bool]) -> None:
        while not done():
            logs = "\n".join(w.log.read_text()[-2000:] for w in workers)
            assert time.monotonic() - started < DEADLINE_SECONDS, logs
            as_job(second, tasks.sweep_invitation_emails.call_local)  # enqueues on the broker
            time.sleep(0.5)

    try:
        with second.app_context():
            tasks.deliver_wave(wave_id)
        for number, count in enumerate(KILL_AT, start=2):
            sweep_until(lambda count=count: len(smtp_server.messages) >= count)
            workers[-1].kill()
            workers.append(Worker(env, tmp_path / f"worker-{number}.log"))
        sweep_until(lambda: sent() == INVITATIONS)
    finally:
        for worker in workers:
            worker.stop()
        _dispose(second)

    received = Counter(m["To"] for m in smtp_server.messages)
    assert set(received) == {f"job{i}@example.com" for i in range(INVITATIONS)}
    duplicates = sum(received.values()) - INVITATIONS
    for address in received:  # a duplicate carries the same Message-ID as the first copy
        assert len({m["Message-ID"] for m in smtp_server.to(address)}) == 1
    assert len({m["Message-ID"] for m in smtp_server.messages}) == INVITATIONS

    login(client, "admin")
    shown = figures(client.get(f"/waves/{wave_id}").get_data(as_text=True))
    assert (shown["Invited"], shown["Sent"], shown["Waiting to be sent"], shown["Failed"]) == (
        INVITATIONS, INVITATIONS, 0, 0)
    # every kill interrupted the sends in flight, at most one per thread
    assert 1 <= shown["Possibly duplicated"] <= len(KILL_AT) * THREADS
    assert duplicates <= shown["Possibly duplicated"]
    print(f"{duplicates} duplicates, {shown['Possibly duplicated']} possibly duplicated, "
          f"{time.monotonic() - started:.1f} s")
