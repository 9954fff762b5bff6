"""``polso db backup FILE`` and ``polso db restore FILE [--yes]`` (docs/operations.md)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from flask.cli import with_appcontext
from flask_migrate.cli import db as db_cli
from sqlalchemy.exc import OperationalError

from survey_app.cli import CommandError
from survey_app.core.db import db
from survey_app.ops import backup
from survey_app.ops.backup import BackupError


def _progress(line: str) -> None:
    click.echo(line, err=True)


@contextmanager
def _refusals() -> Iterator[None]:
    """A refusal or an unreachable database: one line, exit status 2, nothing changed."""
    try:
        yield
    except (BackupError, OperationalError) as error:
        db.session.rollback()
        message = str(error) if isinstance(error, BackupError) else (
            f"The database cannot be reached: {' '.join(str(error.orig).split())}")
        raise CommandError(message) from error


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(file: Path) -> None:
    """Back up the database to FILE (consistent while Polso runs)."""
    with _refusals():
        backup.backup(file, _progress)
    click.echo(f"Backup written to {file} ({file.stat().st_size:,} bytes).")


@click.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Replace a database that holds data.")
@with_appcontext
def restore_command(file: Path, yes: bool) -> None:
    """Replace the database with the backup FILE, then migrate it to this version's schema.

    Stop the web server and the workers first.
    """
    with _refusals():
        revision = backup.restore(file, replace=yes, progress=_progress)
    click.echo(f"Restored {file} (schema revision {revision}), migrated to head.")


def register(group: click.Group = db_cli) -> None:
    """Add the commands to Flask-Migrate's ``db`` group, next to ``polso db upgrade``."""
    for command in (backup_command, restore_command):
        group.add_command(command)
