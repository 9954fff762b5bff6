"""The demo customers' purchases: two years of orders, renewals and cancellations that follow
their answers (detractors cancel more often than passives, passives more than promoters), so
the retention page tells the story the survey programme is meant to find."""

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
    first = today - timedelta(days=rng.randint(400, 730) if rng.random() < 0.8
                              else rng.randint(20, 360))
    churn = Fraction(CHURN.get(answer, CHURN[None])).limit_denominator(20)  # small decks
    leaves = rng.deal(("leaves", answer), {True: churn.numerator,
                                           False: churn.denominator - churn.numerator})
    end = today - timedelta(days=rng.randint(15, 320)) if leaves else today
    rows, day, kind = [], first, ActivityKind.PURCHASE
    while day <= end:
        amount = (price * Decimal(rng.uniform(0.8, 1.3))).quantize(Decimal("0.01"))
        rows.append({"person_id": person_id, "occurred_on": day, "kind": kind,
                     "amount": amount, "currency": "EUR"})
        kind = ActivityKind.RENEWAL if plan == "pro" else ActivityKind.PURCHASE
        day += timedelta(days=max(7, round(every * rng.uniform(0.7, 1.3))))
    if leaves and rows and rng.random() < CANCEL_SHARE:
        rows.append({"person_id": person_id, "occurred_on": end + timedelta(days=1),
                     "kind": ActivityKind.CANCELLATION, "amount": None, "currency": None})
    return rows
