"""The derived per-customer tables — :class:`ActivitySummary` and :class:`ActiveSpell` — kept
exact: every writer of ``activities`` calls :func:`refresh` for the people it touched, in its
own transaction; ``polso activity summarize`` calls :func:`rebuild`.

Why (docs/retention.md, "Speed"): on 1,000,000 activity rows the retention page and the health
light spent seconds aggregating every row per customer; these tables hold about one row per
customer. Both are recomputed per person from their rows (a few index reads each), never
patched, so they cannot drift from the activity they come from.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, and_, case, delete, func, insert, or_, select, true

from survey_app.core.db import db
from survey_app.retention.models import ActiveSpell, Activity, ActivityKind, ActivitySummary


def refresh(person_ids: Collection[int]) -> None:
    """Recompute both tables for these people from their activity (flushes, never commits);
    people without activity are left with no rows."""
    if person_ids:
        _replace(lambda column: column.in_(list(person_ids)))


def rebuild() -> int:
    """Recompute both tables for everyone (flushes); returns how many customers have rows."""
    _replace(lambda _column: true())
    return db.session.scalar(select(func.count()).select_from(ActivitySummary)) or 0


def _replace(only: Any) -> None:
    db.session.flush()
    for model in (ActivitySummary, ActiveSpell):
        db.session.execute(delete(model).where(only(model.person_id)))
    config = current_app.config
    summary = _summary_select(only(Activity.person_id), config["RETENTION_CURRENCY"])
    db.session.execute(insert(ActivitySummary).from_select(
        [c.name for c in summary.selected_columns], summary))
    spells = _spell_select(only(Activity.person_id), config["RETENTION_ACTIVE_DAYS"])
    db.session.execute(insert(ActiveSpell).from_select(
        ["person_id", "started_on", "ended_on"], spells))
    db.session.flush()


def is_order() -> ColumnElement[bool]:
    """An order: any kind but a cancellation."""
    return Activity.kind != ActivityKind.CANCELLATION


def _summary_select(only: ColumnElement[bool], currency: str) -> Any:
    priced = and_(is_order(), Activity.amount.is_not(None),
                  or_(Activity.currency.is_(None), Activity.currency == currency))
    facts = (select(Activity.person_id,
                    func.min(Activity.occurred_on).label("first_on"),
                    func.max(Activity.occurred_on).label("last_on"),
                    func.max(case((is_order(), Activity.occurred_on))).label("last_order_on"),
                    func.max(case((~is_order(), Activity.occurred_on))).label("last_cancel_on"),
                    func.count(case((is_order(), 1))).label("orders"),
                    func.coalesce(func.sum(case((priced, Activity.amount))), 0).label("money"))
             .where(only).group_by(Activity.person_id).subquery())
    gaps = usual_gaps(only)
    return (select(facts, gaps.c.usual.label("usual_gap"))
            .outerjoin(gaps, gaps.c.person_id == facts.c.person_id))


def usual_gaps(only: ColumnElement[bool], until: Any = None) -> Any:
    """Per person: the median number of days between consecutive orders (up to ``until``).

    Both windows read the activity index in its order: the gaps do not depend on how orders of
    the same day are ordered, and the rank and count share one sort (measured: bench/).
    """
    previous = func.lag(Activity.occurred_on).over(partition_by=Activity.person_id,
                                                   order_by=Activity.occurred_on)
    conditions = [is_order(), only]
    if until is not None:
        conditions.append(Activity.occurred_on <= until)
    gaps = (select(Activity.person_id, days_between(Activity.occurred_on, previous).label("gap"))
            .where(*conditions).subquery())
    by_gap = {"partition_by": gaps.c.person_id, "order_by": gaps.c.gap}
    ranked = (select(gaps.c.person_id, gaps.c.gap,
                     func.row_number().over(**by_gap).label("rn"),
                     func.count().over(**by_gap, rows=(None, None)).label("n"))
              .where(gaps.c.gap.is_not(None)).subquery())
    # Floor division: the two middle ranks of an even count (``/`` is true division).
    middle = or_(ranked.c.rn == (ranked.c.n + 1) // 2, ranked.c.rn == (ranked.c.n + 2) // 2)
    return (select(ranked.c.person_id, func.avg(ranked.c.gap).label("usual"))
            .where(middle).group_by(ranked.c.person_id).subquery())


def _spell_select(only: ColumnElement[bool], active_days: int) -> Any:
    """Each order makes its customer active from its day until ``active_days`` later or the
    day before the next cancellation on or after it (on the same day the cancellation wins);
    overlapping or touching runs are merged (gaps and islands, two window passes)."""
    next_cancel = func.min(case((~is_order(), Activity.occurred_on))).over(
        partition_by=Activity.person_id, order_by=Activity.occurred_on, range_=(0, None))
    events = (select(Activity.person_id, Activity.occurred_on, is_order().label("is_order"),
                     next_cancel.label("next_cancel"))
              .where(only).subquery())
    expires = plus_days(events.c.occurred_on, active_days - 1)
    until = case((and_(events.c.next_cancel.is_not(None),
                       plus_days(events.c.next_cancel, -1) < expires),
                  plus_days(events.c.next_cancel, -1)), else_=expires)
    runs = (select(events.c.person_id, events.c.occurred_on.label("started_on"),
                   until.label("ended_on"))
            .where(events.c.is_order, events.c.next_cancel.is_distinct_from(events.c.occurred_on))
            .subquery())
    # Runs of the same day end on the same day: their order among themselves does not matter.
    reach = func.max(runs.c.ended_on).over(partition_by=runs.c.person_id,
                                           order_by=runs.c.started_on, rows=(None, -1))
    starts = (select(runs, case((or_(reach.is_(None),
                                     runs.c.started_on > plus_days(reach, 1)), 1),
                                else_=0).label("is_start"))
              .subquery())
    island = func.sum(starts.c.is_start).over(partition_by=starts.c.person_id,
                                              order_by=starts.c.started_on, rows=(None, 0))
    numbered = select(starts, island.label("island")).subquery()
    return (select(numbered.c.person_id, func.min(numbered.c.started_on),
                   func.max(numbered.c.ended_on))
            .group_by(numbered.c.person_id, numbered.c.island))


def days_between(later: Any, earlier: Any) -> ColumnElement[Any]:
    """Whole days from ``earlier`` to ``later`` (two dates), on SQLite and PostgreSQL."""
    if db.session.get_bind().dialect.name == "sqlite":
        return func.julianday(later) - func.julianday(earlier)
    return later - earlier


def plus_days(day: Any, days: int) -> ColumnElement[Any]:
    """``day`` moved by ``days`` (negative: back), on SQLite and PostgreSQL."""
    if db.session.get_bind().dialect.name == "sqlite":
        return func.date(day, f"{days:+d} days")
    return day + days
