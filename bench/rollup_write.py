"""What the rollup triggers add to storing an answer: inserts and edits with and without them.

    .venv/bin/python bench/rollup_write.py [--db sqlite|postgresql|both] [--answers 2000]
                                           [--rounds 4]

On a fresh database built by the migrations (SQLite under ``/tmp``; PostgreSQL database
``polso_bench_rollup_write``), stores ``--answers`` responses through the ORM, each in its own
transaction as the answer view does (a segment of three attributes, a comment on a third), then
edits each one's score. Each round runs three trigger settings in turn — off, per score and
attribute value only (as migration ``d4a7c1e9b352`` made them), and with the rollup per
combination of values too (``a3d5f7b9c1e2``, current) — switched by PostgreSQL ``ALTER TABLE …
DISABLE TRIGGER`` and a replaced function, SQLite by dropping and re-creating the triggers, so
all settings see the same machine. Prints milliseconds per answer (wall; for SQLite also this
process's CPU, where SQLite runs), best round of each.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import secrets
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SQLITE_PATH = Path("/tmp/polso-bench-rollup-write.sqlite3")
PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/polso_bench_rollup_write"


def fresh_database(kind: str) -> str:
    if kind == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{SQLITE_PATH}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{SQLITE_PATH}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text("DROP DATABASE IF EXISTS polso_bench_rollup_write WITH (FORCE)"))
        conn.execute(sa.text("CREATE DATABASE polso_bench_rollup_write"))
    admin.dispose()
    return PG_URL


#: The trigger settings compared, in this order within each round.
SETTINGS = ("off", "per attribute", "with combinations")


def rollup_migration() -> Any:
    """The migration whose triggers write the combination rollup too (``a3d5f7b9c1e2``)."""
    path = next((ROOT / "migrations" / "versions").glob("*_a3d5f7b9c1e2_*.py"))
    spec = importlib.util.spec_from_file_location("rollup_migration", path)
    assert spec is not None and spec.loader is not None
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    return migration


def switch_triggers(kind: str, setting: str) -> None:
    """``off``; ``per attribute``: the triggers of ``d4a7c1e9b352`` (per score and per
    attribute value); ``with combinations``: also per combination of values (current)."""
    from survey_app.core.db import db

    migration = rollup_migration()
    combinations = setting == "with combinations"
    if kind == "postgresql":
        state = "DISABLE" if setting == "off" else "ENABLE"
        db.session.execute(sa.text(f"ALTER TABLE responses {state} TRIGGER rollup_responses"))
        db.session.execute(sa.text(migration.pg_rollup_add(combinations)))
    else:
        for name in ("insert", "delete", "update"):
            db.session.execute(sa.text(f"DROP TRIGGER IF EXISTS rollup_responses_{name}"))
        if setting != "off":
            for statement in migration.sqlite_triggers(combinations):
                db.session.execute(sa.text(statement))
    db.session.commit()


def one_round(survey_id: int, answers: int) -> tuple[float, float]:
    """Wall and CPU seconds to store ``answers`` responses and edit each once."""
    from survey_app.core.db import db, set_write_intent
    from survey_app.core.scoring import categorise
    from survey_app.responses.models import Response

    set_write_intent()
    now = datetime.now(UTC)
    wall, cpu = time.perf_counter(), time.process_time()
    stored = []
    for i in range(answers):
        response = Response(
            survey_id=survey_id, token_digest=secrets.token_hex(32), is_anonymous=True,
            score=i % 11, category=categorise("enps", i % 11),
            comment="Too many meetings" if i % 3 == 0 else None, locale="en",
            sentiment_label="negative" if i % 3 == 0 else "unknown", channel="link",
            segment={"department": f"Department {i % 20:02d}", "region": f"r{i % 5}",
                     "team": f"t{i % 7}"},
            submitted_dt=now - timedelta(days=i % 30))
        db.session.add(response)
        db.session.commit()
        stored.append(response.id)
    for i, response_id in enumerate(stored):
        response = db.session.get(Response, response_id)
        assert response is not None
        response.score = (i + 5) % 11
        response.category = categorise("enps", response.score)
        db.session.commit()
    return time.perf_counter() - wall, time.process_time() - cpu


def run(kind: str, answers: int, rounds: int) -> None:
    import flask_migrate

    from survey_app import create_app
    from survey_app.core.db import db
    from survey_app.surveys.services import create_survey

    print(f"== {kind}: {answers:,} answers stored and edited per round "
          f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")
    app = create_app({"DATABASE_URL": fresh_database(kind), "RATELIMIT_ENABLED": False})
    results: dict[str, list[tuple[float, float]]] = {setting: [] for setting in SETTINGS}
    with app.app_context():
        flask_migrate.upgrade()
        survey_id = create_survey(kind="enps", title="Bench", slug="bench").id
        db.session.commit()
        for _round in range(rounds):
            for setting in SETTINGS:
                switch_triggers(kind, setting)
                results[setting].append(one_round(survey_id, answers))
        from survey_app.dashboards.rebuild import differences
        assert differences(survey_id) != 0  # the rounds without triggers were not counted
    for setting in SETTINGS:
        wall = min(w for w, _c in results[setting]) / (2 * answers) * 1000
        cpu = min(c for _w, c in results[setting]) / (2 * answers) * 1000
        print(f"  triggers {setting:<17}: {wall:.3f} ms wall per write"
              + (f", {cpu:.3f} ms CPU" if kind == "sqlite" else ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--answers", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    os.environ.setdefault("POLSO_SECRET_KEY", "bench-only")
    for kind in (["sqlite", "postgresql"] if args.db == "both" else [args.db]):
        run(kind, args.answers, args.rounds)


if __name__ == "__main__":
    main()
