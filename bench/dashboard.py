"""Dashboard views on 1,000,000 (or 10,000,000) responses, from the rollups and from raw rows.

    .venv/bin/python bench/dashboard.py [--db sqlite|postgresql|both] [--rows 1000000]
                                        [--reuse] [--repeat 5] [--view TEXT]
                                        [--sqlite-path FILE] [--pg-database NAME]

Builds a fresh database by the migrations (SQLite under ``/tmp``; PostgreSQL in its own
database ``polso_bench_dashboard``, apart from bench/submit.py's), bulk-loads ``--rows``
anonymous eNPS responses spread evenly over three years, 20 departments × 5 regions (SQLite
``executemany`` and PostgreSQL ``COPY`` in large transactions, the rollup triggers off; about a
third with a comment), then fills the daily rollups as ``polso db rollup --rebuild`` does (timed)
and times, signed in as an admin through the Flask test client, each view of the page
``GET /surveys/<id>``: default (last 90 days, weekly, breakdown by department), 12 months,
all time, a segment filter, a breakdown by region, the 12-month trend by week and by month, and
a filter on two attributes (department and region: read from the responses).

Columns: the page's wall seconds (best of ``--repeat`` warm runs), the SQL statements it runs
and their total time; beside it the raw-query baseline: the page's main aggregate
(:func:`survey_app.dashboards.queries.score_cells_query`, counts by trend bucket × department ×
score) on the responses, warm, and page / baseline. For the two-attribute filter, whose page
reads raw rows, that ratio is the "within 1.5× of its own main query" figure. For SQLite the
page's CPU seconds in this process too (SQLite runs in it), which other load on a shared
machine disturbs less. ``--reuse`` keeps an already loaded database (same ``--rows``);
``--view`` times only the views whose label contains its text (e.g. ``--view "two attr"``);
``--sqlite-path`` and ``--pg-database`` name other databases than the defaults (e.g. to keep a
10M and a 1M database side by side, or apart from another person's runs).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SQLITE_PATH = Path("/tmp/polso-bench-dashboard.sqlite3")
PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
PG_DATABASE = "polso_bench_dashboard"
DEPARTMENTS = [f"Department {i:02d}" for i in range(1, 21)]
REGIONS = ["north", "south", "east", "west", "centre"]
DAYS = 3 * 365
COMMENTS = [
    "The workload is too high and meetings take all the time.",
    "Great team, I feel supported by my manager.",
    "Troppe riunioni, poco tempo per lavorare davvero.",
    "Mi piace il team ma lo stipendio è basso.",
    "Good tools, but the processes are slow and confusing.",
    "Career growth is unclear, nobody talks about promotions.",
]
COLUMNS = ["survey_id", "token_digest", "is_anonymous", "score", "category", "comment", "locale",
           "sentiment_polarity", "sentiment_label", "sentiment_analyzer", "is_mismatch",
           "is_contact_requested", "segment", "channel", "submitted_dt", "version"]
BATCH = 20_000
ADMIN_EMAIL = "bench.admin@example.com"


def progress(label: str, done: int, total: int, started: float) -> None:
    rate = done / max(time.perf_counter() - started, 1e-9)
    sys.stdout.write(f"\r  {label}: {done:>9,}/{total:,}  ({rate:,.0f} rows/s)")
    sys.stdout.flush()
    if done >= total:
        sys.stdout.write("\n")


def fake_rows(survey_id: int, rows: int, seed: int = 42) -> Iterator[tuple[object, ...]]:
    """Anonymous eNPS responses, day-only timestamps over the last three years, in time order."""
    rng = random.Random(seed)
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    start = today - timedelta(days=DAYS)
    for i in range(rows):
        day = start + timedelta(days=i * DAYS // rows)
        department = rng.choices(DEPARTMENTS, weights=range(1, 21))[0]
        score = min(10, max(0, round(rng.gauss(7.2, 2.2))))
        category = "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"
        comment = rng.choice(COMMENTS) if rng.random() < 0.33 else None
        polarity = None if comment is None else round(rng.uniform(-1, 1), 3)
        label = ("unknown" if polarity is None else "negative" if polarity <= -0.05
                 else "positive" if polarity >= 0.05 else "neutral")
        digest = hashlib.sha256(f"bench:{survey_id}:{i}".encode()).hexdigest()
        segment = json.dumps({"department": department, "region": rng.choice(REGIONS)})
        yield (survey_id, digest, True, score, category, comment, "en", polarity, label,
               "bench", False, False, segment, "email", day, 1)


def load_sqlite(engine: sa.Engine, survey_id: int, rows: int) -> None:
    sql = (f"INSERT INTO responses ({', '.join(COLUMNS)}) "
           f"VALUES ({', '.join('?' * len(COLUMNS))})")
    started = time.perf_counter()
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        for name in ("insert", "delete", "update"):  # re-created by fill_rollups
            cursor.execute(f"DROP TRIGGER rollup_responses_{name}")
        batch: list[tuple[object, ...]] = []
        done = 0
        for row in fake_rows(survey_id, rows):
            day = row[14]
            assert isinstance(day, datetime)
            # The text SQLAlchemy's DateTime stores on SQLite (UTC, microseconds).
            batch.append((*row[:14], day.strftime("%Y-%m-%d %H:%M:%S.%f"), row[15]))
            if len(batch) == BATCH:
                cursor.execute("BEGIN")
                cursor.executemany(sql, batch)
                cursor.execute("COMMIT")
                done += len(batch)
                batch.clear()
                progress("loading SQLite", done, rows, started)
        if batch:
            cursor.execute("BEGIN")
            cursor.executemany(sql, batch)
            cursor.execute("COMMIT")
            done += len(batch)
            progress("loading SQLite", done, rows, started)
        cursor.execute("ANALYZE")
    finally:
        raw.close()


def load_postgresql(engine: sa.Engine, survey_id: int, rows: int) -> None:
    started = time.perf_counter()
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        # The rollup trigger is off for this session's load; fill_rollups fills them after.
        cursor.execute("SET session_replication_role = replica")
        done = 0
        with cursor.copy(f"COPY responses ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for row in fake_rows(survey_id, rows):
                copy.write_row(row)
                done += 1
                if done % BATCH == 0 or done == rows:
                    progress("loading PostgreSQL (COPY)", done, rows, started)
        raw.commit()
        # VACUUM sets the visibility map, so index-only scans skip the table.
        raw.driver_connection.autocommit = True
        raw.driver_connection.execute("VACUUM ANALYZE responses")
        raw.driver_connection.autocommit = False
    finally:
        raw.close()


def fill_rollups(survey_id: int) -> None:
    """Re-create SQLite's triggers dropped for the load, then fill the rollups month by month
    (what ``polso db rollup --rebuild`` runs), timed."""
    import importlib.util

    from survey_app.core.db import db
    from survey_app.dashboards import rebuild

    if db.engine.dialect.name == "sqlite":
        path = next((ROOT / "migrations" / "versions").glob("*_a3d5f7b9c1e2_*.py"))
        spec = importlib.util.spec_from_file_location("rollup_migration", path)
        assert spec is not None and spec.loader is not None
        migration = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(migration)
        for statement in migration.sqlite_triggers():
            db.session.execute(sa.text(statement))
        db.session.commit()
    started = time.perf_counter()
    spans = rebuild.months(survey_id)
    for done, (start, end) in enumerate(spans, 1):
        rebuild.rebuild_span(survey_id, start, end)
        db.session.commit()
        sys.stdout.write(f"\r  filling the rollups: month {done}/{len(spans)}, "
                         f"{time.perf_counter() - started:.0f} s")
        sys.stdout.flush()
    print()
    print(f"  rollups filled in {time.perf_counter() - started:.1f} s")
    refresh_statistics(db.engine)


def refresh_statistics(engine: sa.Engine) -> None:
    """Planner statistics (and PostgreSQL's visibility map, for index-only scans)."""
    raw = engine.raw_connection()
    try:
        if engine.dialect.name == "postgresql":
            raw.driver_connection.autocommit = True
            for table in ("responses", "rollup_scores", "rollup_segment_scores",
                          "rollup_combo_scores"):
                raw.driver_connection.execute(f"VACUUM ANALYZE {table}")
            raw.driver_connection.autocommit = False
        else:
            raw.cursor().execute("ANALYZE")
    finally:
        raw.close()


def fresh_database(kind: str, sqlite_path: Path, pg_database: str) -> str:
    if kind == "sqlite":
        sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{sqlite_path}{suffix}").unlink(missing_ok=True)
        return database_url(kind, sqlite_path, pg_database)
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{pg_database}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{pg_database}"'))
    admin.dispose()
    return database_url(kind, sqlite_path, pg_database)


def database_url(kind: str, sqlite_path: Path, pg_database: str) -> str:
    return f"sqlite:///{sqlite_path}" if kind == "sqlite" else f"{PG_SERVER}/{pg_database}"


def timed(action: Callable[[], object]) -> tuple[float, float]:
    """Wall and CPU (this process) seconds of one run of ``action``."""
    wall, cpu = time.perf_counter(), time.process_time()
    action()
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--view", default="", help="only the views whose label contains this")
    parser.add_argument("--sqlite-path", type=Path, default=SQLITE_PATH)
    parser.add_argument("--pg-database", default=PG_DATABASE)
    args = parser.parse_args()
    if not re.fullmatch(r"\w+", args.pg_database):
        parser.error("--pg-database: letters, digits and _ only")
    os.environ.setdefault("POLSO_SECRET_KEY", "bench-only")
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    cases = [(label, view) for label, view in CASES if args.view in label]
    for kind in kinds:
        url = (database_url if args.reuse else fresh_database)(kind, args.sqlite_path,
                                                               args.pg_database)
        run(kind, url, args.rows, args.repeat, args.reuse, cases)


def prepare(url: str, kind: str, rows: int, reuse: bool):  # type: ignore[no-untyped-def]
    """The app on a loaded database, the bench survey's id and the admin's e-mail."""
    import flask_migrate

    from survey_app import create_app
    from survey_app.accounts.models import User
    from survey_app.accounts.services import hash_password
    from survey_app.core.db import db
    from survey_app.dashboards.models import DailyScore
    from survey_app.responses.models import Response
    from survey_app.surveys.models import Survey
    from survey_app.surveys.services import create_survey

    app = create_app({"DATABASE_URL": url, "RATELIMIT_ENABLED": False,
                      "SESSION_COOKIE_SECURE": False})
    with app.app_context():
        survey = None
        print("  migrating")
        flask_migrate.upgrade()
        if reuse:
            survey = db.session.scalar(sa.select(Survey).where(Survey.slug == "bench"))
            loaded = survey and db.session.scalar(
                sa.select(sa.func.count()).where(Response.survey_id == survey.id))
            if loaded != rows:
                sys.exit(f"--reuse: {kind} has {loaded or 0:,} bench responses, not {rows:,}")
            print(f"  reusing {loaded:,} responses")
            survey_id = survey.id
            db.session.commit()
            if not db.session.scalar(sa.select(sa.func.count()).select_from(DailyScore)
                                     .where(DailyScore.survey_id == survey_id)):
                fill_rollups(survey_id)  # an earlier run stopped before filling them
            refresh_statistics(db.engine)  # a migration may have rebuilt an index
        else:
            survey = create_survey(kind="enps", title="Bench eNPS", slug="bench")
            survey_id = survey.id
            db.session.commit()
            # No ORM access until the load is over: a read transaction opened now (e.g. by
            # refreshing ``survey``) could not write after the load's commits on SQLite.
            (load_sqlite if kind == "sqlite" else load_postgresql)(db.engine, survey_id, rows)
            fill_rollups(survey_id)
        if db.session.scalar(sa.select(User.id).where(User.email == ADMIN_EMAIL)) is None:
            db.session.add(User(email=ADMIN_EMAIL, role="admin",
                                password_hash=hash_password("bench-password")))
            db.session.commit()
        return app, survey_id


def sign_in(client) -> None:  # type: ignore[no-untyped-def]
    html = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    response = client.post("/login", data={"email": ADMIN_EMAIL, "password": "bench-password",
                                           "csrf_token": token})
    assert response.status_code == 303, response.status_code


def statements_and_sql_seconds(app, action: Callable[[], object]) -> tuple[int, float]:  # type: ignore[no-untyped-def]
    """How many SQL statements ``action`` runs, and their total time (cursor execute+fetch)."""
    from survey_app.core.db import db

    with app.app_context():
        engine = db.engine
    started: list[float] = []
    spent: list[float] = []

    def before(*_args: object) -> None:
        started.append(time.perf_counter())

    def after(*_args: object) -> None:
        spent.append(time.perf_counter() - started[-1])

    sa.event.listen(engine, "before_cursor_execute", before)
    sa.event.listen(engine, "after_cursor_execute", after)
    try:
        action()
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)
        sa.event.remove(engine, "after_cursor_execute", after)
    return len(spent), sum(spent)


