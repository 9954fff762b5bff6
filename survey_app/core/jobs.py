"""Background jobs on huey: the broker comes from ``JOBS_URL``, one huey instance per app.

Features declare jobs at import time with :func:`task` / :func:`periodic_task`; each Flask app
builds its own huey on first use (SQLite file under ``instance/`` by default, Redis or
PostgreSQL when ``JOBS_URL`` says so, in-memory and synchronous with ``JOBS_IMMEDIATE``) and
registers every declared job on it, wrapped in an app context.

Rules every job follows (huey dequeues at most once, so a killed worker loses its job):

- the state lives in our tables, never only in the queue; a periodic sweep re-enqueues what is
  stuck, so a lost job is only late;
- enqueue **after** the commit that created the work (a job must find its rows);
- a job is idempotent: running it twice, or two of it at once, does the work once.

A request hands its jobs off with :func:`hand_off`: they reach the broker together, as one
message, once the response is ready (an answer's case e-mails and its webhook routing: one
enqueue, not two).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
from flask import Flask, after_this_request, current_app, g, has_app_context, has_request_context
from flask.cli import ScriptInfo, pass_script_info, with_appcontext
from flask.cli import run_command as flask_run_command
from huey import Huey, crontab
from huey.consumer import Consumer
from huey.storage import MemoryStorage, PostgresStorage, RedisStorage, SqliteStorage
from werkzeug.serving import is_running_from_reloader

__all__ = ["crontab", "get_huey", "hand_off", "periodic_task", "run_command", "task",
           "worker_command"]

logger = logging.getLogger(__name__)

@dataclass
class Job:
    """A job declared at import time; calling it enqueues it on the current app's huey."""

    func: Callable[..., Any]
    options: dict[str, Any] = field(default_factory=dict)
    schedule: crontab | None = None

    @property
    def name(self) -> str:
        return f"{self.func.__module__}.{self.func.__name__}"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Enqueue (or, with ``JOBS_IMMEDIATE``, run now); returns huey's result handle."""
        return get_huey(current_app).tasks[self.name](*args, **kwargs)

    def schedule_in(self, seconds: float, *args: Any) -> Any:
        """Enqueue to run ``seconds`` from now (a retry with back-off, for instance)."""
        return get_huey(current_app).tasks[self.name].schedule(args=args, delay=seconds)

    def call_local(self, *args: Any, **kwargs: Any) -> Any:
        """Run in this process, now, without the queue (CLI commands, tests)."""
        return self.func(*args, **kwargs)


_jobs: dict[str, Job] = {}


def task(**options: Any) -> Callable[[Callable[..., Any]], Job]:
    """Declare a job; ``options`` go to ``huey.task`` (``retries``, ``retry_delay`` …)."""

    def decorate(func: Callable[..., Any]) -> Job:
        job = Job(func, options)
        _jobs[job.name] = job
        return job

    return decorate


def periodic_task(schedule: crontab, **options: Any) -> Callable[[Callable[..., Any]], Job]:
    """Declare a job the consumer that runs periodic tasks starts on ``schedule``."""

    def decorate(func: Callable[..., Any]) -> Job:
        job = Job(func, options, schedule)
        _jobs[job.name] = job
        return job

    return decorate


#: ``flask.g`` attribute: the jobs this request hands off, ``[(name, args), …]``.
_HANDED_OFF = "polso_handed_off_jobs"


def hand_off(job: Job, *args: Any) -> None:
    """Enqueue ``job(*args)`` once this request's response is ready, in one broker message with
    every other job the request hands off (:func:`run_handed_off`); outside a request, now.

    Call it after the commit that created the work. A hand-off that cannot reach the broker is
    logged and dropped: each job's sweep finds its work.
    """
    if not has_request_context():
        job(*args)
        return
    calls = g.get(_HANDED_OFF)
    if calls is None:
        calls = []
        setattr(g, _HANDED_OFF, calls)
        after_this_request(_enqueue_handed_off)
    calls.append((job.name, args))


