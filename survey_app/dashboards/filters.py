"""Dashboard filters from a query string (or CLI options): period, trend step, category, segment.

Everything a user can type is checked here, so a bad value answers a clear 400, never a 500,
and nothing unchecked reaches SQL.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta

from flask_babel import gettext as _

from survey_app.core.db import utcnow
from survey_app.core.errors import DomainError
from survey_app.core.scoring import Category
from survey_app.surveys.models import Survey
from survey_app.themes.services import theme_labels

#: Preset periods: the last N days up to and including today.
PERIOD_DAYS = {"30d": 30, "90d": 90, "365d": 365}
PERIODS = (*PERIOD_DAYS, "all", "custom")
DEFAULT_PERIOD = "90d"
SENTIMENTS = ("negative", "neutral", "positive", "unknown")
GRANULARITIES = ("week", "month")
#: Segment attribute names: letters, digits, ``_``, ``-``, ``.`` and spaces (safe in a JSON path).
SEGMENT_KEY = re.compile(r"\w[\w .-]{0,63}")
MAX_SEGMENT_FILTERS = 3
MAX_SEGMENT_VALUE = 200
#: More trend points than this would make an unreadable chart (and a long SQL CASE).
MAX_BUCKETS = 130
#: Custom periods may reach this far back.
EARLIEST = date(2000, 1, 1)
CSAT_CATEGORIES = (Category.SATISFIED, Category.NEUTRAL, Category.DISSATISFIED)
NPS_CATEGORIES = (Category.PROMOTER, Category.PASSIVE, Category.DETRACTOR)


class InvalidFilterError(DomainError):
    """A filter in the query string is malformed; the message says which and why."""


@dataclass(frozen=True, slots=True)
class Period:
    """Days ``[start, end)`` in UTC; ``start is None`` means from the first response."""

    code: str
    start: date | None
    end: date
    granularity: str
    #: No trend step was asked for: the dashboard picks it from the data (``trend_step``).
    is_step_auto: bool = False
    #: ``(start, end)`` as asked, when an anonymous survey's period was widened to whole
    #: trend steps (:meth:`widened`).
    asked: tuple[date | None, date] | None = None

    @property
    def days(self) -> int | None:
        return None if self.start is None else (self.end - self.start).days

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    @property
    def is_widened(self) -> bool:
        """The period shown is wider than the one asked for."""
        return self.asked is not None and self.asked != (self.start, self.end)

    def widened(self) -> Period:
        """This period over whole trend steps: from the Monday (1st) of its first day's week
        (month) to the end of its last day's. Two such periods differ by whole steps, never by
        a few days that could single out the answers given on them (anonymous surveys)."""
        start, end = self.asked or (self.start, self.end)
        last = bucket_start(end - timedelta(days=1), self.granularity)
        return replace(self, asked=(start, end), end=next_bucket(last, self.granularity),
                       start=None if start is None else bucket_start(start, self.granularity))

    def previous(self) -> Period | None:
        """The period of the same length just before this one (none for "all time"); a
        widened period's as many whole steps before it."""
        if self.start is None:
            return None
        if self.asked is not None and self.granularity == "month":
            months = (self.end.year - self.start.year) * 12 + self.end.month - self.start.month
            start = self.start
            for _ in range(months):
                start = bucket_start(start - timedelta(days=1), "month")
            return replace(self, start=start, end=self.start)
        return replace(self, start=self.start - (self.end - self.start), end=self.start)

    def with_step(self, granularity: str) -> Period:
        """This period with another trend step, a widened one widened to the new step."""
        changed = replace(self, granularity=granularity)
        return changed if self.asked is None else changed.widened()

    def check_weeks(self, first_day: date | None) -> None:
        """All time by week: refused only when the answers span more weeks than a trend
        shows (a set period is checked when the query is read).

        :raises InvalidFilterError: more than two years of weeks.
        """
        if (self.start is None and self.granularity == "week" and first_day is not None
                and (self.end - first_day).days > 7 * MAX_BUCKETS):
            raise _too_many_weeks()

    def buckets(self, first_day: date | None) -> list[date]:
        """Start days of the trend buckets: the period's start, then each Monday or 1st."""
        start = self.start or first_day or self.end - timedelta(days=1)
        starts = [start]
        step = bucket_start(start, self.granularity)
        while True:
            step = next_bucket(step, self.granularity)
            if step >= self.end:
                return starts
            starts.append(step)


