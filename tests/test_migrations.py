"""Migrations round-trip (upgrade → downgrade → upgrade) and match the models."""

import flask_migrate
import pytest
import sqlalchemy as sa

from survey_app import create_app
from survey_app.core.db import db
from survey_app.core.tokens import new_token
from survey_app.dashboards.rebuild import differences
from survey_app.responses.services import Submission, record_response
from survey_app.surveys.models import Survey


@pytest.fixture
def scratch_url(database_url, tmp_path):
    """A database separate from the suite's: a new SQLite file, or a PostgreSQL schema."""
    if not database_url.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
        return
    engine = sa.create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA IF EXISTS migration_check CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA migration_check"))
    yield f"{database_url}?options=-csearch_path%3Dmigration_check"
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA migration_check CASCADE"))
    engine.dispose()


def test_upgrade_downgrade_upgrade_and_check(scratch_url):
    app = create_app({"TESTING": True, "DATABASE_URL": scratch_url})
    with app.app_context():
        flask_migrate.upgrade()
        assert "responses" in sa.inspect(db.engine).get_table_names()
        flask_migrate.downgrade(revision="base")
        assert sa.inspect(db.engine).get_table_names() == ["alembic_version"]
        flask_migrate.upgrade()
        flask_migrate.check()  # exits non-zero when the models and migrations differ
        db.engine.dispose()


def _model_constraints(dialect: sa.Dialect) -> dict[str, set[tuple[str, str]]]:
    """(kind, name) of the CHECK, UNIQUE and FOREIGN KEY constraints each model declares."""
    kinds = {sa.CheckConstraint: "check", sa.UniqueConstraint: "unique",
             sa.ForeignKeyConstraint: "foreign key"}
    name = dialect.identifier_preparer.format_constraint  # applies the naming convention
    return {table.name: {(kinds[type(c)], name(c)) for c in table.constraints
                         if type(c) in kinds}
            for table in db.metadata.sorted_tables}


def _database_constraints(inspector: sa.Inspector, table: str) -> set[tuple[str, str]]:
    """The same, read back from the database's catalog (SQLite: its ``sqlite_master`` SQL)."""
    return ({("check", c["name"]) for c in inspector.get_check_constraints(table)}
            | {("unique", c["name"]) for c in inspector.get_unique_constraints(table)}
            | {("foreign key", c["name"]) for c in inspector.get_foreign_keys(table)})


def test_database_constraints_match_the_models(app_ctx):
    """Autogenerate ignores CHECKs: ``db check`` cannot see one the migrations forgot."""
    inspector = sa.inspect(db.engine)
    expected = _model_constraints(db.engine.dialect)
    actual = {table: _database_constraints(inspector, table) for table in expected}
    missing = {t: sorted(expected[t] - actual[t]) for t in expected if expected[t] - actual[t]}
    extra = {t: sorted(actual[t] - expected[t]) for t in expected if actual[t] - expected[t]}
    assert (missing, extra) == ({}, {})


def _contents() -> dict[str, list[tuple]]:
    """Every row of every table, in key order (the read transaction then ends: on SQLite it
    would keep showing this snapshot after a migration)."""
    rows = {table.name: db.session.execute(
        sa.select(table).order_by(*table.primary_key.columns)).all()
        for table in db.metadata.sorted_tables}
    db.session.rollback()
    return rows


@pytest.mark.live  # the suite's session stays on its own database, this test's on the scratch one
def test_the_id_rebuild_keeps_every_row_index_and_trigger(scratch_url):
    """``b6d8f0a2c4e7`` rebuilds six SQLite tables (PostgreSQL: nothing to do): on a database
    full of demo data every row comes through, the rows referencing them too (the foreign keys
    are off while it runs, or dropping a table would delete them), and the rollup triggers
    and indexes are back; the downgrade returns the same rows."""
    app = create_app({"TESTING": True, "DATABASE_URL": scratch_url,
                      "WEBHOOK_ALLOWED_HOSTS": ["127.0.0.1:9"]})
    with app.app_context():
        flask_migrate.upgrade(revision="a3d5f7b9c1e2")
        assert app.test_cli_runner().invoke(args=["demo", "--people", "8"]).exit_code == 0
        before, indexes = _contents(), _index_names()
        assert all(before[name] for name in ("people", "responses", "answers", "followups",
                                             "followup_events", "rollup_scores"))
        flask_migrate.upgrade()
        assert _contents() == before
        assert _index_names() == indexes
        survey = db.session.scalar(sa.select(Survey).where(Survey.slug == "acme-nps"))
        record_response(survey, Submission(score=2, comment="Slow and rude."),
                        token=new_token(), channel="link")
        assert differences(survey.id) == 0  # the triggers wrote the new answer's rollups
        db.session.rollback()
        flask_migrate.downgrade(revision="a3d5f7b9c1e2")
        assert _contents() == before
        db.session.remove()
        db.engine.dispose()


def _index_names() -> set[str]:
    inspector = sa.inspect(db.engine)
    return {index["name"] for table in inspector.get_table_names()
            for index in inspector.get_indexes(table)}
