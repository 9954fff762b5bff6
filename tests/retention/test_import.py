"""Activity import: line-numbered errors, customers only, re-import changes nothing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from survey_app.core.db import db
from survey_app.people.importer import ImportFileError, import_people
from survey_app.people.models import Person
from survey_app.privacy.erasure import erase_person
from survey_app.retention.importer import import_activity
from survey_app.retention.models import Activity

HEADER = "email,date,kind,amount,currency,external_id\n"
GOOD_AND_BAD = (
    HEADER +                                                       # 1
    "ann@example.com,2026-01-05,purchase,19.90,EUR,o-1\n"          # 2 ok
    "ANN@example.com,2026-02-05T10:30:00+01:00,renewal,19.9,,o-2\n"  # 3 ok: datetime, no currency
    "nobody@example.com,2026-01-05,purchase,10,EUR,o-3\n"          # 4 unknown e-mail
    "emp@example.com,2026-01-05,purchase,10,EUR,o-4\n"             # 5 employee
    "ann@example.com,05/01/2026,purchase,10,EUR,o-5\n"             # 6 date not ISO
    "ann@example.com,2026-01-05,refund,10,EUR,o-6\n"               # 7 unknown kind
    "ann@example.com,2026-01-05,purchase,-3,EUR,o-7\n"             # 8 negative amount
    "ann@example.com,2026-01-05,purchase,\"12,50\",EUR,o-8\n"      # 9 decimal comma
    "ann@example.com,2026-01-05,purchase,12.5,EURO,o-9\n"          # 10 bad currency
    "ann@example.com,2026-01-05,purchase,12.5,XYZ,o-10\n"          # 11 not ISO 4217
    "ann@example.com,2026-01-05,purchase,12.5,EUR,\n"              # 12 no external id
    "ann@example.com,2026-01-05,purchase,12.5,EUR,o-1\n"           # 13 duplicate of line 2
    "ann@example.com,2999-01-05,purchase,12.5,EUR,o-11\n"          # 14 future
    "ann@example.com,2026-01-05,purchase,12.5\n"                   # 15 missing fields
    "\n"                                                           # 16 blank: ignored
    "bob@example.com,2026-03-01,cancellation,,,o-12\n"             # 17 ok, no amount
    "bob@example.com,2026-03-01,purchase,,EUR,o-13\n"              # 18 currency, no amount
    "bob@example.com,2026-03-01,purchase,1.234,EUR,o-14\n"         # 19 3 decimals
)


@pytest.fixture
def people(app_ctx):
    import_people("email,kind\nann@example.com,customer\nbob@example.com,customer\n"
                  "emp@example.com,employee\n")
    db.session.flush()


def stored() -> list[tuple]:
    return [tuple(row) for row in db.session.execute(
        select(Person.email, Activity.occurred_on, Activity.kind, Activity.amount,
               Activity.currency, Activity.external_id)
        .join(Person, Person.id == Activity.person_id).order_by(Activity.external_id))]


def test_every_bad_row_is_reported_with_its_line_and_good_rows_import(people):
    result = import_activity(GOOD_AND_BAD)
    assert [(e.line, e.reason.split(":")[0]) for e in result.errors] == [
        (4, "email"), (5, "email"), (6, "date"), (7, "kind"), (8, "amount"), (9, "amount"),
        (10, "currency"), (11, "currency"), (12, "external_id"), (13, "external_id"),
        (14, "date"), (15, "4 fields, but the header has 6"), (18, "currency"),
        (19, "amount")]
    reasons = {e.line: e.reason for e in result.errors}
    assert "nobody has the address nobody@example.com" in reasons[4]
    assert "customers only" in reasons[5]
    assert "decimal point" in reasons[9]
    assert "already on line 2" in reasons[13]
    assert (result.rows, result.created, result.unchanged) == (17, 3, 0)
    assert stored() == [
        ("ann@example.com", date(2026, 1, 5), "purchase", Decimal("19.90"), "EUR", "o-1"),
        ("bob@example.com", date(2026, 3, 1), "cancellation", None, None, "o-12"),
        ("ann@example.com", date(2026, 2, 5), "renewal", Decimal("19.90"), None, "o-2")]
    assert db.session.scalar(select(func.count()).select_from(Person)) == 3  # nobody created


def test_reimporting_the_same_file_changes_nothing(people):
    first = import_activity(GOOD_AND_BAD)
    before = stored()
    again = import_activity(GOOD_AND_BAD)
    assert (again.created, again.unchanged) == (0, first.created)
    assert [e.line for e in again.errors] == [e.line for e in first.errors]
    assert stored() == before


def test_a_known_external_id_with_other_values_is_refused_and_nothing_changes(people):
    import_activity(HEADER + "ann@example.com,2026-01-05,purchase,19.90,EUR,o-1\n")
    before = stored()
    result = import_activity(HEADER + "ann@example.com,2026-01-05,purchase,29.90,EUR,o-1\n"
                             "bob@example.com,2026-01-06,purchase,5,EUR,o-2\n")
    assert [(e.line, "other values" in e.reason) for e in result.errors] == [(2, True)]
    assert result.created == 1
    assert stored()[0] == before[0]


@pytest.mark.parametrize("text", ["", "email,date,kind,amount,currency\n",
                                  "email,kind,date,amount,currency,external_id\n"])
def test_a_wrong_header_refuses_the_file(people, text):
    with pytest.raises(ImportFileError, match="email,date,kind,amount,currency,external_id"):
        import_activity(text)


def test_progress_is_reported_per_batch(people, monkeypatch):
    monkeypatch.setattr("survey_app.retention.importer.BATCH_SIZE", 2)
    calls = []
    rows = "".join(f"ann@example.com,2026-01-{d:02},purchase,1,EUR,x-{d}\n" for d in range(1, 6))
    result = import_activity(HEADER + rows, on_batch=calls.append)
    assert result.created == 5
    assert calls == [2, 4, 5]


def test_erasing_a_person_deletes_their_activity(people):
    import_activity(GOOD_AND_BAD)
    ann = db.session.scalar(select(Person).where(Person.email == "ann@example.com"))
    erase_person(ann)
    assert [row[0] for row in stored()] == ["bob@example.com"]
