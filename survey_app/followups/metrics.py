"""Queue metrics in SQL: open cases by priority, time to first action, SLA, recovered detractors.

Definitions (docs/followups.md): all figures cover the teams the user works.

- **median time to first action**: cases opened in the period that someone has acted on
  (claim, assign, note, reply or status change): the median of ``first_action_dt − created_dt``;
- **resolved within SLA**: of the cases due in the period (due time already past, closed-without-
  action ones left out), the share resolved by their due time;
- **recovered detractors**: people with a detractor case resolved in the period (the queue page:
  the last 30 days; the metrics page: each of the last 12 months) whose *next* identified answer
  (any survey) is no longer unhappy — 7 or more of 10 (CSAT: 3 or more of 5, the rule that
  decides whether a case opens); the rate is over those who answered again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from survey_app.core.db import db
from survey_app.core.scoring import UNHAPPY
from survey_app.followups.models import (
    OPEN_STATUSES,
    PRIORITY_RANK,
    CaseReason,
    CaseStatus,
    FollowUp,
)
from survey_app.responses.models import Response


class seconds_between(FunctionElement[float]):  # noqa: N801 — reads as SQL
    """``later − earlier`` in seconds, on SQLite and PostgreSQL."""

    type = sa.Float()
    inherit_cache = True


@compiles(seconds_between, "sqlite")
def _seconds_sqlite(element: seconds_between, compiler: Any, **kw: Any) -> str:
    later, earlier = (compiler.process(c, **kw) for c in element.clauses)
    return f"((julianday({later}) - julianday({earlier})) * 86400.0)"


@compiles(seconds_between, "postgresql")
def _seconds_postgresql(element: seconds_between, compiler: Any, **kw: Any) -> str:
    later, earlier = (compiler.process(c, **kw) for c in element.clauses)
    return f"EXTRACT(EPOCH FROM ({later} - {earlier}))"


@dataclass(frozen=True)
class RecoveredRow:
    """Recovered detractors of one month (by the month their case was resolved)."""

    month: datetime
    resolved: int
    answered_again: int
    recovered: int

    @property
    def rate(self) -> float | None:
        return self.recovered / self.answered_again if self.answered_again else None


@dataclass(frozen=True)
class QueueMetrics:
    open_by_priority: dict[str, int]
    median_first_action: timedelta | None
    #: Cases opened in the period that someone acted on / that nobody has touched yet.
    acted: int
    untouched: int
    #: Cases due in the period: resolved by their due time / all of them.
    within_sla: int
    due: int
    #: Recovered detractors among the cases resolved in the period.
    recovered: RecoveredRow
    days: int

    @property
    def sla_share(self) -> float | None:
        return self.within_sla / self.due if self.due else None


def open_by_priority(teams: list[str]) -> dict[str, int]:
    """Open cases per priority, in one row (read from the team/status/rank index alone)."""
    counts = db.session.execute(
        sa.select(*(sa.func.count().filter(FollowUp.priority_rank == rank)
                    for rank in PRIORITY_RANK.values()))
        .where(FollowUp.team.in_(teams), FollowUp.status.in_(OPEN_STATUSES))).one()
    return {p.value: n for p, n in zip(PRIORITY_RANK, counts, strict=True)}


def median_first_action(teams: list[str], since: datetime) -> tuple[timedelta | None, int, int]:
    """(median, acted, untouched) for cases opened since ``since``; the median by one ordered
    query at the middle offset (portable: SQLite has no percentile function)."""
    opened = [FollowUp.team.in_(teams), FollowUp.created_dt >= since]
    acted, untouched = db.session.execute(
        sa.select(sa.func.count(FollowUp.first_action_dt),
                  sa.func.count().filter(FollowUp.first_action_dt.is_(None)))
        .where(*opened)).one()
    if not acted:
        return None, 0, untouched
    duration = seconds_between(FollowUp.first_action_dt, FollowUp.created_dt)
    middle = list(db.session.scalars(
        sa.select(duration).where(*opened, FollowUp.first_action_dt.is_not(None))
        .order_by(duration).offset((acted - 1) // 2).limit(2 - acted % 2)))
    return timedelta(seconds=round(sum(middle) / len(middle))), acted, untouched


def within_sla(teams: list[str], since: datetime, now: datetime) -> tuple[int, int]:
    """(resolved by their due time, all) of the cases due between ``since`` and ``now``."""
    in_time = sa.and_(FollowUp.status == CaseStatus.RESOLVED, FollowUp.ended_dt <= FollowUp.due_dt)
    done, due = db.session.execute(
        sa.select(sa.func.count().filter(in_time), sa.func.count())
        .where(FollowUp.team.in_(teams), FollowUp.due_dt >= since, FollowUp.due_dt < now,
               FollowUp.status != CaseStatus.CLOSED)).one()
    return done, due


def month_starts(now: datetime, months: int) -> list[datetime]:
    """The first instants (UTC) of the last ``months`` months, newest first."""
    start = now.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    starts = [start]
    for _ in range(months - 1):
        start = (start - timedelta(days=1)).replace(day=1)
        starts.append(start)
    return starts


def recovered_detractors(teams: list[str], now: datetime, months: int = 6
                         ) -> list[RecoveredRow]:
    """Per month of resolution, newest first (see :func:`recovered`)."""
    return recovered(teams, month_starts(now, months))


def recovered(teams: list[str], starts: list[datetime]) -> list[RecoveredRow]:
    """For each period (from each of ``starts``, newest first, to the next newer one): people
    whose detractor case was resolved in it, those who answered again afterwards, and those
    whose next answer was not unhappy."""
    # 1 = answered again and still unhappy, 2 = recovered, NULL = not answered since.
    next_state = (
        sa.select(sa.case((Response.category.in_(sorted(UNHAPPY)), 1), else_=2))
        .where(Response.person_id == FollowUp.person_id,
               Response.submitted_dt > FollowUp.ended_dt, Response.is_anonymous.is_(False))
        .order_by(Response.submitted_dt, Response.id).limit(1)
        .correlate(FollowUp).scalar_subquery())
    bucket = sa.case(*[(FollowUp.ended_dt >= start, i) for i, start in enumerate(starts)])
    # MATERIALIZED: the next-answer lookup runs once per case, not once per aggregate using it.
    resolved = (
        sa.select(FollowUp.person_id, bucket.label("bucket"), next_state.label("state"))
        .where(FollowUp.team.in_(teams), FollowUp.status == CaseStatus.RESOLVED,
               FollowUp.reason == CaseReason.DETRACTOR, FollowUp.person_id.is_not(None),
               FollowUp.ended_dt >= starts[-1])
        .cte("resolved").prefix_with("MATERIALIZED"))
    person = sa.distinct(resolved.c.person_id)
    rows = db.session.execute(
        sa.select(resolved.c.bucket, sa.func.count(person),
                  sa.func.count(person).filter(resolved.c.state.is_not(None)),
                  sa.func.count(person).filter(resolved.c.state == 2))
        .group_by(resolved.c.bucket)).all()
    by_bucket = {row[0]: row[1:] for row in rows}
    return [RecoveredRow(start, *by_bucket.get(i, (0, 0, 0))) for i, start in enumerate(starts)]


def queue_metrics(teams: list[str], now: datetime, days: int = 30) -> QueueMetrics:
    since = now - timedelta(days=days)
    median, acted, untouched = median_first_action(teams, since)
    done, due = within_sla(teams, since, now)
    return QueueMetrics(open_by_priority(teams), median, acted, untouched, done, due,
                        recovered(teams, [since])[0], days)
