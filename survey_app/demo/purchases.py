"""The demo customers' purchases: two years of orders, renewals and cancellations that follow
their answers (detractors cancel more often than passives, passives more than promoters), so
the retention page tells the story the survey programme is meant to find.

The page's default year starts on the first of the month eleven months back: 334 to 365 days
before today. Its churn counts the customers active the day before and lost by today, so who
leaves is dealt among exactly those customers — the old ones, who joined at least
:data:`OLD_CUSTOMER_DAYS` ago — and each of them who leaves is lost by today: they cancel, or
their last order is more than a year old by today but not yet on the year's eve. Customers who
joined during the year (at most :data:`NEW_CUSTOMER_DAYS` ago, after the year's first day
whatever the date) have decks of their own."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

from sqlalchemy import insert, select

from survey_app.core.db import db
from survey_app.demo.history import Dealer
from survey_app.people.models import Person, PersonKind
from survey_app.retention import summaries
from survey_app.retention.models import Activity, ActivityKind
from survey_app.retention.queries import last_category

#: Chance that a customer leaves during the year, by their latest NPS answer.
CHURN = {"promoter": 0.05, "passive": 0.2, "detractor": 0.6, None: 0.15}
#: Of those who leave, the share that cancel (the others just stop buying).
CANCEL_SHARE = 0.85
#: Old customers joined 400–730 days ago, new ones 20–330 days ago (see above).
OLD_CUSTOMER_DAYS, NEW_CUSTOMER_DAYS = (400, 730), (20, 330)
#: Plan → (days between orders, typical amount in EUR).
PLANS = {"free": (75, Decimal("19.00")), "pro": (30, Decimal("49.00")),
         "enterprise": (91, Decimal("450.00"))}


def add_purchases(now: datetime, rng: Dealer) -> int:
    """Activity rows for every demo customer (flushed); returns how many."""
    today = now.date()
    rows: list[dict[str, Any]] = []
    category = last_category(today)
    customers = db.session.execute(
        select(Person.id, Person.attributes, category.c.category)
        .outerjoin(category, category.c.person_id == Person.id)
        .where(Person.kind == PersonKind.CUSTOMER).order_by(Person.id))
    for person_id, attributes, answer in customers:
        rows += _history(person_id, (attributes or {}).get("plan", "pro"), answer, today, rng)
    for number, row in enumerate(rows, start=1):
        row.update(external_id=f"demo-{number}", created_dt=now)
    if rows:
        db.session.execute(insert(Activity), rows)
        summaries.refresh({row["person_id"] for row in rows})
    db.session.flush()
    return len(rows)


def _history(person_id: int, plan: str, answer: str | None, today: date,
             rng: Dealer) -> list[dict[str, Any]]:
    every, price = PLANS.get(plan, PLANS["pro"])
    # Most customers are older than the default year on the page; a fifth joined during it.
    old = rng.random() < 0.8
    first = today - timedelta(days=rng.randint(*OLD_CUSTOMER_DAYS if old else NEW_CUSTOMER_DAYS))
    churn = Fraction(CHURN.get(answer, CHURN[None])).limit_denominator(20)  # small decks
    leaves = rng.deal(("leaves", answer, old), {True: churn.numerator,
                                                False: churn.denominator - churn.numerator})
    cancels = rng.random() < CANCEL_SHARE
    end = today
    if leaves and (cancels or not old):
        end = today - timedelta(days=rng.randint(15, 320))
    elif leaves:
        # Stopped buying: the last order (at most a gap before ``end``) expires during the
        # year — more than a year before today, yet less than a year before the year's eve.
        end = today - timedelta(days=rng.randint(370, min(580, (today - first).days)))
    rows, day, kind = [], first, ActivityKind.PURCHASE
    while day <= end:
        amount = (price * Decimal(rng.uniform(0.8, 1.3))).quantize(Decimal("0.01"))
        rows.append({"person_id": person_id, "occurred_on": day, "kind": kind,
                     "amount": amount, "currency": "EUR"})
        kind = ActivityKind.RENEWAL if plan == "pro" else ActivityKind.PURCHASE
        day += timedelta(days=max(7, round(every * rng.uniform(0.7, 1.3))))
    if leaves and rows and cancels:
        rows.append({"person_id": person_id, "occurred_on": end + timedelta(days=1),
                     "kind": ActivityKind.CANCELLATION, "amount": None, "currency": None})
    return rows
