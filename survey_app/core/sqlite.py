"""SQLite as a real multi-process database: WAL, foreign keys, short write transactions.

Work that writes (a POST, a CLI command) reads outside a transaction — each read sees the latest
commit, as PostgreSQL's READ COMMITTED does — and opens ``BEGIN IMMEDIATE`` at its first write,
so the database-wide write lock is held only from the first write to the commit. Correctness
rests on constraints (the unique token digest, the version column), not on those reads.
Read-only work runs in one ordinary snapshot transaction.

Writers queue on an ``flock`` beside the database file before ``BEGIN IMMEDIATE``: the kernel
wakes the next writer the moment the previous one commits, where SQLite's own busy handler would
poll with sleeps of 1–100 ms (idle lock time and long tail latency under load). The busy timeout
still covers writers outside Polso (the ``sqlite3`` shell, say).
"""

from __future__ import annotations

import os
import re
import sqlite3
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

from survey_app.core.db import write_intended

try:
    import fcntl
except ImportError:  # Windows: no gate, SQLite's busy timeout alone
    fcntl = None  # type: ignore[assignment]

#: Statements that need the write lock.
_WRITES = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE|SAVEPOINT|CREATE|DROP|ALTER)\b", re.I)


class GatedConnection(sqlite3.Connection):
    """A pysqlite connection holding this machine's write gate from BEGIN IMMEDIATE to its end."""

    lock_path: str | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._gate = (os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
                      if self.lock_path and fcntl else None)
        self._holding = False

    def begin_write(self) -> None:
        if self._gate is not None and not self._holding:
            fcntl.flock(self._gate, fcntl.LOCK_EX)
            self._holding = True
        self.execute("BEGIN IMMEDIATE")

    def _release(self) -> None:
        if self._holding:
            fcntl.flock(self._gate, fcntl.LOCK_UN)
            self._holding = False

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self._release()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._release()

    def close(self) -> None:
        self._release()
        if self._gate is not None:
            os.close(self._gate)
            self._gate = None
        super().close()


def engine_options(url: str, busy_timeout: int) -> dict[str, Any]:
    """``SQLALCHEMY_ENGINE_OPTIONS`` for a SQLite URL: the gated connection class."""
    database = make_url(url).database
    lock_path = f"{database}.writelock" if database and database != ":memory:" else None
    factory = type("PolsoSQLiteConnection", (GatedConnection,), {"lock_path": lock_path})
    return {"connect_args": {"factory": factory, "timeout": busy_timeout}}


def configure_sqlite(engine: Engine) -> None:
    """WAL, foreign keys, real transactions (SAVEPOINT works) and short write transactions."""
    database = engine.url.database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, emit BEGIN, so SAVEPOINTs and DDL are transactional.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        if not write_intended():
            # Straight to the driver: a statement through SQLAlchemy (events, result set-up)
            # cost as much as the health check's own query.
            connection.connection.dbapi_connection.execute("BEGIN")

    @sa.event.listens_for(engine, "before_cursor_execute")
    def _before_write(connection: sa.Connection, _cursor: Any, statement: str, *_: Any) -> None:
        dbapi_connection = connection.connection.dbapi_connection
        if not dbapi_connection.in_transaction and _WRITES.match(statement):
            dbapi_connection.begin_write()
