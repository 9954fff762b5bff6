"""Back up the database to one file and restore it, on SQLite and PostgreSQL.

- SQLite: SQLite's online backup API — a consistent copy while the server keeps writing; the
  backup is itself a SQLite database. A restore copies it back page by page in one write
  transaction: the database is replaced whole or not at all.
- PostgreSQL: ``pg_dump --format=custom``. A restore first turns the backup into SQL with
  ``pg_restore`` (a damaged file fails here, before anything is touched), then ``psql`` drops
  and rebuilds the ``public`` schema and loads the SQL in one transaction.

Either backup carries its ``alembic_version`` row: a restore refuses a backup whose schema
revision this code does not know (made by a newer Polso), and migrates an older one to head.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from functools import partial
from pathlib import Path

import sqlalchemy as sa
from alembic.script import ScriptDirectory
from flask import current_app
from flask_migrate import upgrade
from sqlalchemy.engine import URL, make_url

from survey_app.core.db import db
from survey_app.core.errors import DomainError

#: Pages copied between two progress reports (4 MiB with SQLite's default 4 KiB pages).
SQLITE_STEP_PAGES = 1024

Progress = Callable[[str], None]


class BackupError(DomainError):
    """The backup or restore cannot be done; nothing was changed."""


def backup(path: Path, progress: Progress) -> None:
    """Write a backup of the current app's database to ``path``.

    It is written next to ``path`` and renamed onto it once complete: a failed backup leaves
    no partial file and an earlier backup of the same name intact.
    """
    url = make_url(current_app.config["DATABASE_URL"])
    unfinished = path.with_name(path.name + ".partial")
    try:
        if url.get_backend_name() == "sqlite":
            _sqlite_backup(_sqlite_file(url, path), unfinished, progress)
        else:
            _check_client(url, "pg_dump")
            _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", "--verbose",
                  f"--file={unfinished}", _libpq_url(url)], url, progress)
        unfinished.replace(path)
    except (OSError, sqlite3.Error) as error:
        raise BackupError(f"Cannot write {path}: {error}.") from error
    finally:
        if unfinished.is_file():
            unfinished.unlink()


def restore(path: Path, *, replace: bool, progress: Progress) -> str:
    """Replace the current app's database with the backup at ``path`` and migrate it to head.

    :param replace: the database may hold data, which the backup replaces.
    :returns: the schema revision the backup was made at.
    :raises BackupError: unreadable backup, newer schema, or data present without ``replace``.
    """
    if not path.is_file():
        raise BackupError(f"No backup file at {path}.")
    with _restorer(path, make_url(current_app.config["DATABASE_URL"]), progress) as (
            revision, apply):
        _check_revision(revision)
        if not replace and holds_data():
            raise BackupError("The database holds data: restoring replaces all of it. "
                              "Run again with --yes to replace it.")
        db.session.remove()
        db.engine.dispose()
        apply()
    progress(f"Restored a backup of schema revision {revision}; migrating to head …")
    upgrade()
    return revision  # type: ignore[return-value]  # checked by _check_revision


@contextmanager
def _restorer(path: Path, url: URL, progress: Progress
              ) -> Iterator[tuple[str | None, Callable[[], None]]]:
    """The backup's schema revision and the step that applies it, once the file is checked."""
    if url.get_backend_name() == "sqlite":
        yield _sqlite_revision(path), partial(_sqlite_restore, path, _sqlite_file(url, path),
                                              progress)
        return
    _check_client(url, "pg_restore")
    sql = _pg_sql(path, url, progress)
    try:
        yield _pg_revision(sql), partial(_pg_apply, sql, url, progress)
    finally:
        Path(sql).unlink(missing_ok=True)


def holds_data() -> bool:
    """Whether any table but ``alembic_version`` has a row."""
    inspector = sa.inspect(db.engine)
    with db.engine.connect() as connection:
        for name in inspector.get_table_names():
            if name != "alembic_version" and connection.execute(
                    sa.select(sa.literal(1)).select_from(sa.table(name)).limit(1)).first():
                return True
    return False


def _check_revision(revision: str | None) -> None:
    """Refuse a backup without a schema revision or with one this code does not know."""
    if not revision:
        raise BackupError("This file is not a Polso backup: it has no schema revision.")
    scripts = ScriptDirectory.from_config(current_app.extensions["migrate"].migrate.get_config())
    if revision not in {script.revision for script in scripts.walk_revisions()}:
        raise BackupError(f"The backup was made by a newer Polso (schema revision {revision}, "
                          f"unknown here): upgrade Polso, then restore.")


