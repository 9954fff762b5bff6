"""Customers with activity and NPS answers, written directly (the importer has its own tests)."""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from survey_app.core.db import db
from survey_app.core.scoring import categorise
from survey_app.people.models import Person
from survey_app.responses.models import Response
from survey_app.retention.models import Activity
from survey_app.surveys.services import create_survey

_ids = itertools.count(1)


@pytest.fixture
def nps_survey(app_ctx: None) -> Callable[..., int]:
    """``nps_survey(anonymous=False, audience="customers") -> id`` (flushed)."""

    def make(**options: Any) -> int:
        kind = options.pop("kind", "nps")
        survey = create_survey(kind=kind, title="NPS", slug=f"ret-{next(_ids)}", **options)
        db.session.flush()
        return survey.id

    return make


@pytest.fixture
def customer(app_ctx: None) -> Callable[..., Person]:
    """``customer(email, events=[("2026-01-05", "purchase", "19.90", "EUR"), …],
    answers=[(survey_id, "2026-01-06", score), …], kind="customer", **attributes)``."""

    def make(email: str, events: list[tuple] = (), answers: list[tuple] = (),
             kind: str = "customer", **attributes: str) -> Person:
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
        db.session.flush()
        return person

    return make
