"""The health light per customer: green / yellow / red by documented rules, computed in SQL for
the whole list (docs/retention.md, "Health light") — one implementation for the people list,
the person and case pages, ``polso people health`` and the API.

Red: a detractor (CSAT: dissatisfied) in the last answer, an open red case, a cancellation as
the latest activity, or a drop of ``HEALTH_SCORE_DROP`` points between the last two answers.
Yellow: a passive (CSAT: neutral) in the last answer, a negative comment in it, no order for
longer than usual for that customer (their own median interval between orders ×
``HEALTH_INACTIVITY_FACTOR``, once they have ``HEALTH_MIN_ORDERS`` orders), or no answer to
their last ``HEALTH_UNANSWERED`` delivered invitations (each at least
``HEALTH_UNANSWERED_DAYS`` old). Green otherwise. Answers count when identified, on customer
surveys, and not suspected automated; employees never have a light.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    func,
    literal,
    or_,
    select,
    true,
    union_all,
)

from survey_app.core.db import db, for_reports, utcnow
from survey_app.followups.models import OPEN_STATUSES, FollowUp, Priority
from survey_app.invitations.models import Invitation
from survey_app.people.models import Person, PersonKind
from survey_app.responses.models import Response
from survey_app.retention.models import ORDER_KINDS, Activity, ActivityKind, ActivitySummary
from survey_app.retention.summaries import days_between, usual_gaps
from survey_app.surveys.models import Survey, SurveyKind

LIGHTS = ("red", "yellow", "green")
UNHAPPY = ("detractor", "dissatisfied")
LUKEWARM = ("passive", "neutral")
#: Invitations that reached the person (``queued``, ``bounced`` and ``failed`` did not).
DELIVERED = ("sent", "opened", "expired", "responded")


@dataclass(frozen=True)
class HealthRules:
    """The configurable thresholds (``POLSO_HEALTH_*``)."""

    score_drop: int = 3
    inactivity_factor: float = 1.5
    min_orders: int = 3
    unanswered: int = 2
    unanswered_days: int = 7

    @classmethod
    def from_config(cls) -> HealthRules:
        config = current_app.config
        return cls(config["HEALTH_SCORE_DROP"], config["HEALTH_INACTIVITY_FACTOR"],
                   config["HEALTH_MIN_ORDERS"], config["HEALTH_UNANSWERED"],
                   config["HEALTH_UNANSWERED_DAYS"])


@dataclass(frozen=True)
class Health:
    """A customer's light and the facts behind it (each reason says why, in words)."""

    person_id: int
    light: str
    is_detractor: bool = False
    has_red_case: bool = False
    cancelled_on: date | None = None
    last_score: int | None = None
    #: ``"csat"`` (1–5) or ``"nps"`` (0–10, eNPS too): the scale of the last answer.
    last_scale: str | None = None
    previous_score: int | None = None
    is_drop: bool = False
    is_passive: bool = False
    is_negative: bool = False
    days_without_order: int | None = None
    usual_interval: float | None = None
    is_inactive: bool = False
    unanswered: int = 0

    @property
    def reasons(self) -> list[str]:
        """Why the light is what it is, red reasons first, in the current language."""
        said = []
        is_csat = self.last_scale == "csat"
        if self.is_detractor and is_csat:
            said.append(_("Dissatisfied in the last answer (score %(score)s of 5).",
                          score=self.last_score))
        elif self.is_detractor:
            said.append(_("Detractor in the last answer (score %(score)s).",
                          score=self.last_score))
        if self.has_red_case:
            said.append(_("A red case is open."))
        if self.cancelled_on is not None:
            said.append(_("Cancelled on %(day)s (the latest activity).",
                          day=self.cancelled_on.isoformat()))
        if self.is_drop:
            said.append(_("Score dropped from %(before)s to %(after)s between the last two "
                          "answers.", before=self.previous_score, after=self.last_score))
        if self.is_passive and is_csat:
            said.append(_("Neutral in the last answer (score %(score)s of 5).",
                          score=self.last_score))
        elif self.is_passive:
            said.append(_("Passive in the last answer (score %(score)s).", score=self.last_score))
        if self.is_negative:
            said.append(_("Negative comment in the last answer."))
        if self.is_inactive:
            said.append(_("No order for %(days)s days; usually one every %(usual)s days.",
                          days=self.days_without_order, usual=round(self.usual_interval or 0)))
        if self.unanswered:
            said.append(_("No answer to the last %(n)s invitations.", n=self.unanswered))
        return said or [_("No warning signs.")]