# --- SQLite ----------------------------------------------------------------------------------


def _sqlite_file(url: URL, other: Path) -> Path:
    """The database file, refusing when ``other`` (the backup) is that same file."""
    database = Path(url.database or "")
    if other.resolve() == database.resolve():
        raise BackupError(f"{other} is the database itself: choose another file.")
    return database


def _sqlite_backup(source: Path, target: Path, progress: Progress) -> None:
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst, pages=SQLITE_STEP_PAGES, progress=_page_progress(progress))


def _sqlite_restore(backup_file: Path, database: Path, progress: Progress) -> None:
    with closing(sqlite3.connect(f"file:{backup_file}?mode=ro", uri=True)) as src, \
            closing(sqlite3.connect(database)) as dst:
        src.backup(dst, pages=SQLITE_STEP_PAGES, progress=_page_progress(progress))


def _sqlite_revision(path: Path) -> str | None:
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as backup_db:
            if backup_db.execute("PRAGMA quick_check").fetchone() != ("ok",):
                raise BackupError(f"{path} is damaged (SQLite integrity check failed).")
            row = backup_db.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{path} is not a SQLite backup of Polso ({error}).") from error
    return row[0] if row else None


def _page_progress(progress: Progress) -> Callable[[int, int, int], None]:
    def report(status: int, remaining: int, total: int) -> None:
        progress(f"{total - remaining} of {total} pages copied")

    return report


# --- PostgreSQL ------------------------------------------------------------------------------


def _libpq_url(url: URL) -> str:
    """The URL for libpq tools, without its password (given through ``PGPASSWORD``)."""
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False)


def _run(args: list[str], url: URL, progress: Progress,
         stdout: int | None = subprocess.DEVNULL) -> None:
    """Run a libpq tool, passing its progress lines on; :class:`BackupError` on failure."""
    env = {**os.environ, "PGOPTIONS": "-c client_min_messages=warning",
           **({"PGPASSWORD": url.password} if url.password else {})}
    process = subprocess.Popen(args, env=env, stdout=stdout, stderr=subprocess.PIPE, text=True)
    errors = []
    for line in process.stderr or ():
        progress(line.rstrip())
        if "error:" in line.lower():
            errors.append(line.strip())
    if process.wait():
        raise BackupError(f"{args[0]} failed: {errors[-1] if errors else 'see the lines above'}")


def _check_client(url: URL, tool: str) -> None:
    """The tool exists and is at least as new as the server (older ones refuse or lose data)."""
    if shutil.which(tool) is None:
        raise BackupError(f"{tool} is not installed: install the PostgreSQL client "
                          f"(Debian: apt-get install postgresql-client).")
    version = re.search(r"(\d+)\.\d+",
                        subprocess.run([tool, "--version"], capture_output=True, text=True).stdout)
    client = int(version.group(1)) if version else 0
    with db.engine.connect() as connection:
        server = int(connection.execute(sa.text("SHOW server_version_num")).scalar_one()) // 10000
    if client < server:
        raise BackupError(f"{tool} {client} is older than the PostgreSQL {server} server: "
                          f"install postgresql-client-{server}.")


def _pg_sql(path: Path, url: URL, progress: Progress) -> str:
    """The backup as a SQL script in a temporary file (the caller deletes it)."""
    handle, sql = tempfile.mkstemp(prefix="polso-restore-", suffix=".sql")
    os.close(handle)
    try:
        _run(["pg_restore", "--no-owner", "--no-privileges", "--verbose", f"--file={sql}",
              str(path)], url, progress)
    except BackupError:
        Path(sql).unlink(missing_ok=True)
        raise
    return sql


def _pg_revision(sql: str) -> str | None:
    with open(sql, encoding="utf-8") as script:
        for line in script:
            if line.startswith("COPY public.alembic_version "):
                revision = next(script).strip()
                return revision if revision != "\\." else None
    return None


def _pg_apply(sql: str, url: URL, progress: Progress) -> None:
    """Drop and rebuild ``public`` and load the script, all in one transaction."""
    _run(["psql", "--single-transaction", "--quiet", "--set=ON_ERROR_STOP=1", "--no-psqlrc",
          "--command=DROP SCHEMA public CASCADE; CREATE SCHEMA public;", f"--file={sql}",
          _libpq_url(url)], url, progress)
