"""Migrations round-trip (upgrade → downgrade → upgrade) and match the models."""

import flask_migrate
import pytest
import sqlalchemy as sa

from survey_app import create_app
from survey_app.core.db import db


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