@dataclass(frozen=True, slots=True)
class Filters:
    """What the dashboard, its comments and its export are narrowed to."""

    period: Period
    category: str | None = None
    sentiment: str | None = None
    #: A theme key: only answers whose texts mention it (the themes panel's click-through).
    theme: str | None = None
    #: ``(attribute, value)`` pairs; value ``None`` selects responses without the attribute.
    segments: tuple[tuple[str, str | None], ...] = ()
    #: Segment attribute the breakdown table groups by (``None``: the first one found).
    breakdown: str | None = None
    page: int = 1

    @property
    def narrowing(self) -> list[str]:
        """Names of the filters that narrow the period's responses (for the anonymity check)."""
        names = [name for name in ("category", "sentiment", "theme") if getattr(self, name)]
        return names + [f"segment:{key}" for key, _value in self.segments]

    def without(self, name: str) -> Filters:
        """These filters minus the one called ``name`` (see :attr:`narrowing`)."""
        if name.startswith("segment:"):
            key = name.removeprefix("segment:")
            return replace(self, segments=tuple(s for s in self.segments if s[0] != key))
        return replace(self, **{name: None})

    def query_args(self, **changes: object) -> dict[str, object]:
        """Query-string arguments that reproduce these filters (with ``changes``)."""
        args: dict[str, object] = {"period": self.period.code, "trend": (
            None if self.period.is_step_auto else self.period.granularity)}
        if self.period.code == "custom":
            assert self.period.start is not None
            args["from"] = self.period.start.isoformat()
            args["to"] = self.period.last_day.isoformat()
        for name in ("category", "sentiment", "theme", "breakdown"):
            if getattr(self, name):
                args[name] = getattr(self, name)
        if self.segments:
            args["segment"] = [f"{k}:{v or ''}" for k, v in self.segments]
        args.update(changes)
        return {k: v for k, v in args.items() if v not in (None, "", [])}


def bucket_start(day: date, granularity: str) -> date:
    """The Monday of ``day``'s week, or the 1st of its month."""
    if granularity == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def next_bucket(day: date, granularity: str) -> date:
    if granularity == "week":
        return day + timedelta(days=7)
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def day_start(day: date) -> datetime:
    """Midnight UTC at the start of ``day`` (what the SQL compares ``submitted_dt`` with)."""
    return datetime.combine(day, time(), tzinfo=UTC)


def categories_of(survey: Survey) -> tuple[Category, ...]:
    return CSAT_CATEGORIES if survey.kind == "csat" else NPS_CATEGORIES


def parse_filters(args: Mapping[str, object], survey: Survey, *,
                  today: date | None = None) -> Filters:
    """Filters from query-string-like ``args`` (a ``MultiDict`` or a plain dict).

    For anonymous surveys the period is widened to whole trend steps (:meth:`Period.widened`),
    so two periods always differ by whole weeks or months, never by a few days.

    :raises InvalidFilterError: a value is malformed or not one of the allowed ones.
    """
    today = today or utcnow().date()
    period = _period(args, today)
    if survey.is_anonymous:
        period = period.widened()
    category = _choice(args, "category", [str(c) for c in categories_of(survey)])
    sentiment = _choice(args, "sentiment", SENTIMENTS)
    theme = _one(args, "theme")
    if theme is not None:
        theme = _choice(args, "theme", list(theme_labels(survey)))
    breakdown = _one(args, "breakdown")
    if breakdown is not None:
        _check_key(breakdown)
    return Filters(period=period, category=category, sentiment=sentiment, theme=theme,
                   segments=_segments(args), breakdown=breakdown, page=_page(args))


def parse_api_filters(args: Mapping[str, object], survey: Survey, *,
                      today: date | None = None) -> Filters:
    """The API's filters (docs/api.md) as the dashboard's, checked by :func:`parse_filters`.

    ``from``/``to`` (days; without ``from``: since the first response), ``period`` (the
    trend step, ``week`` or ``month``), ``category``, ``sentiment``, ``filter`` (repeatable
    ``attribute:value``, the dashboard's ``segment``) and ``segment`` (the attribute metrics
    are broken down by, the dashboard's ``breakdown``).

    :raises InvalidFilterError: as :func:`parse_filters`.
    """
    step = _choice(args, "period", GRANULARITIES)
    dashboard: dict[str, object] = {
        "period": "custom" if _values(args, "from") or _values(args, "to") else "all",
        "trend": step or "month", "from": _values(args, "from"), "to": _values(args, "to"),
        "category": _values(args, "category"), "sentiment": _values(args, "sentiment"),
        "segment": _values(args, "filter"), "breakdown": _values(args, "segment")}
    return parse_filters(dashboard, survey, today=today)