def _enqueue_handed_off(response: Any) -> Any:
    calls = g.pop(_HANDED_OFF, [])
    try:
        if len(calls) == 1:
            name, args = calls[0]
            _jobs[name](*args)
        elif calls:
            run_handed_off(calls)
    except Exception:  # the commit stands; the sweeps enqueue the work again
        logger.exception("could not hand jobs to the workers: %s", [n for n, _a in calls])
    return response


class PolsoHuey(Huey):
    """A huey with a name → task map, so :class:`Job` can find its wrapper."""

    tasks: dict[str, Any]


@task()
def run_handed_off(calls: list[tuple[str, tuple[Any, ...]]]) -> None:
    """Run the jobs a request handed off together, in order. One that fails is enqueued again
    on its own, so its retries apply; the others still run."""
    from survey_app.core.db import db

    for name, args in calls:
        try:
            _jobs[name].func(*args)
        except Exception:
            logger.exception("job %s failed in a hand-off; enqueued on its own", name)
            db.session.rollback()
            _jobs[name](*args)


class BrokerConnection(sqlite3.Connection):
    """A connection to the SQLite broker with ``synchronous=NORMAL`` (WAL), as our database.

    huey leaves SQLite's default, FULL: an fsync at every enqueue, 4–10 ms per job on the
    shared bench machine, and an answer hands off two (its case's e-mails, its webhooks;
    profiled with ``bench/webhooks.py``'s submissions).
    NORMAL never corrupts the file; a power cut may lose the last jobs, which are then only
    late: the state lives in our tables and the sweeps enqueue again what is due.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.execute("PRAGMA synchronous=NORMAL")


def storage_for(url: str, instance_path: str) -> tuple[type, dict[str, Any]]:
    """The huey storage class and its arguments for ``JOBS_URL``.

    :raises ValueError: an unsupported URL scheme.
    """
    if not url:
        Path(instance_path).mkdir(parents=True, exist_ok=True)
        return SqliteStorage, {"filename": str(Path(instance_path) / "jobs.sqlite3"),
                               "factory": BrokerConnection}
    if url.startswith("sqlite:///"):
        return SqliteStorage, {"filename": url.removeprefix("sqlite:///"),
                               "factory": BrokerConnection}
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisStorage, {"url": url}
    if url.startswith(("postgresql://", "postgresql+psycopg://", "postgres://")):
        dsn = url.replace("postgresql+psycopg://", "postgresql://", 1)
        return PostgresStorage, {"dsn": dsn}
    raise ValueError(f"JOBS_URL must be empty, sqlite:///…, redis://… or postgresql://…, "
                     f"not {url.split(':', 1)[0]!r}")


def make_huey(app: Flask) -> PolsoHuey:
    """A huey for ``app`` with every declared job registered (``immediate`` set at construction).

    Tasks run inside an app context of ``app``; the session is removed when it ends.
    """
    immediate = bool(app.config["JOBS_IMMEDIATE"])
    if immediate:
        huey = PolsoHuey(app.config["JOBS_NAME"], immediate=True, storage_class=MemoryStorage,
                         utc=True)
    else:
        storage_class, kwargs = storage_for(app.config["JOBS_URL"], app.instance_path)
        huey = PolsoHuey(app.config["JOBS_NAME"], storage_class=storage_class, utc=True,
                         **kwargs)
    huey.tasks = {}
    for job in _jobs.values():
        runner = _in_app_context(app, job.func)
        if job.schedule is not None:
            wrapper = huey.periodic_task(job.schedule, name=job.name, **job.options)(runner)
        else:
            wrapper = huey.task(name=job.name, **job.options)(runner)
        huey.tasks[job.name] = wrapper
    return huey


def _in_app_context(app: Flask, func: Callable[..., Any]) -> Callable[..., Any]:
    """Run ``func`` in an app context of ``app``: a new one in a worker; in immediate mode the
    caller's own (same session), as the caller has committed before enqueuing anyway."""

    def run(*args: Any, **kwargs: Any) -> Any:
        from survey_app.core.db import set_write_intent

        if has_app_context() and current_app._get_current_object() is app:  # type: ignore[attr-defined]
            return func(*args, **kwargs)
        with app.app_context():
            set_write_intent(True)  # jobs write
            return func(*args, **kwargs)

    run.__name__ = func.__name__
    return run


