"""gunicorn settings, read from this directory by ``gunicorn wsgi:app``.

Sync workers; how many (``WEB_CONCURRENCY`` or ``-w`` overrides it) depends on the database:

- SQLite: one per core. An answer is CPU work around a local file that takes one writer at a
  time; more processes only queue for it and re-read the pages another one changed (12–28 %
  more answers per second with 2 workers than with 4 on the 2-core development machine).
- PostgreSQL: two per core, so one worker computes while another waits on the server.

Measured with ``bench/submit_ab.py`` (README, Performance).

``POLSO_LOG_FORMAT=json`` formats gunicorn's own lines (start-up, worker exits) as the app's
JSON lines; ``PROMETHEUS_MULTIPROC_DIR`` makes each worker's request metrics add up in
``/metrics`` (the directory is emptied at start and a dead worker's live gauges dropped).
"""

import os
from pathlib import Path

_cores = os.cpu_count() or 1
_postgresql = os.environ.get("POLSO_DATABASE_URL", "").startswith("postgresql")

workers = int(os.environ.get("WEB_CONCURRENCY") or (2 * _cores if _postgresql else _cores))
worker_class = "sync"

if os.environ.get("POLSO_LOG_FORMAT") == "json":
    logconfig_dict = {"formatters": {"generic": {"()": "survey_app.core.requestlog.JsonFormatter"}}}


def on_starting(server):
    """Start request metrics from zero: files left by an earlier run would be added in."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        for path in Path(directory).glob("*.db"):
            path.unlink()


def child_exit(server, worker):
    """Drop a dead worker's live gauges (its counters are kept, as Prometheus expects)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
