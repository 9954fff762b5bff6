"""The Activity model: one customer event (purchase, renewal, cancellation, reactivation)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from survey_app.core.db import db, utcnow


class ActivityKind(StrEnum):
    PURCHASE = "purchase"
    RENEWAL = "renewal"
    CANCELLATION = "cancellation"
    REACTIVATION = "reactivation"


#: The kinds that are an order (everything but a cancellation): they make a customer active.
ORDER_KINDS = (ActivityKind.PURCHASE, ActivityKind.RENEWAL, ActivityKind.REACTIVATION)


class Activity(db.Model):
    """One event in a customer's relationship with the business, imported from CSV.

    Only customers have activity (the importer refuses employees); erasing a person deletes
    theirs (``ondelete="CASCADE"`` and :func:`survey_app.privacy.erasure.erase_person`).
    """

    __tablename__ = "activities"
    __table_args__ = (
        sa.CheckConstraint("kind IN ('purchase', 'renewal', 'cancellation', 'reactivation')",
                           "kind_valid"),
        sa.CheckConstraint("amount >= 0", "amount_not_negative"),
        sa.CheckConstraint("length(currency) = 3", "currency_length"),
        #: Every customer's events in date order, and a period's orders (frequency, average
        #: order value) from the index alone: no table reads (measured: bench/retention.py).
        sa.Index("ix_activities_person_orders", "person_id", "occurred_on", "kind", "amount",
                 "currency"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id", ondelete="CASCADE"))
    #: The day it happened (the business's calendar day; no time: exact times are not needed).
    occurred_on: Mapped[date]
    kind: Mapped[str] = mapped_column(sa.String(16))
    #: What was paid (≥ 0); ``None`` when the file gave no amount (e.g. a cancellation).
    amount: Mapped[Decimal | None] = mapped_column(sa.Numeric(12, 2))
    #: ISO 4217 code, upper case; ``None``: the configured ``RETENTION_CURRENCY``.
    currency: Mapped[str | None] = mapped_column(sa.String(3))
    #: The sender's own id for the event: the key that makes a re-import change nothing.
    external_id: Mapped[str] = mapped_column(sa.String(100), unique=True)
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<Activity {self.id} {self.kind}>"


class ActivitySummary(db.Model):
    """One customer's activity in one row, so lists and reports read 100,000 rows rather than
    a million (docs/retention.md, "Speed").

    Derived from ``activities`` and kept exact by :mod:`survey_app.retention.summaries` in the
    same transaction as every write (import, demo, erasure); ``polso activity summarize``
    rebuilds it. Money is in the ``RETENTION_CURRENCY`` configured when it was built.
    """

    __tablename__ = "activity_summaries"

    person_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id", ondelete="CASCADE"),
                                           primary_key=True)
    #: The earliest and latest days with any activity.
    first_on: Mapped[date]
    last_on: Mapped[date]
    #: The latest order (purchase, renewal, reactivation) and the latest cancellation.
    last_order_on: Mapped[date | None]
    last_cancel_on: Mapped[date | None]
    #: Orders, and what they were paid in the configured currency (or with no currency).
    orders: Mapped[int]
    money: Mapped[Decimal] = mapped_column(sa.Numeric(14, 2))
    #: The median of the days between consecutive orders; ``None`` below two orders.
    usual_gap: Mapped[float | None]


class ActiveSpell(db.Model):
    """A run of days on which a customer is active (docs/retention.md, "Who is an active
    customer"), for the ``RETENTION_ACTIVE_DAYS`` configured when it was built: active on day
    ``d`` exactly when one of their spells has ``started_on <= d <= ended_on``. Derived and kept
    like :class:`ActivitySummary`."""

    __tablename__ = "active_spells"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id", ondelete="CASCADE"))
    started_on: Mapped[date]
    ended_on: Mapped[date]
    __table_args__ = (
        sa.CheckConstraint("ended_on >= started_on", "ordered"),
        #: A customer's spells, read from the index alone.
        sa.Index("ix_active_spells_person", "person_id", "started_on", "ended_on"),
    )
