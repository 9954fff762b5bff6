"""The Person model."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from survey_app.core.db import IDS_NEVER_REUSED, db, utcnow


class PersonKind(StrEnum):
    CUSTOMER = "customer"
    EMPLOYEE = "employee"


class Person(db.Model):
    """A customer or employee, unique by (lower-cased) e-mail."""

    __tablename__ = "people"
    __table_args__ = (
        sa.CheckConstraint("kind IN ('customer', 'employee')", "kind_valid"),
        sa.CheckConstraint("locale IN ('en', 'it')", "locale_valid"),
        IDS_NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Lower-cased address; the identity used by imports and links.
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200), default="")
    kind: Mapped[str] = mapped_column(sa.String(16), default=PersonKind.CUSTOMER)
    #: Language of the pages and e-mails this person gets.
    locale: Mapped[str] = mapped_column(sa.String(8), default="en")
    #: Free segment attributes (department, team, plan, region …), copied onto each response.
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    unsubscribed_dt: Mapped[datetime | None]
    #: A mail server refused the address permanently (SMTP 5xx); no more e-mails until cleared.
    bounced_dt: Mapped[datetime | None]
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<Person {self.id}>"
