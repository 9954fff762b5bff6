"""Listing people with filters, one page at a time (SQL only)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, or_, select

from survey_app.core.db import db
from survey_app.people.models import Person

PAGE_SIZE = 50


@dataclass(frozen=True)
class PeopleFilter:
    q: str = ""
    kind: str = ""
    status: str = ""
    #: One ``name=value`` condition on the attributes.
    where: tuple[str, str] | None = None
    #: Kinds the viewer may see at all (HR: employees only).
    allowed_kinds: tuple[str, ...] = ("customer", "employee")
    #: Only these people (a select of ids), e.g. those whose health light is red.
    only: Select[Any] | None = None


def list_people(filters: PeopleFilter, page: int = 1) -> tuple[list[Person], int]:
    """One page of people matching ``filters`` (by e-mail) and how many match in all."""
    conditions = [Person.kind.in_(filters.allowed_kinds)]
    if filters.kind:
        conditions.append(Person.kind == filters.kind)
    if filters.q:
        text = filters.q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{text}%"
        conditions.append(or_(Person.email.like(pattern, escape="\\"),
                              func.lower(Person.name).like(pattern, escape="\\")))
    if filters.status == "unsubscribed":
        conditions.append(Person.unsubscribed_dt.is_not(None))
    elif filters.status == "bounced":
        conditions.append(Person.bounced_dt.is_not(None))
    elif filters.status == "active":
        conditions += [Person.unsubscribed_dt.is_(None), Person.bounced_dt.is_(None)]
    if filters.only is not None:
        conditions.append(Person.id.in_(filters.only))
    if filters.where:
        name, value = filters.where
        conditions.append(Person.attributes[name].as_string() == value)
    total = db.session.scalar(select(func.count()).select_from(Person).where(*conditions))
    people = db.session.scalars(select(Person).where(*conditions).order_by(Person.email)
                                .limit(PAGE_SIZE).offset((max(page, 1) - 1) * PAGE_SIZE))
    return list(people), total or 0


def people_page(kinds: tuple[str, ...], *, after: int | None, limit: int,
                email: str | None = None, kind: str | None = None) -> list[Person]:
    """Up to ``limit`` people of ``kinds`` in id order after id ``after`` (the API's keyset
    pages); ``email`` finds one address (any case), ``kind`` narrows to one kind."""
    conditions = [Person.kind.in_(kinds)]
    if after is not None:
        conditions.append(Person.id > after)
    if email is not None:
        conditions.append(Person.email == email.strip().lower())
    if kind is not None:
        conditions.append(Person.kind == kind)
    return list(db.session.scalars(select(Person).where(*conditions).order_by(Person.id)
                                   .limit(limit)))