def main_query(app, survey_id: int, args: dict[str, str]) -> Callable[[], object]:  # type: ignore[no-untyped-def]
    """The page's main aggregate, built as the page builds it, to run alone."""
    from survey_app.core.db import db
    from survey_app.dashboards import queries
    from survey_app.dashboards.filters import parse_filters
    from survey_app.surveys.models import Survey

    with app.test_request_context():
        survey = db.session.get(Survey, survey_id)
        filters = parse_filters(args, survey)
        keys = queries.recent_segment_keys(survey)
        buckets = filters.period.buckets(queries.first_response_day(survey))
        query = queries.score_cells_query(survey, filters, buckets,
                                          filters.breakdown or (keys[0] if keys else None))
        db.session.rollback()

    def run() -> None:
        with app.app_context():
            db.session.execute(query).all()
            db.session.rollback()

    return run


CASES = [
    ("default (last 90 days, by week, breakdown by department)", {}),
    ("last 12 months, by month", {"period": "365d"}),
    ("all time (3 years), by month", {"period": "all"}),
    ("segment filter department:Department 20", {"segment": "department:Department 20"}),
    ("breakdown by region, 12 months", {"period": "365d", "breakdown": "region"}),
    ("trend by week, 12 months", {"period": "365d", "trend": "week"}),
    ("trend by month, 12 months", {"period": "365d", "trend": "month"}),
    ("two attributes: Department 20 and north (raw rows)",
     {"segment": ["department:Department 20", "region:north"]}),
]


