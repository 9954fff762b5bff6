"""The JSON API against its raw-query floors, in the same run: reading and triggering.

    .venv/bin/python bench/api.py [--db sqlite|postgresql|both] [--rows 100000]
                                  [--invitations 10000] [--repeat 3]

A fresh database by the migrations (SQLite under ``/tmp``; PostgreSQL in its own database
``polso_bench_api``), then:

* **read**: ``--rows`` identified NPS responses of 20,000 customers (a third with a comment,
  segment attributes), bulk-loaded; read through ``GET /api/v1/surveys/bench/responses`` in
  pages of 500 following ``next_cursor`` (Flask test client, an admin token) — against the
  floor: the same rows (responses joined to their people, with the same columns) in one raw
  SQL statement, built into the same JSON objects and encoded with ``json.dumps``. Target:
  the API at most 2× the floor.
* **trigger**: ``--invitations`` new people invited through
  ``POST /api/v1/surveys/bench-trigger/invitations/bulk`` (1,000 per call; the e-mails queued
  on huey's SQLite broker, not sent) — against the floor: the same people and invitation
  rows written with ``executemany`` INSERTs, 1,000 per transaction. Target: ≥ 500
  invitations/s queued.

Figures: best wall seconds of ``--repeat`` interleaved runs (the trigger runs once per
repeat on fresh addresses), rows or invitations per second, and the ratio API / floor.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import random
import secrets
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SQLITE_PATH = Path("/tmp/polso-bench-api.sqlite3")
PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/polso_bench_api"
PEOPLE = 20_000
PAGE = 500
BULK = 1000
COMMENTS = ["Fast delivery, thanks!", "The app keeps crashing on login.",
            "Support answered within minutes.", "Too expensive for what it does."]
PLANS = ["free", "pro", "team", "enterprise"]


def progress(label: str, done: int, total: int) -> None:
    sys.stdout.write(f"\r  {label}: {done:>9,}/{total:,}")
    sys.stdout.flush()
    if done >= total:
        sys.stdout.write("\n")


def fresh_database(kind: str) -> str:
    if kind == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{SQLITE_PATH}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{SQLITE_PATH}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text("DROP DATABASE IF EXISTS polso_bench_api WITH (FORCE)"))
        conn.execute(sa.text("CREATE DATABASE polso_bench_api"))
    admin.dispose()
    return PG_URL


def seed(engine: sa.Engine, survey_id: int, rows: int) -> None:
    """People and identified responses, one ``executemany`` per 10,000 rows."""
    from survey_app.people.models import Person
    from survey_app.responses.models import Response

    rng = random.Random(7)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(sa.insert(Person), [
            {"email": f"customer{i}@example.com", "name": f"Customer {i}", "kind": "customer",
             "locale": "en", "attributes": {"plan": PLANS[i % 4]}, "created_dt": now}
            for i in range(PEOPLE)])
        first = conn.scalar(sa.select(sa.func.min(Person.id)))
    batch: list[dict[str, object]] = []
    for i in range(rows):
        score = rng.randint(0, 10)
        comment = rng.choice(COMMENTS) if rng.random() < 0.33 else None
        when = now - timedelta(days=365) + timedelta(seconds=i * 300)
        batch.append({
            "survey_id": survey_id, "person_id": first + i % PEOPLE,
            "token_digest": hashlib.sha256(f"bench:{i}".encode()).hexdigest(),
            "is_anonymous": False, "score": score,
            "category": "promoter" if score >= 9 else "passive" if score >= 7 else "detractor",
            "comment": comment, "locale": "en",
            "sentiment_polarity": None if comment is None else 0.25,
            "sentiment_label": "unknown" if comment is None else "positive",
            "sentiment_analyzer": "bench", "is_mismatch": False, "is_contact_requested": False,
            "is_suspected_automated": False, "is_after_scanner": False,
            "segment": {"plan": PLANS[i % 4]}, "channel": "email", "submitted_dt": when,
            "updated_dt": when, "version": 1})
        if len(batch) == 10_000 or i == rows - 1:
            with engine.begin() as conn:
                conn.execute(sa.insert(Response), batch)
            batch.clear()
            progress("loading responses", i + 1, rows)


def read_api(client, token: str) -> int:  # type: ignore[no-untyped-def]
    """Every response through the paginated endpoint; the number read."""
    url, count = f"/api/v1/surveys/bench/responses?limit={PAGE}", 0
    headers = {"Authorization": f"Bearer {token}"}
    while url:
        answer = client.get(url, headers=headers)
        if answer.status_code != 200:
            sys.exit(f"read: {answer.status_code} {answer.get_data(as_text=True)[:300]}")
        # Counted, and followed by the Link header: parsing the body is the client's cost.
        count += answer.get_data().count(b'"survey":"bench"')
        link = answer.headers.get("Link")
        url = link[1:link.index(">")].removeprefix("http://localhost") if link else None
    return count


def read_raw(engine: sa.Engine, survey_id: int) -> int:
    """The floor: one SQL statement for the same rows, the same objects, ``json.dumps``."""
    from survey_app.people.models import Person
    from survey_app.responses.models import Response

    query = (sa.select(Response.id, Response.score, Response.category, Response.comment,
                       Response.sentiment_polarity, Response.sentiment_label, Response.segment,
                       Response.channel, Response.locale, Response.invitation_id,
                       Response.wave_id, Response.submitted_dt, Response.updated_dt,
                       Person.id, Person.email, Person.name)
             .outerjoin(Person, Person.id == Response.person_id)
             .where(Response.survey_id == survey_id)
             .order_by(Response.updated_dt, Response.id))
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    data = [{"id": str(r[0]), "survey": "bench", "is_anonymous": False, "score": r[1],
             "category": r[2], "comment": r[3],
             "sentiment": {"polarity": r[4], "label": r[5]}, "answers": [], "segment": r[6],
             "channel": r[7], "locale": r[8],
             "person": {"id": r[13], "email": r[14], "name": r[15]},
             "invitation_id": r[9], "wave_id": r[10], "created_on": r[11].date().isoformat(),
             "created_at": r[11].isoformat(), "updated_at": r[12].isoformat()} for r in rows]
    json.dumps({"data": data, "next_cursor": None}, ensure_ascii=False, separators=(",", ":"))
    return len(data)


def trigger_api(client, token: str, count: int, run: int) -> int:  # type: ignore[no-untyped-def]
    """``count`` new people invited through the bulk endpoint; the number queued."""
    headers = {"Authorization": f"Bearer {token}"}
    queued = 0
    for start in range(0, count, BULK):
        items = [{"person": {"email": f"api{run}-{i}@example.com", "name": f"Person {i}",
                             "attributes": {"plan": PLANS[i % 4]}}}
                 for i in range(start, min(start + BULK, count))]
        answer = client.post("/api/v1/surveys/bench-trigger/invitations/bulk", headers=headers,
                             json={"invitations": items})
        if answer.status_code != 200:
            sys.exit(f"trigger: {answer.status_code} {answer.get_data(as_text=True)[:300]}")
        body = answer.get_json()
        queued += body["sent"] + body["scheduled"]
    return queued


def trigger_raw(engine: sa.Engine, survey_id: int, count: int, run: int) -> int:
    """The floor: the same people and invitation rows, ``executemany`` per 1,000."""
    from survey_app.invitations.models import Invitation
    from survey_app.people.models import Person

    now = datetime.now(UTC)
    for start in range(0, count, BULK):
        numbers = range(start, min(start + BULK, count))
        with engine.begin() as conn:
            ids = conn.execute(sa.insert(Person).returning(Person.id), [
                {"email": f"raw{run}-{i}@example.com", "name": f"Person {i}",
                 "kind": "customer", "locale": "en", "attributes": {"plan": PLANS[i % 4]},
                 "created_dt": now} for i in numbers]).scalars().all()
            conn.execute(sa.insert(Invitation), [
                {"survey_id": survey_id, "person_id": person_id, "status": "queued",
                 "token_hash": secrets.token_hex(32), "token_salt": secrets.token_hex(16),
                 "created_dt": now, "expires_dt": now + timedelta(days=30),
                 "reminder_count": 0} for person_id in ids])
    return count


def best(runs: list[float]) -> float:
    return min(runs)


def timed(action: Callable[[], int]) -> tuple[float, int]:
    started = time.perf_counter()
    done = action()
    return time.perf_counter() - started, done


def run(kind: str, rows: int, invitations: int, repeat: int) -> None:
    import flask_migrate

    from survey_app import create_app
    from survey_app.accounts.api_tokens import create_token
    from survey_app.core.db import db
    from survey_app.surveys.services import create_survey

    print(f"{kind}:")
    url = fresh_database(kind)
    jobs = Path(tempfile.mkdtemp(prefix="polso-bench-api-")) / "jobs.sqlite3"
    app = create_app({"DATABASE_URL": url, "RATELIMIT_ENABLED": False,
                      "JOBS_URL": f"sqlite:///{jobs}"})
    for name in ("survey_app", app.logger.name):  # a log line per request would be measured
        logging.getLogger(name).setLevel(logging.WARNING)
    with app.app_context():
        print("  migrating")
        flask_migrate.upgrade()
        survey = create_survey(kind="nps", title="Bench NPS", slug="bench")
        target = create_survey(kind="nps", title="Bench trigger", slug="bench-trigger")
        target.throttle_days = 0
        _, token = create_token("bench", "admin")
        db.session.commit()
        survey_id, target_id = survey.id, target.id
        engine = db.engine
        seed(engine, survey_id, rows)
    client = app.test_client()
    reads: dict[str, list[float]] = {"api": [], "raw": []}
    triggers: dict[str, list[float]] = {"api": [], "raw": []}
    for attempt in range(repeat):
        seconds, read = timed(lambda: read_api(client, token))
        reads["api"].append(seconds)
        assert read == rows, (read, rows)
        seconds, read = timed(lambda: read_raw(engine, survey_id))
        reads["raw"].append(seconds)
        seconds, done = timed(lambda n=attempt: trigger_api(client, token, invitations, n))
        triggers["api"].append(seconds)
        assert done == invitations, (done, invitations)
        seconds, _ = timed(lambda n=attempt: trigger_raw(engine, target_id, invitations, n))
        triggers["raw"].append(seconds)
        print(f"  run {attempt + 1}/{repeat}: read api {reads['api'][-1]:.2f} s, raw "
              f"{reads['raw'][-1]:.2f} s; trigger api {triggers['api'][-1]:.2f} s, raw "
              f"{triggers['raw'][-1]:.2f} s")
    api, raw = best(reads["api"]), best(reads["raw"])
    print(f"  read {rows:,} responses, pages of {PAGE}: API {api:.2f} s "
          f"({rows / api:,.0f} rows/s), raw SQL + JSON {raw:.2f} s ({rows / raw:,.0f} rows/s), "
          f"ratio {api / raw:.2f}× (target ≤ 2×)")
    api, raw = best(triggers["api"]), best(triggers["raw"])
    print(f"  trigger {invitations:,} invitations, {BULK:,} per call: API {api:.2f} s "
          f"({invitations / api:,.0f}/s queued; target ≥ 500/s), raw INSERTs {raw:.2f} s "
          f"({invitations / raw:,.0f}/s), ratio {api / raw:.2f}×")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--invitations", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if args.rows < 1 or args.invitations < 1 or args.repeat < 1:
        parser.error("--rows, --invitations and --repeat must be at least 1")
    os.environ.setdefault("POLSO_SECRET_KEY", "bench-only")
    for kind in ["sqlite", "postgresql"] if args.db == "both" else [args.db]:
        run(kind, args.rows, args.invitations, args.repeat)


if __name__ == "__main__":
    main()
