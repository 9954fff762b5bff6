"""The activity summary and active spells stay exact: random imports and erasures, then both
tables against aggregates of the activity rows computed here in Python from the definitions
of docs/retention.md (on SQLite and PostgreSQL)."""

from __future__ import annotations

import random
import statistics
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, text

from survey_app.core.db import db
from survey_app.people.models import Person
from survey_app.people.services import get_or_create_person
from survey_app.privacy.erasure import erase_person
from survey_app.retention import queries, services, summaries
from survey_app.retention.health import health_of
from survey_app.retention.importer import import_activity
from survey_app.retention.models import ActiveSpell, Activity, ActivitySummary
from survey_app.retention.queries import Scope

HEADER = "email,date,kind,amount,currency,external_id\n"
KINDS = ("purchase", "purchase", "renewal", "reactivation", "cancellation")
TODAY = date(2026, 6, 30)
WINDOW = 365


def _random_rows(rng: random.Random, emails: list[str], count: int, start: int) -> list[str]:
    """CSV lines over about two years, with same-day orders and cancellations, some priced in
    another currency, some with no amount."""
    lines = []
    for n in range(start, start + count):
        kind = rng.choice(KINDS)
        day = TODAY - timedelta(days=rng.randint(0, 800))
        money = rng.choice(["", "12.50", "30", "7.25|USD"]) if kind != "cancellation" else ""
        amount, _sep, currency = money.partition("|")
        currency = currency or ("EUR" if amount and rng.random() < 0.5 else "")
        lines.append(f"{rng.choice(emails)},{day},{kind},{amount},{currency},ext-{n}\n")
    return lines


def _expected_summary(rows: list[Activity]) -> tuple:
    orders = sorted(r.occurred_on for r in rows if r.kind != "cancellation")
    cancels = [r.occurred_on for r in rows if r.kind == "cancellation"]
    money = sum((r.amount for r in rows if r.kind != "cancellation" and r.amount is not None
                 and r.currency in (None, "EUR")), Decimal(0))
    gaps = [(b - a).days for a, b in zip(orders, orders[1:], strict=False)]
    days = [r.occurred_on for r in rows]
    return (min(days), max(days), max(orders, default=None), max(cancels, default=None),
            len(orders), money, statistics.median(gaps) if gaps else None)


def _active(rows: list[Activity], day: date) -> bool:
    """docs/retention.md: the latest order on or before ``day`` is less than the window old
    and no cancellation came on or after that order's day up to ``day``."""
    orders = [r.occurred_on for r in rows if r.kind != "cancellation" and r.occurred_on <= day]
    if not orders or max(orders) <= day - timedelta(days=WINDOW):
        return False
    return not any(r.kind == "cancellation" and max(orders) <= r.occurred_on <= day
                   for r in rows)


def _check(rng: random.Random) -> None:
    rows: dict[int, list[Activity]] = {}
    for activity in db.session.scalars(select(Activity)):
        rows.setdefault(activity.person_id, []).append(activity)
    stored = {s.person_id: s for s in db.session.scalars(select(ActivitySummary))}
    assert stored.keys() == rows.keys()
    for person_id, theirs in rows.items():
        s = stored[person_id]
        got = (s.first_on, s.last_on, s.last_order_on, s.last_cancel_on, s.orders, s.money,
               s.usual_gap)
        assert got == pytest.approx(_expected_summary(theirs)), person_id
    spells: dict[int, list[ActiveSpell]] = {}
    for spell in db.session.scalars(select(ActiveSpell).order_by(ActiveSpell.started_on)):
        spells.setdefault(spell.person_id, []).append(spell)
    for person_id, theirs in spells.items():
        # Merged: apart by at least one inactive day.
        assert all(b.started_on > a.ended_on + timedelta(days=1)
                   for a, b in zip(theirs, theirs[1:], strict=False)), person_id
    days = [TODAY - timedelta(days=rng.randint(-400, 900)) for _ in range(40)]
    for person_id, theirs in rows.items():
        for day in days:
            in_spell = any(s.started_on <= day <= s.ended_on for s in spells.get(person_id, []))
            assert in_spell == _active(theirs, day), (person_id, day)


@pytest.mark.parametrize("seed", range(3))
def test_random_imports_and_erasures_keep_the_summary_exact(app_ctx, seed):
    rng = random.Random(seed)
    emails = [f"s{seed}-{n}@example.com" for n in range(12)]
    for email in emails:
        get_or_create_person(email, kind="customer")
    db.session.flush()
    made = 0
    for _step in range(6):
        lines = _random_rows(rng, emails, rng.randint(5, 40), made)
        made += len(lines)
        result = import_activity([HEADER, *lines])
        assert result.created == len(lines), result.errors
        if rng.random() < 0.4:
            victim = rng.choice(emails)
            emails.remove(victim)
            erase_person(db.session.scalar(select(Person).where(Person.email == victim)))
        _check(rng)
    before = [(s.person_id, s.orders, s.usual_gap) for s in
              db.session.scalars(select(ActivitySummary).order_by(ActivitySummary.person_id))]
    assert summaries.rebuild() == len(before)
    assert [(s.person_id, s.orders, s.usual_gap) for s in db.session.scalars(
        select(ActivitySummary).order_by(ActivitySummary.person_id))] == before
    _check(rng)


def test_the_light_as_of_now_counts_rows_dated_tomorrow_only_from_tomorrow(app_ctx):
    """The import accepts tomorrow: today's light must not see it, whatever the summary says."""
    person = get_or_create_person("early@example.com", kind="customer")
    db.session.flush()
    today = date.today()
    import_activity([HEADER, f"early@example.com,{today - timedelta(days=30)},purchase,,,e-1\n",
                     f"early@example.com,{today + timedelta(days=1)},cancellation,,,e-2\n"])
    health = health_of([person.id])[person.id]
    assert (health.light, health.cancelled_on) == ("green", None)


def test_rfm_of_a_past_period_ignores_later_activity(app_ctx):
    """Customers with activity after the period's end are counted from their rows."""
    for n in range(10):
        get_or_create_person(f"r{n}@example.com", kind="customer")
    db.session.flush()
    rng = random.Random(7)
    emails = [f"r{n}@example.com" for n in range(10)]
    import_activity([HEADER, *[line for line in _random_rows(rng, emails, 60, 0)
                               if line.split(",")[1] <= "2025-12-31"]])
    scope = Scope(date(2025, 7, 1), date(2025, 12, 31))
    before = queries.rfm(scope)
    import_activity([HEADER, *[f"{e},2026-03-0{n % 9 + 1},purchase,99,EUR,later-{n}\n"
                               for n, e in enumerate(emails)]])
    assert queries.rfm(scope) == before
    assert db.session.scalar(select(ActivitySummary.last_on).limit(1)) > scope.end


def test_reports_run_without_jit_on_postgresql(app_ctx):
    if db.session.get_bind().dialect.name != "postgresql":
        pytest.skip("JIT is a PostgreSQL setting")
    services.report(services.scope(date(2026, 1, 1), date(2026, 3, 31)))
    assert db.session.scalar(text("SHOW jit")) == "off"
    assert db.session.scalar(text("SHOW work_mem")) == "32MB"
    db.session.rollback()  # SET LOCAL: the next transaction has the server's settings again
    assert db.session.scalar(text("SHOW work_mem")) != "32MB"
