"""The follow-up queue page on 100,000 cases, SQLite and PostgreSQL.

    .venv/bin/python bench/followups.py [--db sqlite|postgresql|both] [--cases 100000]
                                        [--open-share 0.1] [--repeat 7]

Builds a fresh database by the migrations (SQLite ``/tmp/polso-bench-followups.sqlite3``;
PostgreSQL in its own database ``polso_bench_followups``), bulk-loads ``--cases`` support cases
spread over the last year (each with its customer and detractor response, plus half as many
happy answers so "recovered detractors" has something to find), ``--open-share`` of them still
open, and times — signed in as a support agent through the Flask test client — the queue page
with each filter, a deep page, a case page, and, on their own, the metrics, the per-status
counts and one claim-next (rolled back). Figures are the median and best of ``--repeat`` warm
runs, in milliseconds. ``--open-share 1`` is the worst case: a backlog of 100,000 open cases.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import re
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SQLITE_PATH = Path("/tmp/polso-bench-followups.sqlite3")
PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/polso_bench_followups"
AGENT_EMAIL = "bench.agent@example.com"
PASSWORD = "bench-password"
BATCH = 10_000
COMMENTS = ["Terrible support, nobody answered my emails for a week.",
            "The refund took forever and the staff was rude.", "Too expensive for what it does.",
            "Pessimo servizio, nessuno ha risposto alle mie email.", None, None]
OUTCOMES = ["fixed", "refunded", "explained", "not_reachable", "other"]


def fresh_database(kind: str) -> str:
    if kind == "sqlite":
        for suffix in ("", "-wal", "-shm", ".writelock"):
            Path(f"{SQLITE_PATH}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{SQLITE_PATH}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text("DROP DATABASE IF EXISTS polso_bench_followups WITH (FORCE)"))
        conn.execute(sa.text("CREATE DATABASE polso_bench_followups"))
    admin.dispose()
    return PG_URL


def insert(conn: sa.Connection, table: sa.Table, rows: list[dict], label: str) -> None:
    started = time.perf_counter()
    for i in range(0, len(rows), BATCH):
        conn.execute(table.insert(), rows[i:i + BATCH])
        done = min(i + BATCH, len(rows))
        rate = done / max(time.perf_counter() - started, 1e-9)
        sys.stdout.write(f"\r  loading {label}: {done:>9,}/{len(rows):,} ({rate:,.0f} rows/s)")
        sys.stdout.flush()
    sys.stdout.write("\n")


def load(engine: sa.Engine, cases: int, open_share: float, agent_ids: list[int],
         survey_ids: list[int], seed: int = 7) -> None:
    """People, responses and cases with realistic statuses, times and assignees."""
    from survey_app.core.db import db

    rng = random.Random(seed)
    tables = db.metadata.tables
    now = datetime.now(UTC)
    people_count = max(cases * 2 // 5, 1)
    people = [{"email": f"customer{i}@example.com", "name": f"Customer {i}", "kind": "customer",
               "locale": "it" if i % 3 == 0 else "en",
               "attributes": {"plan": rng.choice(["free", "pro", "enterprise"]),
                              "region": rng.choice(["north", "south"])},
               "created_dt": now - timedelta(days=400)} for i in range(1, people_count + 1)]
    responses, followups = [], []
    sla = {"red": 24, "yellow": 72, "green": 120}
    for i in range(1, cases + 1):
        person_id = rng.randint(1, people_count)
        created = now - timedelta(seconds=rng.randint(0, 365 * 86400))
        score = rng.choice([0, 1, 2, 3, 4, 5, 6, 6, 5])
        comment = rng.choice(COMMENTS)
        priority = ("red" if score <= 3 or (comment and rng.random() < 0.6)
                    else rng.choice(["yellow"] * 9 + ["green"]))
        responses.append(_response(i, survey_ids, person_id, people, score, comment, created))
        status = _status(rng, created, now, open_share)
        assigned = status != "new" or rng.random() < 0.1
        first = created + timedelta(minutes=rng.randint(5, 48 * 60)) if assigned else None
        ended = (created + timedelta(hours=rng.uniform(1, 150))
                 if status in ("resolved", "closed") else None)
        followups.append({
            "response_id": i, "person_id": person_id, "team": "support", "reason": "detractor",
            "priority": priority, "priority_rank": {"red": 0, "yellow": 1, "green": 2}[priority],
            "status": status, "assignee_id": rng.choice(agent_ids) if assigned else None,
            "outcome": rng.choice(OUTCOMES) if status == "resolved" else None,
            "created_dt": created, "due_dt": created + timedelta(hours=sla[priority]),
            "first_action_dt": first, "ended_dt": ended, "sla_warned_dt": None})
    for j in range(cases + 1, cases + cases // 2 + 1):  # happy answers, no case
        created = now - timedelta(seconds=rng.randint(0, 365 * 86400))
        responses.append(_response(j, survey_ids, rng.randint(1, people_count), people,
                                   rng.choice([7, 8, 9, 10]), None, created))
    with engine.begin() as conn:
        insert(conn, tables["people"], people, "people")
        insert(conn, tables["responses"], responses, "responses")
        insert(conn, tables["followups"], followups, "cases")
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(
                sa.text("VACUUM ANALYZE"))
        else:
            conn.execute(sa.text("ANALYZE"))
            conn.commit()


def _response(i: int, survey_ids: list[int], person_id: int, people: list[dict], score: int,
              comment: str | None, created: datetime) -> dict:
    category = "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"
    label = "unknown" if comment is None else "negative"
    return {"survey_id": survey_ids[i % len(survey_ids)], "person_id": person_id,
            "token_digest": hashlib.sha256(f"bench-fu:{i}".encode()).hexdigest(),
            "is_anonymous": False, "score": score, "category": category, "comment": comment,
            "locale": people[person_id - 1]["locale"],
            "sentiment_polarity": None if comment is None else -0.6, "sentiment_label": label,
            "sentiment_analyzer": "bench", "is_mismatch": False, "is_contact_requested": False,
            "is_suspected_automated": False, "segment": people[person_id - 1]["attributes"],
            "channel": "email", "submitted_dt": created, "version": 1}


def _status(rng: random.Random, created: datetime, now: datetime, open_share: float) -> str:
    if rng.random() < open_share:
        return rng.choice(["new", "new", "in_progress", "waiting"])
    return "resolved" if rng.random() < 0.88 else "closed"


def prepare(kind: str, cases: int, open_share: float):  # type: ignore[no-untyped-def]
    import flask_migrate

    from survey_app import create_app
    from survey_app.accounts.models import User
    from survey_app.accounts.services import hash_password
    from survey_app.core.db import db
    from survey_app.surveys.services import create_survey

    url = fresh_database(kind)
    app = create_app({"DATABASE_URL": url, "RATELIMIT_ENABLED": False,
                      "SESSION_COOKIE_SECURE": False, "JOBS_IMMEDIATE": True})
    with app.app_context():
        print("  migrating")
        flask_migrate.upgrade()
        password_hash = hash_password(PASSWORD)
        agents = [User(email=AGENT_EMAIL if n == 0 else f"agent{n}@example.com",
                       role="support", password_hash=password_hash, name=f"Agent {n}")
                  for n in range(5)]
        db.session.add_all(agents)
        surveys = [create_survey(kind="nps", title=f"Bench NPS {n}", slug=f"bench-{n}")
                   for n in range(5)]
        db.session.commit()
        agent_ids, survey_ids = [a.id for a in agents], [s.id for s in surveys]
        load(db.engine, cases, open_share, agent_ids, survey_ids)
    return app, agent_ids[0], survey_ids[0]


def sign_in(client) -> None:  # type: ignore[no-untyped-def]
    html = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    response = client.post("/login", data={"email": AGENT_EMAIL, "password": PASSWORD,
                                           "csrf_token": token})
    assert response.status_code == 303, response.status_code


def timed(action: Callable[[], object], repeat: int) -> tuple[float, float]:
    """(median, best) milliseconds of ``repeat`` warm runs."""
    action()
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        runs.append((time.perf_counter() - started) * 1000)
    return statistics.median(runs), min(runs)


def run(kind: str, cases: int, open_share: float, repeat: int) -> None:
    from survey_app.accounts.models import User
    from survey_app.core.db import db, utcnow
    from survey_app.followups import metrics, queries, services
    from survey_app.followups.models import FollowUp

    print(f"\n== {kind}: {cases:,} cases, {open_share:.0%} open ==")
    started = time.perf_counter()
    app, agent_id, survey_id = prepare(kind, cases, open_share)
    print(f"  loaded in {time.perf_counter() - started:.1f} s")
    client = app.test_client()
    sign_in(client)
    with app.app_context():
        open_count = db.session.scalar(sa.select(sa.func.count()).where(
            FollowUp.status.in_(services.OPEN_STATUSES)))
        some_case = db.session.scalar(sa.select(FollowUp.id).where(
            FollowUp.status == "in_progress").limit(1)) or 1
    deep_page = max(1, min(100, open_count // 50))
    pages = {
        "queue (open, default)": "/followups",
        "status=all": "/followups?status=all",
        "overdue only": "/followups?overdue=y",
        "red, unassigned": "/followups?priority=red&assignee=none",
        "assignee=me": "/followups?assignee=me",
        "one survey": f"/followups?survey={survey_id}",
        "segment plan=pro": "/followups?segment=plan%3Dpro",
        f"page {deep_page}": f"/followups?page={deep_page}",
        "case page": f"/followups/{some_case}",
    }
    print(f"  {open_count:,} open cases")
    print(f"  {'what':<26}{'median ms':>11}{'best ms':>10}")
    for label, url in pages.items():
        def get(url: str = url) -> None:
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
        median, best = timed(get, repeat)
        print(f"  {label:<26}{median:>11.1f}{best:>10.1f}")

    with app.app_context():
        agent = db.session.get(User, agent_id)
        now = utcnow()

        def claim() -> None:
            assert services.claim_next(agent) is not None
            db.session.rollback()

        for label, action in (
                ("metrics alone", lambda: metrics.queue_metrics(["support"], now)),
                ("status counts alone",
                 lambda: queries.status_counts(agent, queries.QueueFilters(), now)),
                ("claim next (rolled back)", claim)):
            median, best = timed(action, repeat)
            print(f"  {label:<26}{median:>11.1f}{best:>10.1f}")
        plan_of_default_page(kind, agent, now)


def plan_of_default_page(kind: str, agent, now: datetime) -> None:  # type: ignore[no-untyped-def]
    """Print the database's plan for the default page's main query (is the index used?)."""
    from survey_app.core.db import db
    from survey_app.followups.models import FollowUp
    from survey_app.followups.queries import QueueFilters, _where

    query = (sa.select(FollowUp.id).where(*_where(agent, QueueFilters(), now))
             .order_by(FollowUp.priority_rank, FollowUp.due_dt, FollowUp.id).limit(51))
    compiled = query.compile(db.engine, compile_kwargs={"literal_binds": True})
    prefix = "EXPLAIN QUERY PLAN " if kind == "sqlite" else "EXPLAIN "
    rows = db.session.execute(sa.text(prefix + str(compiled))).all()
    print("  plan of the default page's query:")
    for row in rows:
        print("    " + str(row[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--open-share", type=float, default=0.1)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    os.environ.setdefault("POLSO_SECRET_KEY", "bench-only")
    for kind in (["sqlite", "postgresql"] if args.db == "both" else [args.db]):
        run(kind, args.cases, args.open_share, args.repeat)


if __name__ == "__main__":
    main()
