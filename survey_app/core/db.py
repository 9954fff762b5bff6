"""The SQLAlchemy base, column types and engine set-up shared by every model."""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache, partial
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


def set_write_intent(enabled: bool = True) -> None:
    """Flag the current context (request or command) as writing."""
    _write_intent.set(enabled)


def write_intended() -> bool:
    """Whether the current request or command writes (see :mod:`survey_app.core.sqlite`)."""
    return _write_intent.get()


# --- writes without the unit of work -------------------------------------------------------------
#
# The respondent's answer is the hottest write: its unit-of-work flush (dependency sort, history,
# per-object bookkeeping) cost more than its statements. These helpers issue the same INSERTs and
# UPDATEs as prebuilt Core statements and leave the objects in the session as if just loaded.


@dataclass(frozen=True)
class _InsertPlan:
    statement: sa.Insert
    #: (attribute, column key, value when unset — None: the server default) of non-key columns.
    columns: tuple[tuple[str, str, Callable[[], Any] | None], ...]
    primary_key: str
    #: Many-to-one relationships and their (foreign key attribute, parent attribute) pairs.
    parents: tuple[tuple[str, tuple[tuple[str, str], ...]], ...]


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
        (rel.key, tuple((mapper.get_property_by_column(local).key,
                         rel.mapper.get_property_by_column(remote).key)
                        for local, remote in rel.local_remote_pairs))
        for rel in mapper.relationships if rel.direction is MANYTOONE)
    return _InsertPlan(mapper.local_table.insert(), tuple(columns),
                       mapper.get_property_by_column(pk).key, parents)


def insert_loaded(*objects: Base) -> None:
    """INSERT new objects, in the order given (parents first), one Core statement each.

    Python-side column defaults are applied, foreign keys are copied from many-to-one
    relationships already set (``case.response = response``), and each object gets its new
    primary key. The objects then join the session as persistent and loaded: nothing is
    flushed for them again. Raises what the database raises (e.g. ``IntegrityError``).
    """
    connection = db.session.connection()
    for obj in objects:
        state = sa.inspect(obj)
        plan = _insert_plan(state.mapper)
        values = state.dict
        for relationship, pairs in plan.parents:
            parent = values.get(relationship)
            if parent is not None:
                for local, remote in pairs:
                    setattr(obj, local, getattr(parent, remote))
        row = {}
        for attribute, column, make in plan.columns:
            if attribute not in values and make is not None:
                setattr(obj, attribute, make())
            if attribute in values:
                row[column] = values[attribute]
        result = connection.execute(plan.statement, row)
        setattr(obj, plan.primary_key, result.inserted_primary_key[0])
    for obj in objects:
        make_transient_to_detached(obj)
    db.session.add_all(objects)


@cache
def _update_statement(mapper: Mapper[Any], keys: tuple[str, ...]) -> sa.Update:
    (pk,) = mapper.primary_key
    return (mapper.local_table.update().where(pk == sa.bindparam("pk_"))
            .values({mapper.get_property(k).columns[0].key: sa.bindparam(f"{k}_") for k in keys}))


def update_loaded(obj: Base, **values: Any) -> None:
    """UPDATE some columns of a loaded object with one Core statement and record the new
    values as loaded (no unit of work; there is no version check)."""
    state = sa.inspect(obj)
    statement = _update_statement(state.mapper, tuple(sorted(values)))
    params = {f"{key}_": value for key, value in values.items()}
    db.session.connection().execute(statement, {**params, "pk_": state.identity[0]})
    for key, value in values.items():
        set_committed_value(obj, key, value)
