"""Retention page, its service and its raw queries on 1,000,000 activity rows; the CSV import.

    .venv/bin/python bench/retention.py [--db sqlite|postgresql|both] [--customers 100000]
                                        [--rows 1000000] [--import-rows 100000] [--repeat 3]

Builds a fresh database by the migrations (SQLite under ``/tmp``; PostgreSQL in its own
database ``polso_bench_retention``, or ``POLSO_BENCH_PG_URL``), bulk-loads ``--customers``
customers (plans as segment attributes), ``--rows`` activity rows over the last two years
(orders every one to three months, one customer in eight cancelling) and an identified NPS
answer for a third of the customers, then prints, best of ``--repeat`` interleaved warm runs:

* ``page``: ``GET /retention`` through the Flask test client, signed in as an admin;
* ``service``: :func:`survey_app.retention.services.report` alone (what the page and the
  command use);
* ``raw``: the very SQL statements the service runs, replayed on the driver's cursor — the
  baseline: page / raw and service / raw are what the Python around the SQL costs (target
  ≤ 1.5); ``(CPU)`` is the page's CPU time in this process (on SQLite, queries included);

for the default period (the last twelve months), a segment (``plan=pro``) and two years.
Then it imports ``--import-rows`` new rows from a CSV file with
:func:`survey_app.retention.importer.import_activity` (committing per batch, as the command
does), and again (everything unchanged). ``--reuse`` keeps the database of an earlier run
(its imported rows are deleted first). Rows are loaded behind the app's back, so the activity
summary is rebuilt as ``polso activity summarize`` does (its time is printed).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import re
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

#: Where the databases go (``POLSO_BENCH_NAME`` keeps two runs on one machine apart).
NAME = os.environ.get("POLSO_BENCH_NAME", "polso_bench_retention")
SQLITE_PATH = Path(f"/tmp/{NAME.replace('_', '-')}.sqlite3")
PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PG_URL = os.environ.get("POLSO_BENCH_PG_URL",
                        "postgresql+psycopg://postgres@127.0.0.1:5432/polso_bench_retention")
PLANS = ["free", "pro", "pro", "enterprise"]
ADMIN_EMAIL = "bench.admin@example.com"
BATCH = 20_000


def progress(label: str, done: int, total: int, started: float) -> None:
    rate = done / max(time.perf_counter() - started, 1e-9)
    sys.stdout.write(f"\r  {label}: {done:>9,}/{total:,}  ({rate:,.0f} rows/s)")
    sys.stdout.flush()
    if done >= total:
        sys.stdout.write("\n")


def people_rows(customers: int, now: datetime) -> Iterator[tuple[object, ...]]:
    rng = random.Random(1)
    for i in range(customers):
        attributes = json.dumps({"plan": rng.choice(PLANS), "country": rng.choice("IT DE FR")})
        yield (f"customer{i}@example.com", f"Customer {i}", "customer", "en", attributes, now)


def activity_rows(person_ids: list[int], rows: int, today: date,
                  now: datetime) -> Iterator[tuple[object, ...]]:
    """About ``rows`` orders and cancellations over two years, per customer in date order."""
    rng = random.Random(2)
    per_customer = rows / len(person_ids)
    made = 0
    for n, person_id in enumerate(person_ids):
        want = round(per_customer * (n + 1)) - made
        day = today - timedelta(days=rng.randint(300, 730))
        gap = max(1, (today - day).days // max(want, 1))
        cancels = rng.random() < 0.125
        for k in range(want):
            last = k == want - 1
            kind = "cancellation" if cancels and last else "renewal" if k else "purchase"
            amount = None if kind == "cancellation" else Decimal(rng.randint(900, 9900)) / 100
            yield (person_id, min(day, today), kind, amount, None if amount is None else "EUR",
                   f"bench-{person_id}-{k}", now)
            day += timedelta(days=rng.randint(max(1, gap // 2), gap + gap // 2))
        made += want


def response_rows(survey_id: int, person_ids: list[int], now: datetime
                  ) -> Iterator[tuple[object, ...]]:
    rng = random.Random(3)
    for person_id in person_ids[::3]:
        score = min(10, max(0, round(rng.gauss(7.5, 2.3))))
        category = "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"
        when = now - timedelta(days=rng.randint(1, 700), hours=rng.randint(0, 23))
        yield (survey_id, f"bench-{person_id:064d}"[-64:], False, score, category, "en",
               "unknown", "none", False, False, "{}", "email", when, 1, person_id)


TABLES = {
    "people": ["email", "name", "kind", "locale", "attributes", "created_dt"],
    "activities": ["person_id", "occurred_on", "kind", "amount", "currency", "external_id",
                   "created_dt"],
    "responses": ["survey_id", "token_digest", "is_anonymous", "score", "category", "locale",
                  "sentiment_label", "sentiment_analyzer", "is_mismatch",
                  "is_contact_requested", "segment", "channel", "submitted_dt", "version",
                  "person_id"],
}


def _sqlite_value(value: object) -> object:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def load(engine: sa.Engine, table: str, rows: Iterator[tuple[object, ...]], total: int) -> None:
    columns = TABLES[table]
    started, done = time.perf_counter(), 0
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        if engine.dialect.name == "postgresql":
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    done += 1
                    if done % BATCH == 0:
                        progress(f"loading {table}", done, total, started)
            raw.commit()
        else:
            sql = (f"INSERT INTO {table} ({', '.join(columns)}) "
                   f"VALUES ({', '.join('?' * len(columns))})")
            batch: list[tuple[object, ...]] = []
            for row in rows:
                batch.append(tuple(_sqlite_value(v) for v in row))
                if len(batch) == BATCH:
                    cursor.executemany(sql, batch)
                    raw.commit()
                    done += len(batch)
                    batch.clear()
                    progress(f"loading {table}", done, total, started)
            cursor.executemany(sql, batch)
            raw.commit()
            done += len(batch)
        progress(f"loading {table}", done, done, started)
    finally:
        raw.close()


def analyze(engine: sa.Engine) -> None:
    raw = engine.raw_connection()
    try:
        if engine.dialect.name == "postgresql":
            # Back to transactions before the pool hands the connection out again: a server-side
            # cursor (``yield_per``, the command) cannot run in autocommit mode.
            raw.driver_connection.autocommit = True
            try:
                raw.driver_connection.execute("VACUUM ANALYZE")
            finally:
                raw.driver_connection.autocommit = False
        else:
            raw.cursor().execute("ANALYZE")
    finally:
        raw.close()


def fresh_database(kind: str) -> str:
    if kind == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{SQLITE_PATH}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{SQLITE_PATH}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        name = sa.engine.make_url(PG_URL).database
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return PG_URL


def prepare(kind: str, customers: int, rows: int, reuse: bool):  # type: ignore[no-untyped-def]
    import flask_migrate

    from survey_app import create_app
    from survey_app.accounts.models import User
    from survey_app.accounts.services import hash_password
    from survey_app.core.db import db
    from survey_app.people.models import Person
    from survey_app.surveys.services import create_survey

    url = (f"sqlite:///{SQLITE_PATH}" if kind == "sqlite" else PG_URL) if reuse \
        else fresh_database(kind)
    app = create_app({"DATABASE_URL": url, "RATELIMIT_ENABLED": False,
                      "SESSION_COOKIE_SECURE": False})
    now = datetime.now(UTC)
    with app.app_context():
        flask_migrate.upgrade()
        if reuse:
            from survey_app.retention.models import Activity

            loaded = db.session.scalar(sa.select(sa.func.count()).select_from(Activity))
            if loaded < rows:
                sys.exit(f"--reuse: {kind} has {loaded:,} activity rows, not {rows:,}")
            db.session.execute(sa.delete(Activity).where(Activity.external_id.like("import-%")))
            summarize()
            analyze(db.engine)  # as a fresh load does: the summary tables were just rewritten
            print(f"  reusing {loaded:,} activity rows")
            return app
        survey_id = create_survey(kind="nps", title="Bench NPS", slug="bench").id
        db.session.add(User(email=ADMIN_EMAIL, role="admin",
                            password_hash=hash_password("bench-password")))
        db.session.commit()
        load(db.engine, "people", people_rows(customers, now), customers)
        person_ids = list(db.session.scalars(sa.select(Person.id).order_by(Person.id)))
        db.session.commit()
        load(db.engine, "activities", activity_rows(person_ids, rows, now.date(), now), rows)
        load(db.engine, "responses", response_rows(survey_id, person_ids, now),
             len(person_ids[::3]))
        summarize()
        analyze(db.engine)
    return app


def summarize() -> None:
    """Rows loaded behind the app's back: rebuild the summary as ``polso activity summarize``."""
    from survey_app.core.db import db
    from survey_app.retention import summaries

    started = time.perf_counter()
    customers = summaries.rebuild()
    db.session.commit()
    print(f"  summarizing: {customers:,} customers in {time.perf_counter() - started:.1f} s")


