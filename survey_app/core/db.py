"""The SQLAlchemy base, column types and engine set-up shared by every model."""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache, lru_cache, partial
from typing import Any

import sqlalchemy as sa
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapper,
    make_transient_to_detached,
    registry,
)
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.interfaces import MANYTOONE

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: Table option for tables whose ids leave the database (API answers, webhook payloads, audit
#: log targets, page addresses) and whose rows can be deleted: on SQLite an id is then never
#: given to a second row (``AUTOINCREMENT``; migration ``b6d8f0a2c4e7``). PostgreSQL's
#: sequences never reuse one anyway.
IDS_NEVER_REUSED = {"sqlite_autoincrement": True}


class UTCDateTime(sa.TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every database (SQLite stores naive text)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    """Declarative base: named constraints and aware datetimes everywhere."""

    registry = registry(
        metadata=sa.MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime(), dict[str, Any]: sa.JSON()},
    )


db = SQLAlchemy(model_class=Base)


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


#: Set while handling a request or command that writes (see :mod:`survey_app.core.sqlite`).
_write_intent: contextvars.ContextVar[bool] = contextvars.ContextVar("write_intent", default=False)


def for_reports() -> None:
    """On PostgreSQL, tune the rest of this transaction for a few reporting statements over
    many rows: no JIT (it compiled for 0.2–0.4 s of a 1–3 s retention query and saved less,
    bench/retention.py) and room to sort 100,000 rows in memory (4 MB spilled to disk)."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.text("SET LOCAL jit = off"))
        db.session.execute(sa.text("SET LOCAL work_mem = '32MB'"))


def set_write_intent(enabled: bool = True) -> None:
    """Flag the current context (request or command) as writing."""
    _write_intent.set(enabled)


def write_intended() -> bool:
    """Whether the current request or command writes (see :mod:`survey_app.core.sqlite`)."""
    return _write_intent.get()


def commit_keeping_loaded() -> None:
    """Commit without expiring every loaded object: for a request's last use of the session (a
    redirect or a stream follows), where the reload nobody asks for cost ~3 % of a
    respondent's answer — or could not happen: a streamed body runs after the session is
    removed; or to end a transaction whose objects are still read after it, without a reload
    that would begin the next one with a read (an API token's last use)."""
    session = db.session()
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True


# --- writes without the unit of work -------------------------------------------------------------
#
# The respondent's answer is the hottest write: its unit-of-work flush (dependency sort, history,
# per-object bookkeeping) cost more than its statements. These helpers issue the same INSERTs and
# UPDATEs as prebuilt statements (on SQLite as cached SQL strings, through the driver) and leave
# the objects in the session as if just loaded.


@dataclass(frozen=True)
class _InsertPlan:
    #: (attribute, column key, value when unset — None: the server default) of non-key columns.
    columns: tuple[tuple[str, str, Callable[[], Any] | None], ...]
    primary_key: str
    #: Many-to-one relationships: (name, ((foreign key attribute, its column key, parent
    #: attribute), …)).
    parents: tuple[tuple[str, tuple[tuple[str, str, str], ...]], ...]


def _same(value: Any) -> Any:
    return value


@cache
def _insert_plan(mapper: Mapper[Any]) -> _InsertPlan:
    columns = []
    for prop in mapper.column_attrs:
        column = prop.columns[0]
        if column.primary_key:
            continue
        default = column.default
        if default is not None and default.is_callable:
            make = partial(default.arg, None)  # SQLAlchemy wraps defaults to take a context
        elif default is not None and default.is_scalar:
            make = partial(_same, default.arg)
        elif column.server_default is None:
            make = partial(_same, None)  # loaded as NULL, not expired
        else:
            make = None  # the database's default; the attribute loads on first use
        columns.append((prop.key, column.key, make))
    (pk,) = mapper.primary_key
    parents = tuple(
        (rel.key, tuple((mapper.get_property_by_column(local).key, local.key,
                         rel.mapper.get_property_by_column(remote).key)
                        for local, remote in rel.local_remote_pairs))
        for rel in mapper.relationships if rel.direction is MANYTOONE)
    return _InsertPlan(tuple(columns), mapper.get_property_by_column(pk).key, parents)


#: (foreign key attribute, its column key, index of the parent in the same call).
_Links = tuple[tuple[str, str, int], ...]


#: A loaded object and new values for some of its columns.
Change = tuple["Base", dict[str, Any]]


@dataclass(frozen=True)
class Row:
    """A plain row :func:`insert_loaded` inserts after its objects, not an object of the
    session: ``links`` name its columns that take the new key of one of those objects
    (``{"response_id": response}``)."""

    table: sa.Table
    values: dict[str, Any]
    links: dict[str, Any]


def insert_loaded(*objects: Base, updating: Change | None = None,
                  rows_after: Sequence[Row] = ()) -> None:
    """INSERT new objects, parents before children, without the unit of work.

    Python-side column defaults are applied, foreign keys come from many-to-one relationships
    already set (``case.response = response``) — to objects of the same call, or to objects
    that already have their key — and each object gets its new primary key. The objects then
    join the session as persistent and loaded: nothing is flushed for them again.
    ``updating`` changes columns of one loaded object in the same go (no version check);
    ``rows_after`` are plain rows to insert too (:class:`Row`). On PostgreSQL it all goes in
    one statement (chained ``INSERT … RETURNING`` CTEs: one round trip), elsewhere one
    statement per row.
    Raises what the database raises (e.g. ``IntegrityError``).
    """
    position = {id(obj): index for index, obj in enumerate(objects)}
    rows: list[dict[str, Any]] = []
    links: list[_Links] = []
    for obj in objects:
        state = sa.inspect(obj)
        plan = _insert_plan(state.mapper)
        values = state.dict
        linked: list[tuple[str, str, int]] = []
        for relationship, pairs in plan.parents:
            parent = values.get(relationship)
            if parent is not None and id(parent) in position:
                linked.extend((local, column, position[id(parent)]) for local, column, _ in pairs)
            elif parent is not None:
                for local, _, remote in pairs:
                    values[local] = getattr(parent, remote)
        skip = {column for _, column, _ in linked}
        row = {}
        for attribute, column, make in plan.columns:
            if attribute not in values and make is not None:
                values[attribute] = make()
            if attribute in values and column not in skip:
                row[column] = values[attribute]
        rows.append(row)
        links.append(tuple(linked))
    for extra in rows_after:
        rows.append(dict(extra.values))
        links.append(tuple((column, column, position[id(parent)])
                           for column, parent in extra.links.items()))
    tables = [sa.inspect(obj).mapper.local_table for obj in objects]
    keys = _insert_rows([*tables, *(extra.table for extra in rows_after)], rows, links,
                        updating)
    if updating is not None:
        for key, value in updating[1].items():
            set_committed_value(updating[0], key, value)
    # Keys go straight into the objects' state, committed below as if loaded (no history).
    count = len(objects)  # the plain rows after them join nothing
    for obj, key, linked in zip(objects, keys[:count], links[:count], strict=True):
        state = sa.inspect(obj)
        state.dict[_insert_plan(state.mapper).primary_key] = key
        for local, _, parent in linked:
            state.dict[local] = keys[parent]
    for obj in objects:
        make_transient_to_detached(obj)
    # Adding the first object brings in what its cascades reach; each add walks the graph.
    session = db.session()
    for obj in objects:
        if obj not in session:
            session.add(obj)


def _insert_rows(tables: Sequence[sa.Table], rows: list[dict[str, Any]], links: list[_Links],
                 updating: Change | None) -> list[Any]:
    """UPDATE, then INSERT the rows; their new primary keys."""
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        shape = tuple((table, tuple(row), linked)
                      for table, row, linked in zip(tables, rows, links, strict=True))
        params = {f"r{index}_{column}": value
                  for index, row in enumerate(rows) for column, value in row.items()}
        update_shape = None
        if updating is not None:
            target, values = updating
            state = sa.inspect(target)
            update_shape = (state.mapper, tuple(sorted(values)))
            params.update({f"u_{key}": value for key, value in values.items()})
            params["u_pk"] = state.identity[0]
        return list(connection.execute(_chained_insert(shape, update_shape), params).one())
    if updating is not None:
        target, values = updating
        state = sa.inspect(target)
        _execute_compiled(connection, _update_statement(state.mapper, tuple(sorted(values))),
                          {**{f"u_{key}": value for key, value in values.items()},
                           "u_pk": state.identity[0]})
    keys: list[Any] = []
    for table, row, linked in zip(tables, rows, links, strict=True):
        row.update({column: keys[parent] for _, column, parent in linked})
        statement = _row_insert(table, frozenset(row))
        keys.append(_execute_compiled(connection, statement, row).lastrowid)
    return keys


def insert_row(connection: sa.Connection, table: sa.Table, row: dict[str, Any]) -> None:
    """INSERT one row with the fewest steps: its cached SQL string on a driver with positional
    parameters (SQLite), ``connection.execute`` on the others."""
    statement = _row_insert(table, frozenset(row))
    if connection.dialect.positional:
        _execute_compiled(connection, statement, row)
    else:
        connection.execute(statement, row)


def _execute_compiled(connection: sa.Connection, statement: sa.Executable,
                      params: dict[str, Any]) -> sa.CursorResult[Any]:
    """Execute ``statement`` as its cached SQL string with processed parameters: a third of the
    cost of ``connection.execute`` for these small statements (no cache key, no result set-up)."""
    sql, binds = _compiled(statement, connection.dialect)
    return connection.exec_driver_sql(sql, tuple(
        params[name] if process is None else process(params[name]) for name, process in binds))


@lru_cache(maxsize=128)
def _compiled(statement: sa.Executable, dialect: sa.Dialect
              ) -> tuple[str, tuple[tuple[str, Callable[[Any], Any] | None], ...]]:
    """A positional-parameter statement's SQL and, in order, each parameter with its bind
    processor."""
    compiled = statement.compile(dialect=dialect)
    assert compiled.positiontup is not None, "a dialect with positional parameters"
    return str(compiled), tuple(
        (name, compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect))
        for name in compiled.positiontup)


