"""``polso db backup`` / ``polso db restore`` (issue 19, point 3) on the suite's database.

The round trip runs the real commands in subprocesses (SQLite's backup API, or pg_dump,
pg_restore and psql) against a database holding a row in every table.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from survey_app.accounts.models import User
from survey_app.core.db import db
from survey_app.core.tokens import hash_token
from survey_app.invitations.services import create_invitation
from survey_app.invitations.tracking import new_salt, token_for_salt
from survey_app.people.services import get_or_create_person
from survey_app.referrals import emails as promoter_emails
from survey_app.referrals.services import code_for, find_code, sign_up
from survey_app.referrals.settings import PromoterSpec, save_settings
from survey_app.responses.models import Response
from survey_app.surveys.models import Survey
from survey_app.themes.services import add_term, add_theme
from survey_app.webhooks.events import emit_reference
from survey_app.webhooks.services import create_endpoint

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
    # An API token, and a trigger with an Idempotency-Key (API tables).
    secret = runner.invoke(args=["tokens", "create", "--name", "backup", "--role", "admin"]
                           ).output.split()[-1]
    triggered = client.post("/api/v1/surveys/acme-nps/invitations",
                            json={"person": {"email": "api@example.com"}},
                            headers={"Authorization": f"Bearer {secret}",
                                     "Idempotency-Key": "backup-test"})
    assert triggered.status_code == 200, triggered.get_json()
    fill_feature_tables(app, submit, make_survey)


def fill_feature_tables(app, submit, make_survey) -> None:
    """The promoter loop (settings, review link, referral code and sign-up, the e-mail a day
    later), a survey's own theme with a term, and a webhook endpoint with an event and its
    delivery (the endpoint's host allowed, nothing is sent: no worker runs) and one more event
    waiting in the outbox for a worker to route it."""
    survey_id = make_survey("nps")
    app.config["WEBHOOK_ALLOWED_HOSTS"] = ["127.0.0.1:9"]
    with app.app_context():
        survey = db.session.get(Survey, survey_id)
        save_settings(survey, PromoterSpec(links=[("Google", "https://g.page/r/acme/review")],
                                           offer={"en": "10 % off"}, is_email_enabled=True))
        theme = add_theme(survey, "Parking")
        add_term(survey, theme.key, "en", "parking")
        admin = db.session.scalars(sa.select(User).where(User.role == "admin")).first()
        create_endpoint(admin, url="http://127.0.0.1:9/hook", events=["response.created"],
                        scope="customers")
        invitation, _ = create_invitation(survey, get_or_create_person("promoter@example.com"))
        invitation.token_salt = new_salt()
        token = token_for_salt(invitation.token_salt)
        invitation.token_hash = hash_token(token)
        db.session.commit()
    assert submit(f"/s/{token}", {"score": "10"}).status_code == 303
    with app.app_context():
        response = db.session.scalars(sa.select(Response)
                                      .where(Response.survey_id == survey_id)).one()
        response.submitted_dt -= timedelta(hours=25)
        sign_up(find_code(code_for(response)), email="friend@example.com", name="Friend",
                locale="en")
        emit_reference("response.created", response.id, {"category": response.category},
                       scope="customers", survey_id=survey_id, anonymous=False,
                       person_id=response.person_id)  # outside a request: nobody routes it
        db.session.commit()
        assert promoter_emails.send_due() == 1


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


@pytest.fixture
def backed_up(app, make_survey, database_url, tmp_path) -> Path:
    """A committed survey and a backup of it (the caller restores it)."""
    make_survey("csat")
    path = tmp_path / "polso.backup"
    made = polso(database_url, tmp_path, "backup", str(path))
    assert made.returncode == 0, made.stderr
    return path


def _set_revision(app, revision: str) -> str:
    with app.app_context():
        old = db.session.scalar(sa.text("SELECT version_num FROM alembic_version"))
        db.session.execute(sa.text("UPDATE alembic_version SET version_num = :r"),
                           {"r": revision})
        db.session.commit()
        return old


@pytest.mark.live
def test_a_backup_of_a_newer_schema_is_refused_and_nothing_changes(app, make_survey,
                                                                   database_url, tmp_path):
    make_survey("csat")
    head = _set_revision(app, "0f0f0f0f0f0f")  # as a newer Polso would have left it
    made = polso(database_url, tmp_path, "backup", str(tmp_path / "newer.backup"))
    _set_revision(app, head)
    assert made.returncode == 0, made.stderr
    make_survey("nps")
    before = snapshot(app)

    refused = polso(database_url, tmp_path, "restore", str(tmp_path / "newer.backup"), "--yes")
    assert refused.returncode == 2
    assert "newer Polso (schema revision 0f0f0f0f0f0f" in refused.stderr
    assert snapshot(app) == before


@pytest.mark.live
def test_a_damaged_backup_is_refused_and_nothing_changes(app, backed_up, make_survey,
                                                         database_url, tmp_path):
    data = backed_up.read_bytes()
    backed_up.write_bytes(data[: len(data) // 2])
    make_survey("nps")
    before = snapshot(app)

    refused = polso(database_url, tmp_path, "restore", str(backed_up), "--yes")
    assert refused.returncode == 2 and "Error:" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert snapshot(app) == before


@pytest.mark.live
@pytest.mark.parametrize("content", [None, b"", b"not a backup at all\n" * 100])
def test_a_missing_or_foreign_file_is_refused(app, make_survey, database_url, tmp_path,
                                              content):
    path = tmp_path / "other.file"
    if content is not None:
        path.write_bytes(content)
    make_survey("nps")
    before = snapshot(app)
    refused = polso(database_url, tmp_path, "restore", str(path), "--yes")
    assert refused.returncode == 2 and "Error:" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert snapshot(app) == before


@pytest.mark.live
def test_an_empty_database_takes_a_restore_without_yes(app, backed_up, database_url, tmp_path):
    before = snapshot(app)
    with app.app_context():
        for table in reversed(db.metadata.sorted_tables):
            db.session.execute(table.delete())
        db.session.commit()
    restored = polso(database_url, tmp_path, "restore", str(backed_up))
    assert restored.returncode == 0, restored.stderr
    assert snapshot(app) == before


def test_a_backup_into_a_missing_folder_is_refused_clearly(app, database_url, tmp_path):
    made = polso(database_url, tmp_path, "backup", str(tmp_path / "nowhere" / "polso.backup"))
    assert made.returncode == 2 and made.stderr.splitlines()[-1].startswith("Error: ")
    assert "Traceback" not in made.stderr
    assert not (tmp_path / "nowhere").exists()


@pytest.mark.live
def test_a_failed_backup_leaves_an_earlier_file_alone(app, backed_up, database_url, tmp_path):
    """The backup is written next to FILE and renamed onto it only when complete."""
    earlier = backed_up.read_bytes()
    backed_up.with_name(backed_up.name + ".partial").mkdir()  # the next backup cannot be written
    made = polso(database_url, tmp_path, "backup", str(backed_up))
    assert made.returncode == 2 and "Traceback" not in made.stderr
    assert backed_up.read_bytes() == earlier


def test_a_sqlite_backup_onto_the_database_itself_is_refused(app, database_url, tmp_path):
    if not database_url.startswith("sqlite"):
        pytest.skip("a SQLite database file")
    database = Path(database_url.removeprefix("sqlite:///"))
    size = database.stat().st_size
    for command in ("backup", "restore"):
        refused = polso(database_url, tmp_path, command, str(database), "--yes"
                        ) if command == "restore" else polso(database_url, tmp_path, command,
                                                             str(database))
        assert refused.returncode == 2 and "the database itself" in refused.stderr
    assert database.stat().st_size == size


def test_an_unreachable_database_is_one_line_not_a_traceback(tmp_path):
    made = polso("postgresql+psycopg://postgres@127.0.0.1:1/polso", tmp_path, "backup",
                 str(tmp_path / "polso.backup"))
    assert made.returncode == 2 and "Traceback" not in made.stderr
    assert made.stderr.splitlines()[-1].startswith("Error: The database cannot be reached")


def test_a_postgresql_client_older_than_the_server_is_refused(app, database_url, tmp_path):
    """pg_dump refuses newer servers or loses what it does not know: say which to install."""
    if not database_url.startswith("postgresql"):
        pytest.skip("needs a PostgreSQL server")
    old = tmp_path / "bin"
    old.mkdir()
    (old / "pg_dump").write_text("#!/bin/sh\necho 'pg_dump (PostgreSQL) 9.6.24'\n")
    (old / "pg_dump").chmod(0o755)
    env = {**os.environ, "PATH": f"{old}:{os.environ['PATH']}",
           "POLSO_DATABASE_URL": database_url, "POLSO_SECRET_KEY": "test-secret"}
    made = subprocess.run([POLSO, "db", "backup", str(tmp_path / "polso.backup")], env=env,
                          capture_output=True, text=True, timeout=120)
    assert made.returncode == 2
    assert "pg_dump 9 is older than the PostgreSQL" in made.stderr
    assert "install postgresql-client-" in made.stderr
    assert not (tmp_path / "polso.backup").exists()