def run(kind: str, db_url: str, rows: int, repeat: int, reuse: bool,
        cases: list[tuple[str, dict[str, Any]]]) -> None:
    print(f"== {kind}: {rows:,} responses over 3 years, 20 departments x 5 regions "
          f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")
    app, survey_id = prepare(db_url, kind, rows, reuse)
    client = app.test_client()
    sign_in(client)
    print(f"  {'view':<58} {'page':>7} {'stmts':>5} {'all SQL':>7} {'raw query':>9} "
          f"{'ratio':>5}" + (f" {'cpu page':>8}" if kind == "sqlite" else ""))
    for label, args in cases:
        url = f"/surveys/{survey_id}"

        def page(url: str = url, args: dict[str, object] = args) -> None:
            response = client.get(url, query_string=args)
            assert response.status_code == 200, response.status_code

        query = main_query(app, survey_id, args)
        page(), query()  # warm the caches
        # Best of N: the minimum is the run least disturbed by other work on a shared machine.
        runs = [timed(page) for _ in range(repeat)]
        page_s = min(wall for wall, _cpu in runs)
        query_s = min(timed(query)[0] for _ in range(2))
        statements, sql_s = statements_and_sql_seconds(app, page)
        line = (f"  {label:<58} {page_s:>6.3f}s {statements:>5} {sql_s:>6.3f}s "
                f"{query_s:>8.3f}s {page_s / query_s:>5.2f}")
        if kind == "sqlite":  # SQLite runs in this process: its CPU time is the work itself
            line += f" {min(cpu for _wall, cpu in runs):>7.3f}s"
        print(line, flush=True)


if __name__ == "__main__":
    main()
