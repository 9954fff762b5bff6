"""The retention figures' SQL, grouped in the database.

"Active at day d" (docs/retention.md): the customer's latest order (purchase, renewal or
reactivation) on or before d is less than ``active_days`` old, and no cancellation came on or
after that order's day up to d (on the same day, the cancellation wins). The days on which that
holds are kept as :class:`ActiveSpell` rows (:mod:`~survey_app.retention.summaries`), so a
boundary day costs one comparison per customer, not a pass over their activity.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select

from survey_app.core.db import db
from survey_app.people.models import Person, PersonKind
from survey_app.responses.models import Response
from survey_app.retention.metrics import Counts
from survey_app.retention.models import ActiveSpell, Activity, ActivitySummary
from survey_app.retention.summaries import is_order
from survey_app.surveys.models import Survey

#: The NPS groups of voice meets behaviour; ``None``: customers with no NPS answer yet.
CATEGORIES = ("promoter", "passive", "detractor", None)


@dataclass(frozen=True)
class Scope:
    """Which customers and which period: validated by the form or the command."""

    start: date
    end: date
    #: One ``(attribute, value)`` condition on the customers, or ``None`` for all.
    segment: tuple[str, str] | None = None
    active_days: int = 365
    currency: str = "EUR"


def customers(scope: Scope) -> Select[Any]:
    """Ids of the customers in scope — employees never, whatever the segment says."""
    query = select(Person.id.label("person_id")).where(Person.kind == PersonKind.CUSTOMER)
    if scope.segment:
        name, value = scope.segment
        query = query.where(sa.cast(Person.attributes[name].as_string(), sa.String) == value)
    return query


def last_category(until: date) -> sa.Subquery:
    """Each customer's category in their latest answer to an identified customer NPS survey
    given before the day after ``until`` (anonymous answers are linked to nobody)."""
    ranked = (
        select(Response.person_id, Response.category,
               func.row_number().over(partition_by=Response.person_id,
                                      order_by=(Response.submitted_dt.desc(),
                                                Response.id.desc())).label("rank"))
        .join(Survey, Survey.id == Response.survey_id)
        .where(Response.person_id.is_not(None), Survey.kind == "nps",
               Survey.audience == "customers", Survey.anonymity == "identified",
               Response.submitted_dt < datetime.combine(until + timedelta(days=1), time(),
                                                        tzinfo=UTC))
        .subquery()
    )
    return select(ranked.c.person_id, ranked.c.category).where(ranked.c.rank == 1).subquery()


def _states(days: Sequence[date]) -> sa.Subquery:
    """Per customer with a spell, whether they are active on each of ``days`` (columns
    ``a0, a1 …``, 1 or 0) — read from :class:`ActiveSpell`, about one row per customer."""
    columns = [func.max(case((and_(ActiveSpell.started_on <= day, ActiveSpell.ended_on >= day),
                              1), else_=0)).label(f"a{i}") for i, day in enumerate(days)]
    return (select(ActiveSpell.person_id, *columns)
            .where(ActiveSpell.started_on <= max(days), ActiveSpell.ended_on >= min(days))
            .group_by(ActiveSpell.person_id).subquery())


def _orders(scope: Scope) -> sa.Subquery:
    """Per customer, the period's orders (``orders``), those priced in the scope's currency
    (``priced``) and their amount (``revenue``): only the period's rows are read."""
    priced = and_(Activity.amount.is_not(None),
                  or_(Activity.currency.is_(None), Activity.currency == scope.currency))
    return (select(Activity.person_id, func.count().label("orders"),
                   func.count(case((priced, 1))).label("priced"),
                   func.sum(case((priced, Activity.amount))).label("revenue"))
            .where(Activity.occurred_on >= scope.start, Activity.occurred_on <= scope.end,
                   is_order())
            .group_by(Activity.person_id).subquery())