_build_lock = threading.Lock()


def get_huey(app: Flask) -> PolsoHuey:
    """``app``'s huey, built on first use (never at import or start-up: forks stay clean)."""
    app = getattr(app, "_get_current_object", lambda: app)()  # the app itself, not current_app
    huey = app.extensions.get("polso_huey")
    if huey is None:
        with _build_lock:
            huey = app.extensions.get("polso_huey")
            if huey is None:
                huey = app.extensions["polso_huey"] = make_huey(app)
    return huey


def check_config(app: Flask) -> None:
    """Fail at start-up on a ``JOBS_URL`` huey cannot use."""
    storage_for(app.config["JOBS_URL"], app.instance_path)


#: Longest pause between two polls of an idle broker that does not block (SQLite,
#: PostgreSQL); huey's default backs off to 10 s, so a job handed off after a quiet minute
#: (an answer's webhook routing) waited up to that long. A poll is one small query.
POLL_MAX_DELAY = 1.0


class EmbeddedConsumer(Consumer):
    """A consumer running in threads of another process: leaves its signal handlers alone."""

    def _set_signal_handlers(self) -> None:
        pass


def start_embedded_consumer(app: Flask, workers: int) -> EmbeddedConsumer:
    """Start job workers and the periodic scheduler in daemon threads of this process."""
    consumer = EmbeddedConsumer(get_huey(app), workers=workers, periodic=True,
                                worker_type="thread", check_worker_health=False,
                                max_delay=POLL_MAX_DELAY)
    consumer.start()
    logger.info("job consumer running in-process with %s thread(s)", workers)
    return consumer


@click.command("worker")
@with_appcontext
@click.option("-w", "--workers", type=click.IntRange(1, 64), default=None,
              help="Worker threads or processes (default: JOBS_WORKERS).")
@click.option("-k", "--worker-type", type=click.Choice(["thread", "process"]), default="thread",
              show_default=True)
@click.option("-n", "--no-periodic", is_flag=True,
              help="Do not run periodic jobs (reminders, recurring waves, sweep): when several "
                   "workers run, exactly one should run them.")
def worker_command(workers: int | None, worker_type: str, no_periodic: bool) -> None:
    """Run a job consumer (e-mails, reminders, recurring waves) until interrupted."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if app.config["JOBS_IMMEDIATE"]:
        raise click.ClickException("JOBS_IMMEDIATE is set: jobs run in-process, no worker needed")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    consumer = get_huey(app).create_consumer(
        workers=workers or app.config["JOBS_WORKERS"], worker_type=worker_type,
        periodic=not no_periodic, max_delay=POLL_MAX_DELAY)
    consumer.run()


@click.command("run", params=list(flask_run_command.params), help=flask_run_command.help,
               short_help="Run the development server with an in-process job consumer.")
@pass_script_info
def run_command(info: ScriptInfo, **options: Any) -> None:
    """Flask's ``run`` plus, unless disabled, a job consumer in threads of the server process.

    With the reloader only the serving child runs the consumer (not the watching parent).
    """
    app = info.load_app()
    from flask.helpers import get_debug_flag

    reload = options["reload"] if options["reload"] is not None else get_debug_flag()
    if (app.config["JOBS_EMBEDDED_WORKER"] and not app.config["JOBS_IMMEDIATE"]
            and (not reload or is_running_from_reloader())):
        start_embedded_consumer(app, app.config["JOBS_WORKERS"])
    click.get_current_context().invoke(flask_run_command, **options)
