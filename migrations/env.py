"""Alembic environment: Polso's engine and metadata come from the Flask app."""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from logging.config import fileConfig

from alembic import context
from flask import current_app

config = context.config
# Keep the application's loggers working after Alembic configures logging.
fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

target_db = current_app.extensions["migrate"].db
config.set_main_option(
    "sqlalchemy.url", target_db.engine.url.render_as_string(hide_password=False).replace("%", "%%")
)


def run_migrations_offline() -> None:
    """Emit SQL for the configured URL without connecting."""
    context.configure(url=config.get_main_option("sqlalchemy.url"),
                      target_metadata=target_db.metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


@contextmanager
def foreign_keys_off(connection) -> Iterator[None]:
    """SQLite: foreign keys off while migrations run, as SQLite's way to change a table needs
    (with them on, dropping a rebuilt table deletes the rows that reference it); a migration
    that rebuilds checks them itself before committing. The pragma only works outside a
    transaction, so it goes straight to the driver, before the migrations begin one."""
    if connection.dialect.name != "sqlite":
        yield
        return
    driver = connection.connection.dbapi_connection
    driver.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
    finally:
        driver.execute("PRAGMA foreign_keys=ON")
        if not driver.execute("PRAGMA foreign_keys").fetchone()[0]:  # still in a transaction
            connection.invalidate()  # never back to the pool without them


def run_migrations_online() -> None:
    """Run the migrations on the app's engine."""

    def process_revision_directives(context, revision, directives):
        # No empty revision when autogenerate finds nothing to do.
        if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
            directives[:] = []
            logger.info("No changes in schema detected.")

    conf_args = dict(current_app.extensions["migrate"].configure_args)
    conf_args.setdefault("process_revision_directives", process_revision_directives)
    with target_db.engine.connect() as connection, foreign_keys_off(connection):
        context.configure(connection=connection, target_metadata=target_db.metadata, **conf_args)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