@lru_cache(maxsize=128)
def _row_insert(table: sa.Table, columns: frozenset[str]) -> sa.Insert:
    """``INSERT INTO table (columns) VALUES (:column, …)``, built once per set of columns."""
    return table.insert().values({c: sa.bindparam(c, type_=table.c[c].type) for c in columns})


@lru_cache(maxsize=128)  # shapes vary with the number of answers and of alert recipients
def _chained_insert(shape: tuple[tuple[sa.Table, tuple[str, ...], _Links], ...],
                    update_shape: tuple[Mapper[Any], tuple[str, ...]] | None) -> sa.Select:
    """``WITH r0 AS (INSERT … RETURNING id), r1 AS (INSERT … (SELECT id FROM r0) …) …
    SELECT (SELECT id FROM r0), …``: a PostgreSQL statement per shape of rows, built once."""
    ctes: list[sa.CTE] = []
    for index, (table, columns, linked) in enumerate(shape):
        values: dict[str, Any] = {
            column: sa.bindparam(f"r{index}_{column}", type_=table.c[column].type)
            for column in columns}
        for _, column, parent in linked:
            values[column] = sa.select(*ctes[parent].c).scalar_subquery()
        (pk,) = table.primary_key.columns
        ctes.append(table.insert().values(values).returning(pk).cte(f"r{index}"))
    statement = sa.select(*(sa.select(*cte.c).scalar_subquery() for cte in ctes))
    if update_shape is not None:  # a CTE nothing refers to, run all the same
        statement = statement.add_cte(_update_statement(*update_shape).cte("u"))
    return statement


@cache
def _update_statement(mapper: Mapper[Any], keys: tuple[str, ...]) -> sa.Update:
    """``UPDATE … SET column = :u_<attribute> … WHERE pk = :u_pk``, built once per shape."""
    (pk,) = mapper.primary_key
    return (mapper.local_table.update().where(pk == sa.bindparam("u_pk"))
            .values({mapper.get_property(k).columns[0].key: sa.bindparam(f"u_{k}")
                     for k in keys}))
