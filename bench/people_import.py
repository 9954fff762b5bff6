"""Import 100,000 people from CSV twice (create, then update in place) and time it.

    .venv/bin/python bench/people_import.py [--rows 100000] [--database-url URL]

Uses a fresh SQLite file by default; prints rows/s and the peak memory. Target: < 30 s.
"""

from __future__ import annotations

import argparse
import csv
import io
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import flask_migrate  # noqa: E402

from survey_app import create_app  # noqa: E402
from survey_app.core.db import db  # noqa: E402
from survey_app.people.importer import import_people  # noqa: E402

TEAMS = ["Support", "Sales", "Engineering", "Operations", "Finance"]


def make_csv(rows: int, generation: int) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["email", "name", "kind", "locale", "team", "region", "plan"])
    for i in range(rows):
        writer.writerow([f"person{i}@example.com", f"Person {i} v{generation}",
                         "employee" if i % 4 == 0 else "customer", "it" if i % 3 == 0 else "en",
                         TEAMS[(i + generation) % len(TEAMS)], "north" if i % 2 else "south",
                         "pro"])
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "DATABASE_URL": url})
    with app.app_context():
        flask_migrate.upgrade()
        for generation, label in ((1, "create"), (2, "update")):
            text = make_csv(args.rows, generation)
            started = time.perf_counter()
            result = import_people(io.StringIO(text, newline=""),
                                   on_batch=lambda _rows: db.session.commit())
            db.session.commit()
            elapsed = time.perf_counter() - started
            print(f"{label}: {result.rows} rows in {elapsed:.1f} s ({result.rows / elapsed:,.0f} "
                  f"rows/s): {result.created} created, {result.updated} updated, "
                  f"{len(result.errors)} refused")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (RSS): {peak:.0f} MB, database {url.split(':')[0]}")


if __name__ == "__main__":
    main()
