"""``polso db backup`` / ``polso db restore`` (issue 19, point 3) on the suite's database.

The round trip runs the real commands in subprocesses (SQLite's backup API, or pg_dump,
pg_restore and psql) against a database holding a row in every table.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from survey_app.core.db import db

POLSO = str(Path(sys.executable).parent / "polso")


def polso(database_url: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "POLSO_DATABASE_URL": database_url, "POLSO_SECRET_KEY": "test-secret",
           "POLSO_JOBS_URL": f"sqlite:///{tmp_path / 'jobs.sqlite3'}"}
    return subprocess.run([POLSO, "db", *args], env=env, capture_output=True, text=True,
                          timeout=300)


def snapshot(app) -> dict[str, list[tuple]]:
    """Every row of every table, in primary-key order."""
    with app.app_context():
        db.session.remove()
        db.engine.dispose()  # the restore rebuilt the tables under the pool's connections
        with db.engine.connect() as connection:
            return {table.name: [tuple(row) for row in connection.execute(
                        sa.select(table).order_by(*table.primary_key.columns))]
                    for table in db.metadata.sorted_tables}


def fill_every_table(app, client, submit, make_survey, make_link) -> None:
    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo", "--people", "12"]).exit_code == 0
    assert runner.invoke(args=["send", "acme-nps"]).exit_code == 0
    assert submit("/p/acme-nps", {"score": "8"}).status_code == 303
    link = make_link(make_survey("nps"))
    client.get(f"/s/{link}?score=2")
    assert submit(f"/s/{link}", {"score": "1", "comment": "Awful"}).status_code == 303


@pytest.mark.live
def test_a_backup_restores_every_row(app, client, submit, make_survey, make_link, database_url,
                                     tmp_path):
    fill_every_table(app, client, submit, make_survey, make_link)
    before = snapshot(app)
    assert [name for name, rows in before.items() if not rows] == []

    made = polso(database_url, tmp_path, "backup", str(tmp_path / "polso.backup"))
    assert made.returncode == 0, made.stderr
    assert "Backup written" in made.stdout and made.stderr  # progress lines
    with app.app_context():  # changes after the backup: gone after the restore
        db.session.execute(sa.text("DELETE FROM answers"))
        db.session.execute(sa.text("UPDATE people SET name = 'changed'"))
        db.session.commit()

    refused = polso(database_url, tmp_path, "restore", str(tmp_path / "polso.backup"))
    assert refused.returncode == 2 and "--yes" in refused.stderr
    restored = polso(database_url, tmp_path, "restore", str(tmp_path / "polso.backup"), "--yes")
    assert restored.returncode == 0, restored.stderr
    assert snapshot(app) == before