def _values(args: Mapping[str, object], name: str) -> list[str]:
    getlist = getattr(args, "getlist", None)
    values = getlist(name) if getlist else ([args[name]] if name in args else [])
    flat: list[str] = []
    for value in values:
        flat.extend(value if isinstance(value, list | tuple) else [value])
    return [str(v).strip() for v in flat if v is not None and str(v).strip() != ""]


def _one(args: Mapping[str, object], name: str) -> str | None:
    values = _values(args, name)
    if len(values) > 1:
        raise InvalidFilterError(_("Give %(name)s only once.", name=name))
    if values and ("\x00" in values[0] or len(values[0]) > 200):
        raise InvalidFilterError(_("The value of %(name)s is not valid.", name=name))
    return values[0] if values else None


def _choice(args: Mapping[str, object], name: str, allowed: tuple[str, ...] | list[str]
            ) -> str | None:
    value = _one(args, name)
    if value is not None and value not in allowed:
        raise InvalidFilterError(_("%(name)s must be one of: %(allowed)s.", name=name,
                                   allowed=", ".join(allowed)))
    return value


def _date(args: Mapping[str, object], name: str) -> date | None:
    value = _one(args, name)
    if value is None:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise InvalidFilterError(
            _("%(name)s must be a date written like 2026-03-31.", name=name)) from None
    if not EARLIEST <= day <= date(2100, 1, 1):
        raise InvalidFilterError(_("%(name)s is out of range.", name=name))
    return day


def _period(args: Mapping[str, object], today: date) -> Period:
    code = _choice(args, "period", PERIODS)
    start, last = _date(args, "from"), _date(args, "to")
    if code is None:
        code = "custom" if start or last else DEFAULT_PERIOD
    granularity = _choice(args, "trend", GRANULARITIES)
    end = today + timedelta(days=1)
    if code == "custom":
        if start is None:
            raise InvalidFilterError(_("A custom period needs a start date (from)."))
        end = (last or today) + timedelta(days=1)
        if end <= start:
            raise InvalidFilterError(_("The period must end on or after its start."))
    elif start or last:
        raise InvalidFilterError(_("Dates (from, to) go with period=custom only."))
    elif code != "all":
        start = end - timedelta(days=PERIOD_DAYS[code])
    days = None if start is None else (end - start).days
    is_step_auto = granularity is None
    granularity = granularity or ("week" if days is not None and days <= 120 else "month")
    if granularity == "week" and days is not None and days > 7 * MAX_BUCKETS:
        raise _too_many_weeks()
    if days is not None and days > 31 * MAX_BUCKETS:
        raise InvalidFilterError(_("A period may be at most ten years long."))
    return Period(code=code, start=start, end=end, granularity=granularity,
                  is_step_auto=is_step_auto)


def _too_many_weeks() -> InvalidFilterError:
    return InvalidFilterError(_("A weekly trend is available for periods up to two years; "
                                "choose a monthly trend."))


def _check_key(key: str) -> None:
    if not SEGMENT_KEY.fullmatch(key):
        raise InvalidFilterError(_("%(key)s is not a valid segment attribute name.",
                                   key=key[:70]))


def _segments(args: Mapping[str, object]) -> tuple[tuple[str, str | None], ...]:
    pairs: list[tuple[str, str | None]] = []
    values = _values(args, "segment")
    if len(values) > MAX_SEGMENT_FILTERS:
        raise InvalidFilterError(_("At most %(n)d segment filters.", n=MAX_SEGMENT_FILTERS))
    for raw in values:
        key, colon, value = raw.partition(":")
        if not colon:
            raise InvalidFilterError(_("A segment filter is written attribute:value, "
                                       "like department:Sales."))
        key, value = key.strip(), value.strip()
        _check_key(key)
        if len(value) > MAX_SEGMENT_VALUE or "\x00" in value:
            raise InvalidFilterError(_("The value of segment %(key)s is not valid.", key=key))
        if any(k == key for k, _v in pairs):
            raise InvalidFilterError(_("Filter segment %(key)s only once.", key=key))
        pairs.append((key, value or None))
    return tuple(pairs)


def _page(args: Mapping[str, object]) -> int:
    value = _one(args, "page")
    if value is None:
        return 1
    if not value.isascii() or not value.isdigit() or not 1 <= int(value) <= 10_000:
        raise InvalidFilterError(_("page must be a whole number from 1 to 10000."))
    return int(value)