def _flag(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return case((condition, 1), else_=0)


def health_select(rules: HealthRules, *, as_of: datetime | None = None,
                  people: Select[Any] | list[int] | None = None) -> Select[Any]:
    """One row per customer (``people``: person ids, or a select of them, to limit it to) as of
    ``as_of``: ``person_id``, ``light`` and the facts :class:`Health` explains."""
    current = as_of is None
    as_of = as_of or utcnow()
    today = literal(as_of.date(), Activity.occurred_on.type)
    # A few people (a page, one person): each part reads only their rows.
    only = (lambda column: column.in_(people)) if people is not None else (lambda _c: true())
    answers = _last_answers(as_of, only(Response.person_id))
    activity = _activity_facts(today, only, current=current)
    unanswered = _unanswered(rules, as_of, only(Invitation.person_id))
    red_case = (select(FollowUp.person_id).where(
        FollowUp.priority == Priority.RED, FollowUp.status.in_(OPEN_STATUSES),
        FollowUp.created_dt <= as_of, only(FollowUp.person_id)).distinct().subquery())

    is_detractor = answers.c.last_category.in_(UNHAPPY)
    has_red_case = red_case.c.person_id.is_not(None)
    is_cancelled = and_(activity.c.last_cancel.is_not(None),
                        or_(activity.c.last_order.is_(None),
                            activity.c.last_cancel >= activity.c.last_order))
    is_drop = and_(answers.c.previous_score - answers.c.last_score >= rules.score_drop,
                   answers.c.previous_scale == answers.c.last_scale)
    is_passive = answers.c.last_category.in_(LUKEWARM)
    is_negative = answers.c.last_sentiment == "negative"
    idle = days_between(today, activity.c.last_order)
    is_inactive = and_(~is_cancelled, activity.c.orders >= rules.min_orders,
                       idle > activity.c.usual * rules.inactivity_factor)
    is_unanswered = unanswered.c.person_id.is_not(None)
    light = case((or_(is_detractor, has_red_case, is_cancelled, is_drop), "red"),
                 (or_(is_passive, is_negative, is_inactive, is_unanswered), "yellow"),
                 else_="green")
    query = (
        select(Person.id.label("person_id"), light.label("light"),
               _flag(is_detractor).label("is_detractor"), _flag(has_red_case).label("has_red_case"),
               case((is_cancelled, activity.c.last_cancel)).label("cancelled_on"),
               answers.c.last_score, answers.c.last_scale, answers.c.previous_score,
               _flag(is_drop).label("is_drop"),
               _flag(is_passive).label("is_passive"), _flag(is_negative).label("is_negative"),
               idle.label("days_without_order"), activity.c.usual.label("usual_interval"),
               _flag(is_inactive).label("is_inactive"),
               _flag(is_unanswered).label("is_unanswered"))
        .outerjoin(answers, answers.c.person_id == Person.id)
        .outerjoin(activity, activity.c.person_id == Person.id)
        .outerjoin(unanswered, unanswered.c.person_id == Person.id)
        .outerjoin(red_case, red_case.c.person_id == Person.id)
        .where(Person.kind == PersonKind.CUSTOMER, Person.created_dt <= as_of))
    if people is not None:
        query = query.where(Person.id.in_(people))
    return query


def _last_answers(as_of: datetime, only: ColumnElement[bool]) -> Any:
    """Per person: category, score, sentiment and scale of the last answer, score and scale of
    the one before (identified answers to customer surveys, not suspected automated)."""
    scale = case((Survey.kind == SurveyKind.CSAT, "csat"), else_="nps")
    ranked = (select(Response.person_id, Response.score, Response.category,
                     Response.sentiment_label, scale.label("scale"),
                     func.row_number().over(partition_by=Response.person_id,
                                            order_by=(Response.submitted_dt.desc(),
                                                      Response.id.desc())).label("rn"))
              .join(Survey, Survey.id == Response.survey_id)
              .where(Response.person_id.is_not(None), Response.is_anonymous.is_(False),
                     Response.is_suspected_automated.is_(False),
                     Survey.audience == "customers", Response.submitted_dt <= as_of, only)
              .subquery())
    first, second = ranked.c.rn == 1, ranked.c.rn == 2
    return (select(ranked.c.person_id,
                   func.max(case((first, ranked.c.category))).label("last_category"),
                   func.max(case((first, ranked.c.score))).label("last_score"),
                   func.max(case((first, ranked.c.sentiment_label))).label("last_sentiment"),
                   func.max(case((first, ranked.c.scale))).label("last_scale"),
                   func.max(case((second, ranked.c.score))).label("previous_score"),
                   func.max(case((second, ranked.c.scale))).label("previous_scale"))
            .where(ranked.c.rn <= 2).group_by(ranked.c.person_id).subquery())


def _activity_facts(today: Any, only: Callable[[Any], ColumnElement[bool]], *,
                    current: bool) -> Any:
    """Per person (``only(column)`` limits them): the latest cancellation and order days, the
    number of orders and the median days between orders (``usual``), up to ``today``.

    ``current`` (the light as of now): from :class:`ActivitySummary`, except for the few people
    with activity dated after today (the import accepts tomorrow), whose rows are read.
    """
    if not current:
        return _counted_facts(today, only(Activity.person_id))
    later = select(ActivitySummary.person_id).where(ActivitySummary.last_on > today,
                                                   only(ActivitySummary.person_id))
    summarized = (select(ActivitySummary.person_id,
                         ActivitySummary.last_cancel_on.label("last_cancel"),
                         ActivitySummary.last_order_on.label("last_order"),
                         ActivitySummary.orders, ActivitySummary.usual_gap.label("usual"))
                  .where(ActivitySummary.last_on <= today, only(ActivitySummary.person_id)))
    counted = _counted_facts(today, and_(only(Activity.person_id),
                                         Activity.person_id.in_(later)))
    return union_all(summarized, select(counted)).subquery()


def _counted_facts(today: Any, only: ColumnElement[bool]) -> Any:
    """:func:`_activity_facts` from the activity rows themselves."""
    is_order = Activity.kind.in_(ORDER_KINDS)
    facts = (select(Activity.person_id,
                    func.max(case((Activity.kind == ActivityKind.CANCELLATION,
                                   Activity.occurred_on))).label("last_cancel"),
                    func.max(case((is_order, Activity.occurred_on))).label("last_order"),
                    func.count(case((is_order, 1))).label("orders"))
             .where(Activity.occurred_on <= today, only).group_by(Activity.person_id)
             .subquery())
    usual = usual_gaps(only, today)
    return (select(facts, usual.c.usual)
            .outerjoin(usual, usual.c.person_id == facts.c.person_id).subquery())


def _unanswered(rules: HealthRules, as_of: datetime, only: ColumnElement[bool]) -> Any:
    """People whose last ``rules.unanswered`` delivered invitations (to customer surveys) all
    went unanswered for at least ``rules.unanswered_days``."""
    ranked = (select(Invitation.person_id, Invitation.status, Invitation.created_dt,
                     func.row_number().over(partition_by=Invitation.person_id,
                                            order_by=(Invitation.created_dt.desc(),
                                                      Invitation.id.desc())).label("rn"))
              .join(Survey, Survey.id == Invitation.survey_id)
              .where(Survey.audience == "customers", Invitation.status.in_(DELIVERED),
                     Invitation.created_dt <= as_of, only).subquery())
    old_enough = as_of - timedelta(days=rules.unanswered_days)
    silent = and_(ranked.c.status != "responded", ranked.c.created_dt <= old_enough)
    return (select(ranked.c.person_id).where(ranked.c.rn <= rules.unanswered)
            .group_by(ranked.c.person_id)
            .having(func.count(case((silent, 1))) == rules.unanswered).subquery())


def _health(row: Any, rules: HealthRules) -> Health:
    cancelled = row.cancelled_on
    if isinstance(cancelled, str):  # SQLite hands back CASE results as text
        cancelled = date.fromisoformat(cancelled)
    return Health(
        person_id=row.person_id, light=row.light, is_detractor=bool(row.is_detractor),
        has_red_case=bool(row.has_red_case), cancelled_on=cancelled,
        last_score=row.last_score, last_scale=row.last_scale, previous_score=row.previous_score,
        is_drop=bool(row.is_drop), is_passive=bool(row.is_passive),
        is_negative=bool(row.is_negative),
        days_without_order=None if row.days_without_order is None
        else int(row.days_without_order),
        usual_interval=None if row.usual_interval is None else float(row.usual_interval),
        is_inactive=bool(row.is_inactive),
        unanswered=rules.unanswered if row.is_unanswered else 0)


def health_of(person_ids: Iterable[int], *, as_of: datetime | None = None) -> dict[int, Health]:
    """``{person id: Health}`` of these customers (employees and unknown ids are left out)."""
    ids = list(person_ids)
    if not ids:
        return {}
    rules = HealthRules.from_config()
    rows = db.session.execute(health_select(rules, as_of=as_of, people=ids))
    return {row.person_id: _health(row, rules) for row in rows}


def all_health(*, as_of: datetime | None = None) -> Iterable[tuple[str, Health]]:
    """(e-mail, Health) of every customer, by e-mail, streamed."""
    for_reports()
    rules = HealthRules.from_config()
    inner = health_select(rules, as_of=as_of).subquery()
    query = (select(Person.email, inner).join(inner, inner.c.person_id == Person.id)
             .order_by(Person.email))
    for row in db.session.execute(query.execution_options(yield_per=2000)):
        yield row.email, _health(row, rules)


def light_counts(*, as_of: datetime | None = None) -> dict[str, int]:
    """How many customers have each light (every light present, zero included)."""
    for_reports()
    inner = health_select(HealthRules.from_config(), as_of=as_of).subquery()
    counts = dict(db.session.execute(select(inner.c.light, func.count())
                                     .group_by(inner.c.light)).tuples().all())
    return {light: counts.get(light, 0) for light in LIGHTS}


def people_with_light(light: str) -> Select[tuple[int]]:
    """A select of the ids of customers whose light is ``light`` (to filter a list)."""
    for_reports()
    inner = health_select(HealthRules.from_config()).subquery()
    return select(inner.c.person_id).where(inner.c.light == light)


def movement(months: int, *, now: datetime | None = None) -> list[tuple[date, dict[str, int]]]:
    """The counts per light at the end of each of the last ``months`` months (the current one
    up to now), oldest first. Cases and invitation statuses are taken as they are today."""
    now = now or utcnow()
    ends = []
    first = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    for _step in range(months):
        ends.append(min(now, _next_month(first) - timedelta(microseconds=1)))
        first = (first - timedelta(days=1)).replace(day=1)
    return [(end.date(), light_counts(as_of=end)) for end in reversed(ends)]


def _next_month(first: datetime) -> datetime:
    return (first + timedelta(days=32)).replace(day=1)
