"""Customers with activity and NPS answers, written directly (the importer has its own tests)."""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from survey_app.core.db import db
from survey_app.core.scoring import categorise
from survey_app.people.models import Person
from survey_app.responses.models import Response
from survey_app.retention import summaries
from survey_app.retention.models import Activity
from survey_app.surveys.services import create_survey

_ids = itertools.count(1)


def add_survey(**options: Any) -> int:
    """A new survey's id (NPS unless ``kind=`` says otherwise; flushed)."""
    kind = options.pop("kind", "nps")
    survey = create_survey(kind=kind, title="NPS", slug=f"ret-{next(_ids)}", **options)
    db.session.flush()
    return survey.id


def add_customer(email: str, events: Sequence[tuple] = (), answers: Sequence[tuple] = (),
                 kind: str = "customer", **attributes: str) -> Person:
    """``add_customer(email, events=[("2026-01-05", "purchase", "19.90", "EUR"), …],
    answers=[(survey_id, "2026-01-06", score), …], kind="customer", **attributes)``."""
    person = Person(email=email, kind=kind, attributes=attributes)
    db.session.add(person)
    db.session.flush()
    for day, what, *money in events:
        amount, currency = (list(money) + [None, None])[:2]
        db.session.add(Activity(person_id=person.id, occurred_on=date.fromisoformat(day),
                                kind=what, amount=Decimal(amount) if amount else None,
                                currency=currency, external_id=f"x-{next(_ids)}"))
    for survey_id, day, score in answers:
        db.session.add(Response(
            survey_id=survey_id, token_digest=secrets.token_hex(32), score=score,
            category=categorise("nps", score), locale="en", channel="link",
            person_id=person.id,
            submitted_dt=datetime.fromisoformat(day).replace(hour=9, tzinfo=UTC)))
    summaries.refresh([person.id])
    return person


def build_shop() -> int:
    """The worked example of docs/retention.md (2026-01-01 … 2026-03-31): S = {a, b, c, k},
    E = {a, d, e, h, l}, N = 4, lost = 3; returns the NPS survey's id."""
    nps = add_survey()
    add_customer("a@example.com", [("2025-06-01", "purchase", "10", "EUR"),  # active throughout
                                   ("2026-01-15", "renewal", "80", "EUR"),
                                   ("2026-03-01", "purchase")],              # order, no amount
                 answers=[(nps, "2026-02-01", 10)], plan="pro")
    add_customer("b@example.com", [("2025-03-01", "purchase", "10")],        # lapses in March
                 answers=[(nps, "2025-12-01", 3)], plan="pro")
    add_customer("c@example.com", [("2025-10-01", "purchase", "10"),
                                   ("2026-02-10", "cancellation")],          # lost: cancelled
                 answers=[(nps, "2025-11-01", 9), (nps, "2026-02-11", 2)])   # last: detractor
    add_customer("d@example.com", [("2026-02-01", "purchase", "100", "EUR")],  # new
                 answers=[(nps, "2026-04-02", 0)])                           # after the period
    add_customer("e@example.com", [("2025-11-01", "purchase", "10"),
                                   ("2025-12-15", "cancellation"),
                                   ("2026-01-20", "reactivation", "50")],    # won back: new
                 answers=[(nps, "2026-01-25", 8)])
    add_customer("f@example.com")                                            # no activity
    add_customer("g@example.com", [("2025-12-01", "purchase", "500", "EUR"),
                                   ("2026-02-01", "purchase", "500", "EUR")],
                 kind="employee", plan="pro")                                # never counted
    add_customer("h@example.com", [("2025-12-31", "purchase", "10"),
                                   ("2025-12-31", "cancellation"),           # same day: cancelled
                                   ("2026-01-10", "purchase", "20", "USD"),  # not in EUR figures
                                   ("2026-03-31", "purchase", "30", "EUR")])  # last day counts
    add_customer("i@example.com", [("2024-01-01", "purchase", "10")])        # long gone
    add_customer("k@example.com", [("2025-01-01", "purchase", "10")])        # 365th day: active
    add_customer("l@example.com", [("2026-01-01", "purchase", "40", "EUR")])  # first day: new
    return nps