def sign_in(client) -> None:  # type: ignore[no-untyped-def]
    html = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    response = client.post("/login", data={"email": ADMIN_EMAIL, "password": "bench-password",
                                           "csrf_token": token})
    assert response.status_code == 303, response.status_code


def captured_statements(app, action: Callable[[], object]) -> list[tuple[str, object]]:  # type: ignore[no-untyped-def]
    """The SQL statements (with their parameters) that ``action`` runs."""
    from survey_app.core.db import db

    with app.app_context():
        engine = db.engine
    seen: list[tuple[str, object]] = []

    def before(_conn, _cursor, statement, parameters, _context, _many) -> None:  # type: ignore[no-untyped-def]
        seen.append((statement, parameters))

    sa.event.listen(engine, "before_cursor_execute", before)
    try:
        action()
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)
    return seen


def replay(app, statements: list[tuple[str, object]]) -> None:  # type: ignore[no-untyped-def]
    """Run ``statements`` on the driver's cursor, fetching every row (settings give none)."""
    from survey_app.core.db import db

    with app.app_context():
        connection = db.engine.raw_connection()
        try:
            cursor = connection.cursor()
            for statement, parameters in statements:
                cursor.execute(statement, parameters)
                if cursor.description is not None:
                    cursor.fetchall()
            connection.rollback()
        finally:
            connection.close()