def _count(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def month_ends(start: date, end: date) -> list[date]:
    """The last day of each month from ``start``'s to ``end``'s (``end`` itself last)."""
    days = []
    day = start
    while True:
        following = (day.replace(day=1) + timedelta(days=32)).replace(day=1)
        last = following - timedelta(days=1)
        if last >= end:
            days.append(end)
            return days
        days.append(last)
        day = following


@dataclass(frozen=True)
class Month:
    """One month of the trend (the first and last ones may be partial)."""

    first: date
    last: date
    start: int
    end: int
    new: int
    lost: int

    def __add__(self, other: Month) -> Month:
        return Month(self.first, self.last, self.start + other.start, self.end + other.end,
                     self.new + other.new, self.lost + other.lost)


def period_counts(scope: Scope, *, trend: bool = True
                  ) -> tuple[dict[str | None, Counts], list[Month]]:
    """The period's :class:`Counts` per last NPS category (a key of :data:`CATEGORIES`) and,
    with ``trend``, its months — one query over the spells and the period's orders."""
    ends = month_ends(scope.start, scope.end) if trend else [scope.end]
    days = [scope.start - timedelta(days=1), *ends]
    people = customers(scope).subquery()
    states = _states(days)
    orders = _orders(scope)
    category = last_category(scope.end)
    active = [func.coalesce(states.c[f"a{i}"], 0) == 1 for i in range(len(days))]
    first, last = active[0], active[-1]
    columns = [_count(first), _count(last), _count(and_(last, ~first)),
               _count(and_(first, ~last)), _count(orders.c.orders > 0),
               _count(orders.c.orders >= 2), func.coalesce(func.sum(orders.c.orders), 0),
               func.coalesce(func.sum(orders.c.priced), 0),
               func.coalesce(func.sum(orders.c.revenue), 0)]
    columns += [_count(condition) for condition in active]
    for before, after in zip(active, active[1:], strict=False):
        columns += [_count(and_(after, ~before)), _count(and_(before, ~after))]
    query = (select(category.c.category, *columns)
             .select_from(people)
             .outerjoin(states, states.c.person_id == people.c.person_id)
             .outerjoin(orders, orders.c.person_id == people.c.person_id)
             .outerjoin(category, category.c.person_id == people.c.person_id)
             .group_by(category.c.category))
    result = {key: Counts() for key in CATEGORIES}
    months = [Month(max(scope.start, end.replace(day=1)), end, 0, 0, 0, 0) for end in ends]
    for key, *values in db.session.execute(query):
        # PostgreSQL sums integers as numeric: bring them back to int.
        numbers = [int(v) for v in values[:8] + values[9:]]
        result[key if key in result else None] += Counts(*numbers[:8], Decimal(values[8] or 0))
        at, moves = numbers[8:8 + len(days)], numbers[8 + len(days):]
        months = [month + Month(month.first, month.last, at[i], at[i + 1], moves[2 * i],
                                moves[2 * i + 1]) for i, month in enumerate(months)]
    return result, months


#: RFM segments by recency score then frequency score (1–5 each), first match wins: the usual
#: R × F grid (docs/retention.md).
RFM_SEGMENTS: tuple[tuple[str, tuple[int, int], tuple[int, int]], ...] = (
    ("champions", (5, 5), (4, 5)),
    ("loyal", (3, 4), (4, 5)),
    ("potential_loyalists", (4, 5), (2, 3)),
    ("new_customers", (5, 5), (1, 1)),
    ("promising", (4, 4), (1, 1)),
    ("need_attention", (3, 3), (3, 3)),
    ("about_to_sleep", (3, 3), (1, 2)),
    ("cannot_lose", (1, 2), (5, 5)),
    ("at_risk", (1, 2), (3, 4)),
    ("lost", (1, 1), (1, 1)),
    ("hibernating", (1, 2), (1, 2)),
)


@dataclass(frozen=True)
class RfmGroup:
    segment: str
    customers: int
    #: Average days since the last order, orders and money per customer.
    recency_days: float
    frequency: float
    monetary: float
    #: Customers with an NPS answer, promoters and detractors among them.
    answered: int
    promoters: int
    detractors: int


def rfm(scope: Scope) -> list[RfmGroup]:
    """Customers with an order up to the period's end in RFM segments: quintile scores
    (``NTILE(5)``) of recency, frequency and money, named by :data:`RFM_SEGMENTS`."""
    base = _rfm_base(scope)
    scored = select(
        base,
        func.ntile(5).over(order_by=(base.c.last, base.c.person_id)).label("r"),
        func.ntile(5).over(order_by=(base.c.orders, base.c.money, base.c.person_id)).label("f"),
    ).subquery()
    segment = case(*[(and_(scored.c.r.between(*r), scored.c.f.between(*f)), name)
                     for name, r, f in RFM_SEGMENTS], else_="hibernating").label("segment")
    category = last_category(scope.end)
    days = _days_between(scored.c.last, scope.end)
    query = (select(segment, func.count(), func.avg(days), func.avg(scored.c.orders),
                    func.avg(scored.c.money), func.count(category.c.category),
                    _count(category.c.category == "promoter"),
                    _count(category.c.category == "detractor"))
             .select_from(scored)
             .outerjoin(category, category.c.person_id == scored.c.person_id)
             .group_by(segment))
    found = {row[0]: row for row in db.session.execute(query)}
    return [RfmGroup(name, int(row[1]), float(row[2]), float(row[3]), float(row[4]),
                     int(row[5]), int(row[6]), int(row[7]))
            for name, *_grid in RFM_SEGMENTS if (row := found.get(name))]


def _rfm_base(scope: Scope) -> sa.Subquery:
    """Per customer with an order up to the period's end: the latest order's day (``last``),
    orders and money up to then. From :class:`ActivitySummary` for customers with no activity
    after the end (all of them when the period ends today); from their activity rows for the
    others."""
    people = customers(scope).subquery()
    later = select(ActivitySummary.person_id).where(ActivitySummary.last_on > scope.end)
    summarized = (select(ActivitySummary.person_id, ActivitySummary.last_order_on.label("last"),
                         ActivitySummary.orders, ActivitySummary.money)
                  .join(people, people.c.person_id == ActivitySummary.person_id)
                  .where(ActivitySummary.last_on <= scope.end, ActivitySummary.orders > 0))
    priced = and_(Activity.amount.is_not(None),
                  or_(Activity.currency.is_(None), Activity.currency == scope.currency))
    counted = (select(Activity.person_id, func.max(Activity.occurred_on).label("last"),
                      func.count().label("orders"),
                      func.coalesce(func.sum(case((priced, Activity.amount))), 0).label("money"))
               .join(people, people.c.person_id == Activity.person_id)
               .where(Activity.occurred_on <= scope.end, is_order(),
                      Activity.person_id.in_(later))
               .group_by(Activity.person_id))
    return sa.union_all(summarized, counted).subquery()


def _days_between(column: ColumnElement[date], day: date) -> ColumnElement[float]:
    """Days from ``column`` to ``day`` on either database."""
    if db.engine.dialect.name == "sqlite":
        return func.julianday(sa.literal(day.isoformat())) - func.julianday(column)
    return sa.literal(day, sa.Date) - column
