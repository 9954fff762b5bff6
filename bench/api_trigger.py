"""Trigger 10,000 invitations through ``POST /api/v1/surveys/{slug}/invitations/bulk`` and
compare with the raw-query floor of the same rows; print invitations/s.

    .venv/bin/python bench/api_trigger.py [--count 10000] [--batch 1000] [--database-url URL]

A fresh SQLite database by default (``--database-url`` for PostgreSQL; its ``public`` schema is
rebuilt). The API is called in-process (Flask's test client: JSON parsing, validation, token,
rate limit, idempotency key, people upsert, the wave's skip query, the inserts, the audit row,
the commit, and the e-mails handed to huey's SQLite broker — queued, not sent). The floor
inserts the same people, invitations and e-mail rows with plain ``executemany`` statements, one
transaction per batch. Target: ≥ 500 invitations/s queued.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import secrets
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import flask_migrate  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from survey_app import create_app  # noqa: E402
from survey_app.accounts.api_tokens import create_token  # noqa: E402
from survey_app.core.db import db, utcnow  # noqa: E402
from survey_app.surveys.services import create_survey  # noqa: E402

TEAMS = ("Support", "Sales", "Billing", "Ops")


def _items(prefix: str, start: int, count: int) -> list[dict]:
    return [{"person": {"email": f"{prefix}{i}@bench.example", "name": f"Person {i}",
                        "attributes": {"team": TEAMS[i % len(TEAMS)]}}}
            for i in range(start, start + count)]


def _through_api(app, slug: str, secret: str, count: int, batch: int) -> float:  # type: ignore[no-untyped-def]
    client = app.test_client()
    headers = {"Authorization": f"Bearer {secret}"}
    started = time.perf_counter()
    for start in range(0, count, batch):
        body = json.dumps({"invitations": _items("api", start, min(batch, count - start))})
        response = client.post(f"/api/v1/surveys/{slug}/invitations/bulk", data=body,
                               content_type="application/json",
                               headers={**headers, "Idempotency-Key": f"bench-{start}"})
        result = response.get_json()
        if response.status_code != 200 or result["sent"] != min(batch, count - start):
            raise SystemExit(f"bulk request failed: {response.status_code} {result}")
    return time.perf_counter() - started


def _floor(app, survey_id: int, count: int, batch: int) -> float:  # type: ignore[no-untyped-def]
    """The same rows with plain executemany INSERTs, one transaction per batch."""
    now = utcnow()
    expires = now.replace(year=now.year + 1)
    with app.app_context():
        connection = db.engine.raw_connection()
        is_pg = db.engine.dialect.name == "postgresql"
        mark = "%s" if is_pg else "?"
        cursor = connection.cursor()
        started = time.perf_counter()
        for start in range(0, count, batch):
            items = _items("raw", start, min(batch, count - start))
            cursor.executemany(
                f"INSERT INTO people (email, name, kind, locale, attributes, created_dt) "
                f"VALUES ({', '.join([mark] * 6)})",
                [(i["person"]["email"], i["person"]["name"], "customer", "en",
                  json.dumps(i["person"]["attributes"]), now) for i in items])
            cursor.execute(f"SELECT id FROM people WHERE email LIKE {mark} ORDER BY id DESC "
                           f"LIMIT {len(items)}", ("raw%",))
            ids = [row[0] for row in cursor.fetchall()]
            rows = []
            for person_id in ids:
                salt = secrets.token_hex(16)
                digest = hashlib.sha256(b"invitation:" + salt.encode()).hexdigest()
                rows.append((survey_id, person_id, digest, salt, "queued", now, expires, now, 0))
            cursor.executemany(
                f"INSERT INTO invitations (survey_id, person_id, token_hash, token_salt, status, "
                f"created_dt, expires_dt, last_mailed_dt, reminder_count) "
                f"VALUES ({', '.join([mark] * 9)})", rows)
            cursor.execute(f"SELECT id FROM invitations WHERE survey_id = {mark} "
                           f"ORDER BY id DESC LIMIT {len(items)}", (survey_id,))
            invitation_ids = [row[0] for row in cursor.fetchall()]
            cursor.executemany(
                f"INSERT INTO invitation_emails (invitation_id, sequence, status, attempts, "
                f"next_attempt_dt, created_dt, interrupted_sends) "
                f"VALUES ({', '.join([mark] * 7)})",
                [(i, 0, "queued", 0, now, now, 0) for i in invitation_ids])
            connection.commit()
        elapsed = time.perf_counter() - started
        connection.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    if not 1 <= args.batch <= 1000:
        parser.error("--batch must be 1 to 1000 (the bulk endpoint's limit)")
    folder = Path(tempfile.mkdtemp(prefix="polso-bench-api-"))
    url = args.database_url or f"sqlite:///{folder / 'bench.sqlite3'}"
    if url.startswith("postgresql"):
        engine = sa.create_engine(url)
        with engine.begin() as connection:
            connection.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        engine.dispose()
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "TESTING": True,
                      "JOBS_URL": f"sqlite:///{folder / 'jobs.sqlite3'}",
                      "API_RATELIMIT": "100000/minute", "LOG_FORMAT": "text"})
    app.logger.setLevel("WARNING")
    import logging

    logging.getLogger("survey_app").setLevel(logging.WARNING)
    with app.app_context():
        flask_migrate.upgrade()
        api_survey = create_survey(kind="nps", title="Bench API", slug="bench-api")
        raw_survey = create_survey(kind="nps", title="Bench raw", slug="bench-raw")
        api_survey.throttle_days = raw_survey.throttle_days = 0
        _, secret = create_token("bench", "admin")
        db.session.commit()
        raw_id = raw_survey.id
    print(f"database: {url.split('://')[0]}; {args.count} invitations in requests of "
          f"{args.batch}", flush=True)
    api_seconds = _through_api(app, "bench-api", secret, args.count, args.batch)
    floor_seconds = _floor(app, raw_id, args.count, args.batch)
    print(f"API bulk trigger: {args.count / api_seconds:8.0f} invitations/s "
          f"({api_seconds:.2f} s)")
    print(f"raw-query floor : {args.count / floor_seconds:8.0f} invitations/s "
          f"({floor_seconds:.2f} s)")
    print(f"API / floor     : {api_seconds / floor_seconds:8.1f}× the floor's time "
          f"(target: ≥ 500 invitations/s through the API)")


if __name__ == "__main__":
    main()