def timed(action: Callable[[], object]) -> tuple[float, float]:
    """Wall-clock and CPU seconds of this process (on SQLite that includes the queries: the
    figure a busy machine inflates least)."""
    started, cpu = time.perf_counter(), time.process_time()
    action()
    return time.perf_counter() - started, time.process_time() - cpu


HEADER = (f"{'page':>7} {'(CPU)':>7} {'service':>8} {'raw SQL':>8} {'page/raw':>8} "
          f"{'svc/raw':>7} {'stmts':>5}")


def compare(label: str, page: Callable[[], object], service: Callable[[], object],
            raw: Callable[[], object], repeat: int, statements: int) -> None:
    """One row: best of ``repeat`` interleaved warm runs of the page, the service and their
    raw SQL, and the ratios to the raw SQL."""
    page(), service(), raw()  # warm the caches
    runs = [(timed(page), timed(service), timed(raw)) for _ in range(repeat)]
    (page_s, page_cpu), (service_s, _cpu), (raw_s, _cpu) = (min(r[i] for r in runs)
                                                           for i in range(3))
    print(f"  {label:<36} {page_s:>6.3f}s {page_cpu:>6.3f}s {service_s:>7.3f}s {raw_s:>7.3f}s "
          f"{page_s / raw_s:>8.2f} {service_s / raw_s:>7.2f} {statements:>5}")


