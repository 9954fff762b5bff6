"""SQLite: an id that left the database is never given to another row (``AUTOINCREMENT``).

Without it SQLite hands out the largest id plus one, so deleting the newest row frees its id:
an erased person's id went to the next person imported, a discarded answer's to the next
answer, a deleted endpoint's or user's to the next one. These ids leave the database — in API
answers and cursors, webhook payloads, audit log targets and page addresses — so a CRM keyed
on them, or an audit entry naming them, would then point at someone else. PostgreSQL's
sequences never reuse an id; on PostgreSQL this migration does nothing.

The six tables whose ids leave the database and whose rows can be deleted are rebuilt with
``INTEGER PRIMARY KEY AUTOINCREMENT`` (SQLite's documented way to change a table: create the
new one, copy the rows with their ids, drop the old one, rename, create its indexes and
triggers again). Their stored ``CREATE TABLE`` is edited, not re-declared, so every column,
constraint and name stays as it is. ``migrations/env.py`` turns foreign keys off while
migrations run (with them on, dropping the old table would delete the rows referencing it);
the foreign keys are checked before the transaction commits.

Expand step: same columns, same constraints; the previous release reads and writes the
rebuilt tables as before. The copy holds SQLite's write lock for its duration (1,000,000
answers: 34 s on a 2-core machine).

Revision ID: b6d8f0a2c4e7
Revises: a3d5f7b9c1e2
Create Date: 2026-12-02 22:00:00.000000

"""
import re

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'b6d8f0a2c4e7'
down_revision = 'a3d5f7b9c1e2'
branch_labels = None
depends_on = None

TABLES = ('users', 'people', 'invitations', 'responses', 'followups', 'webhook_endpoints')
SCRATCH = 'polso_rebuild'


def upgrade():
    _rebuild_all(autoincrement=True)


def downgrade():
    _rebuild_all(autoincrement=False)


def _rebuild_all(*, autoincrement: bool) -> None:
    bind = op.get_bind()
    if bind.dialect.name != 'sqlite':
        return
    if bind.exec_driver_sql('PRAGMA foreign_keys').scalar():
        raise RuntimeError('foreign keys must be off while a table is rebuilt '
                           '(migrations/env.py turns them off for SQLite)')
    for table in TABLES:
        _rebuild(bind, table, autoincrement)
    broken = bind.exec_driver_sql('PRAGMA foreign_key_check').fetchall()
    if broken:
        raise RuntimeError(f'foreign keys broken by the rebuild: {broken[:5]}')


def _rebuild(bind: sa.Connection, table: str, autoincrement: bool) -> None:
    """Re-create ``table`` from its own stored SQL, with or without ``AUTOINCREMENT``."""
    schema = bind.exec_driver_sql(
        "SELECT type, sql FROM sqlite_master WHERE tbl_name = ? AND sql IS NOT NULL",
        (table,)).fetchall()
    create = next(sql for kind, sql in schema if kind == 'table')
    others = [sql for kind, sql in schema if kind in ('index', 'trigger')]
    columns = ', '.join(f'"{row[1]}"' for row in bind.exec_driver_sql(
        f'PRAGMA table_info("{table}")'))
    new = _with_autoincrement(create, table) if autoincrement else _without(create, table)
    new, renamed = re.subn(rf'^CREATE TABLE ("?){table}\1 \(', f'CREATE TABLE {SCRATCH} (', new)
    _expect(renamed, table, 'CREATE TABLE')
    bind.exec_driver_sql(new)
    bind.exec_driver_sql(f'INSERT INTO {SCRATCH} ({columns}) SELECT {columns} FROM "{table}"')
    bind.exec_driver_sql(f'DROP TABLE "{table}"')
    bind.exec_driver_sql(f'ALTER TABLE {SCRATCH} RENAME TO "{table}"')
    for sql in others:
        bind.exec_driver_sql(sql)


def _with_autoincrement(sql: str, table: str) -> str:
    sql, found = re.subn(rf',\s*CONSTRAINT pk_{table} PRIMARY KEY \(id\)', '', sql)
    _expect(found, table, 'its primary key constraint')
    sql, found = re.subn(r'\bid INTEGER NOT NULL,',
                         f'id INTEGER NOT NULL CONSTRAINT pk_{table} PRIMARY KEY AUTOINCREMENT,',
                         sql, count=1)
    _expect(found, table, 'its id column')
    return sql


def _without(sql: str, table: str) -> str:
    sql, found = re.subn(rf'\bid INTEGER NOT NULL CONSTRAINT pk_{table} PRIMARY KEY AUTOINCREMENT,',
                         'id INTEGER NOT NULL,', sql)
    _expect(found, table, 'its id column')
    sql, found = re.subn(r'\n\)$', f', \n\tCONSTRAINT pk_{table} PRIMARY KEY (id)\n)', sql)
    _expect(found, table, 'its end')
    return sql


def _expect(found: int, table: str, what: str) -> None:
    if found != 1:
        raise RuntimeError(f'{table}: {what} is not where the rebuild expects it')
