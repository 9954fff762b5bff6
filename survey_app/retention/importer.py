"""Importing customer activity from CSV: every bad row reported by line, good rows inserted.

The header is exactly ``email,date,kind,amount,currency,external_id`` (docs/retention.md).
Like the people import, rows are judged one by one: good rows are written in batches, bad
ones are listed with their line numbers and change nothing. ``external_id`` is the key: a row
whose id is already stored with the same content is counted as unchanged (so re-importing a
file changes nothing); with different content it is refused. Activity is for customers only:
an unknown e-mail creates no person and an employee's row is refused, both as line errors.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from babel.numbers import list_currencies
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import insert, select

from survey_app.core.csvrows import numbered_records
from survey_app.core.db import db, utcnow
from survey_app.core.inputs import CONTROL
from survey_app.people.importer import ImportFileError, RowError
from survey_app.people.models import Person, PersonKind
from survey_app.retention import summaries
from survey_app.retention.models import Activity, ActivityKind

#: The one header a file may have.
COLUMNS = ("email", "date", "kind", "amount", "currency", "external_id")
KINDS = tuple(ActivityKind)
#: Rows written per INSERT round trip.
BATCH_SIZE = 5000
#: Largest amount (``Numeric(12, 2)``).
MAX_AMOUNT = Decimal("9999999999.99")
#: Earliest date accepted: older ones are typos.
EARLIEST = date(1900, 1, 1)
_CURRENCIES = frozenset(list_currencies())
#: An ASCII address that needs no normalising but lower case.
_PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")


@dataclass
class ActivityImportResult:
    rows: int = 0
    created: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)


@dataclass(frozen=True)
class _Row:
    line: int
    email: str
    occurred_on: date
    kind: str
    amount: Decimal | None
    currency: str | None
    external_id: str


def import_activity(
    text: Iterable[str],
    *,
    on_batch: Callable[[int], None] | None = None,
    now: datetime | None = None,
) -> ActivityImportResult:
    """Insert the activity rows of CSV ``text`` (an iterable of lines, e.g. an open file).

    Good rows are written in batches of :data:`BATCH_SIZE` (flushed, never committed);
    ``on_batch(rows_done)`` is called after each batch so the caller may commit and show
    progress.

    :raises ImportFileError: the file is empty or its header is not :data:`COLUMNS`.
    """
    now = now or utcnow()
    latest = now.date() + timedelta(days=1)  # the sender may be a time zone ahead
    result = ActivityImportResult()
    seen: dict[str, int] = {}
    emails: dict[str, str | RowError] = {}
    batch: list[_Row] = []
    for item in _rows(text, result, emails, latest):
        if isinstance(item, RowError):
            result.errors.append(item)
            continue
        first = seen.get(item.external_id)
        if first is not None:
            result.errors.append(RowError(item.line, f"external_id: {item.external_id!r} is "
                                                     f"already on line {first}"))
            continue
        seen[item.external_id] = item.line
        batch.append(item)
        if len(batch) >= BATCH_SIZE:
            _write(batch, result, now)
            batch = []
            if on_batch:
                on_batch(result.rows)
    if batch:
        _write(batch, result, now)
    result.errors.sort(key=lambda error: error.line)
    if on_batch:
        on_batch(result.rows)
    return result


def _rows(text: Iterable[str], result: ActivityImportResult, emails: dict[str, str | RowError],
          latest: date) -> Iterator[_Row | RowError]:
    reader = csv.reader(io.StringIO(text) if isinstance(text, str) else text, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise ImportFileError("the file is empty: the first line must be "
                              + ",".join(COLUMNS)) from None
    except csv.Error as error:
        raise ImportFileError(f"line 1: {error}") from None
    if tuple(name.strip().lower() for name in header) != COLUMNS:
        raise ImportFileError("line 1: the first line must be exactly " + ",".join(COLUMNS))
    for start, record in numbered_records(reader):
        result.rows += 1
        if isinstance(record, csv.Error):
            yield RowError(start, f"not valid CSV ({record})")
        else:
            yield _parse(start, record, emails, latest)


def _parse(line: int, record: list[str], emails: dict[str, str | RowError],
           latest: date) -> _Row | RowError:
    if len(record) != len(COLUMNS):
        return RowError(line, f"{len(record)} fields, but the header has {len(COLUMNS)}")
    values = dict(zip(COLUMNS, (cell.strip() for cell in record), strict=True))
    if CONTROL.search("".join(record)):
        name = next(name for name, value in values.items() if CONTROL.search(value))
        return RowError(line, f"{name}: contains control characters or a line break")
    checks = (_email(values["email"], emails), _date(values["date"], latest),
              _kind(values["kind"]), _amount(values["amount"]),
              _currency(values["currency"], values["amount"]),
              _external_id(values["external_id"]))
    for check in checks:
        if isinstance(check, str):
            return RowError(line, check)
    email, occurred_on, kind, amount, currency, external_id = (c[0] for c in checks)
    return _Row(line, email, occurred_on, kind, amount, currency, external_id)


# Each check returns a 1-tuple with the clean value, or the reason as a string.

def _email(raw: str, cache: dict[str, str | RowError]) -> tuple[str] | str:
    """The address as the people import stores it (lower case, normalised).

    A plain ASCII address is just lower-cased — it either matches a person (whose address was
    validated on import) or is reported as unknown; only the others go through the full
    validation, a hundred times slower (measured by bench/retention.py).
    """
    if not raw:
        return "email: missing"
    if _PLAIN_ADDRESS.fullmatch(raw):
        return (raw.lower(),)
    known = cache.get(raw)
    if known is None:
        try:
            known = validate_email(raw, check_deliverability=False).normalized.lower()
        except EmailNotValidError as error:
            known = RowError(0, f"email: {raw!r} is not a valid e-mail address ({error})")
        cache[raw] = known
    return known.reason if isinstance(known, RowError) else (known,)


def _date(raw: str, latest: date) -> tuple[date] | str:
    try:
        value = date.fromisoformat(raw) if len(raw) <= 10 else datetime.fromisoformat(raw).date()
    except ValueError:
        return f"date: {raw!r} is not an ISO 8601 date such as 2026-03-31"
    if not EARLIEST <= value <= latest:
        return f"date: {raw} is in the future or before {EARLIEST.year}"
    return (value,)


def _kind(raw: str) -> tuple[str] | str:
    kind = raw.lower()
    if kind not in KINDS:
        return f"kind: {raw!r} is not one of {', '.join(KINDS)}"
    return (kind,)


def _amount(raw: str) -> tuple[Decimal | None] | str:
    if not raw:
        return (None,)
    try:
        value = Decimal(raw)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or "e" in raw.lower():
        hint = " (write the decimal point as '.')" if "," in raw else ""
        return f"amount: {raw!r} is not a number such as 19.90{hint}"
    if value < 0:
        return f"amount: {raw} is negative (a refund is not an order)"
    if value > MAX_AMOUNT or value != value.quantize(Decimal("0.01")):
        return f"amount: {raw} must be at most {MAX_AMOUNT} with at most 2 decimals"
    return (value.quantize(Decimal("0.01")),)


def _currency(raw: str, amount: str) -> tuple[str | None] | str:
    if not raw:
        return (None,)
    code = raw.upper()
    if len(code) != 3 or code not in _CURRENCIES:
        return f"currency: {raw!r} is not an ISO 4217 code such as EUR"
    if not amount:
        return "currency: given without an amount"
    return (code,)


def _external_id(raw: str) -> tuple[str] | str:
    if not raw:
        return "external_id: missing (it is what makes a re-import change nothing)"
    if len(raw) > 100:
        return "external_id: at most 100 characters"
    return (raw,)


def _write(batch: list[_Row], result: ActivityImportResult, now: datetime) -> None:
    # Core tables, not the ORM entities: the same SQL without the ORM's per-row cost.
    person, activity = Person.__table__.c, Activity.__table__.c
    people = {row.email: (row.id, row.kind) for row in db.session.execute(
        select(person.id, person.email, person.kind)
        .where(person.email.in_({r.email for r in batch})))}
    stored = {row.external_id: row for row in db.session.execute(
        select(activity.external_id, activity.person_id, activity.occurred_on, activity.kind,
               activity.amount, activity.currency)
        .where(activity.external_id.in_([r.external_id for r in batch])))}
    inserts: list[dict[str, Any]] = []
    for row in batch:
        person = people.get(row.email)
        if person is None:
            result.errors.append(RowError(row.line, f"email: nobody has the address {row.email} "
                                                    "(import them on the people page first)"))
            continue
        if person[1] != PersonKind.CUSTOMER:
            result.errors.append(RowError(row.line, f"email: {row.email} is an employee; "
                                                    "activity is for customers only"))
            continue
        old = stored.get(row.external_id)
        if old is not None:
            if (old.person_id, old.occurred_on, old.kind, old.amount, old.currency) == (
                    person[0], row.occurred_on, row.kind, row.amount, row.currency):
                result.unchanged += 1
            else:
                result.errors.append(RowError(row.line, f"external_id: {row.external_id!r} was "
                                                        "imported before with other values; "
                                                        "nothing changed"))
            continue
        inserts.append({"person_id": person[0], "occurred_on": row.occurred_on,
                        "kind": row.kind, "amount": row.amount, "currency": row.currency,
                        "external_id": row.external_id, "created_dt": now})
    if inserts:
        db.session.execute(insert(Activity.__table__), inserts)
        result.created += len(inserts)
        summaries.refresh({row["person_id"] for row in inserts})
    db.session.flush()