def run(kind: str, customers: int, rows: int, import_rows: int, repeat: int,
        reuse: bool) -> None:
    from survey_app.core.db import db
    from survey_app.retention import services

    print(f"== {kind}: {customers:,} customers, {rows:,} activity rows over 2 years "
          f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")
    app = prepare(kind, customers, rows, reuse)
    client = app.test_client()
    sign_in(client)
    today = datetime.now(UTC).date()
    year_ago = date(today.year - 1, today.month, 1) + timedelta(days=31)
    year_ago = year_ago.replace(day=1)
    cases = [("last 12 months (the default)", year_ago, today, None),
             ("last 12 months, segment plan=pro", year_ago, today, ("plan", "pro")),
             ("two years", today - timedelta(days=729), today, None)]
    print(f"  {'period':<36} {HEADER}")
    for label, start, end, segment in cases:
        args = {"from": start.isoformat(), "to": end.isoformat(),
                "segment": "=".join(segment) if segment else ""}

        def page(args: dict[str, str] = args) -> None:
            response = client.get("/retention", query_string=args)
            assert response.status_code == 200, response.status_code

        def service(start: date = start, end: date = end, segment=segment) -> None:  # type: ignore[no-untyped-def]
            with app.app_context():
                services.report(services.scope(start, end, segment))
                db.session.rollback()

        statements = captured_statements(app, service)

        def raw(statements: list[tuple[str, object]] = statements) -> None:
            replay(app, statements)

        compare(label, page, service, raw, repeat, len(statements))
    bench_health(app, client, repeat)
    bench_import(app, import_rows, customers)


def bench_health(app, client, repeat: int) -> None:  # type: ignore[no-untyped-def]
    """The health light (docs/retention.md): the people list with its counts per light, the
    list filtered to red customers, and every customer's light as ``polso people health``
    computes it — page, service and raw SQL as above."""
    from survey_app.core.db import db
    from survey_app.people import queries
    from survey_app.retention import health

    def list_service(light: str) -> None:
        with app.app_context():
            only = health.people_with_light(light) if light else None
            people, _total = queries.list_people(queries.PeopleFilter(
                allowed_kinds=("customer",) if light else ("customer", "employee"), only=only))
            health.health_of(p.id for p in people)
            health.light_counts()
            db.session.rollback()

    def everyone() -> None:
        with app.app_context():
            sum(1 for _ in health.all_health())
            db.session.rollback()

    print(f"  {'health light':<36} {HEADER}")
    for label, light in (("people list with counts", ""), ("filtered to red", "red"),
                         ("every customer (the command)", None)):
        if light is None:
            page, service = everyone, everyone
        else:
            def page(light: str = light) -> None:
                response = client.get("/people", query_string={"light": light})
                assert response.status_code == 200, response.status_code

            def service(light: str = light) -> None:
                list_service(light)
        statements = captured_statements(app, service)

        def raw(statements: list[tuple[str, object]] = statements) -> None:
            replay(app, statements)

        compare(label, page, service, raw, repeat, len(statements))


def bench_import(app, rows: int, customers: int) -> None:  # type: ignore[no-untyped-def]
    from survey_app.core.db import db
    from survey_app.retention.importer import import_activity

    lines = io.StringIO()
    lines.write("email,date,kind,amount,currency,external_id\n")
    rng = random.Random(4)
    today = datetime.now(UTC).date()
    for i in range(rows):
        lines.write(f"customer{rng.randrange(customers)}@example.com,"
                    f"{today - timedelta(days=rng.randint(0, 700))},purchase,"
                    f"{rng.randint(100, 9999) / 100:.2f},EUR,import-{i}\n")
    text = lines.getvalue().splitlines(keepends=True)
    for label in ("import (new rows)", "import again (unchanged)"):
        with app.app_context():
            started = time.perf_counter()
            result = import_activity(text, on_batch=lambda _rows: db.session.commit())
            db.session.commit()
            elapsed = time.perf_counter() - started
        print(f"  {label:<36} {rows:,} rows in {elapsed:.1f} s ({rows / elapsed:,.0f} rows/s): "
              f"{result.created:,} new, {result.unchanged:,} unchanged, "
              f"{len(result.errors)} refused")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--import-rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--reuse", action="store_true",
                        help="keep the database a previous run loaded")
    args = parser.parse_args()
    os.environ.setdefault("POLSO_SECRET_KEY", "bench-only")
    for kind in ["sqlite", "postgresql"] if args.db == "both" else [args.db]:
        run(kind, args.customers, args.rows, args.import_rows, args.repeat, args.reuse)


if __name__ == "__main__":
    main()
