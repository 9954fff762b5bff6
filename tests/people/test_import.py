"""CSV import: bad rows reported by line while good rows import; update in place by e-mail."""

from __future__ import annotations

import io
import time

import pytest
from sqlalchemy import func, select

from survey_app.core.db import db
from survey_app.people.importer import ImportFileError, decode, import_people
from survey_app.people.models import Person

GOOD_AND_BAD = (
    "Email,Name,Kind,Locale,Team,Region\n"                 # 1 header (any case)
    "ann@example.com,Ann,customer,en,Support,north\n"      # 2 ok
    "not-an-email,Bob,customer,en,Sales,north\n"           # 3 invalid e-mail
    "ANN@example.com,Ann again,customer,en,Sales,south\n"  # 4 duplicate of line 2
    '"cy@example.com","Cy\nTwo lines",customer,en,S,n\n'   # 5-6 line break in a field
    "dee@example.com,Dee,alien,en,Support,north\n"         # 7 unknown kind
    "eve@example.com,Eve,employee,fr,Support,north\n"      # 8 unknown locale
    "\n"                                                   # 9 blank: ignored
    "fay@example.com,Fay,employee,it,Support\n"            # 10 missing field
    "gus@example.com,,,,,\n"                               # 11 ok: defaults
    "hal@example.com,Hal,employee,it,Sales,south\n"        # 12 ok
)


def test_every_bad_row_is_reported_with_its_line_and_good_rows_import(app_ctx):
    result = import_people(GOOD_AND_BAD)
    assert [(e.line, e.reason.split(":")[0]) for e in result.errors] == [
        (3, "email"), (4, "duplicate"), (5, "name"), (7, "kind"), (8, "locale"),
        (10, "5 fields, but the header has 6")]
    assert "ann@example.com is already on line 2" in result.errors[1].reason
    assert "line break" in result.errors[2].reason
    assert (result.rows, result.created, result.updated) == (9, 3, 0)
    people = {p.email: p for p in db.session.scalars(select(Person))}
    assert set(people) == {"ann@example.com", "gus@example.com", "hal@example.com"}
    assert people["ann@example.com"].attributes == {"Team": "Support", "Region": "north"}
    assert (people["gus@example.com"].kind, people["gus@example.com"].locale) == ("customer", "en")
    assert (people["hal@example.com"].kind, people["hal@example.com"].locale) == ("employee", "it")


def test_reimport_updates_in_place_and_keeps_what_is_empty(app_ctx):
    import_people("email,name,locale,team,plan\nann@example.com,Ann,en,Support,pro\n")
    result = import_people("email,name,locale,team,plan\nANN@EXAMPLE.COM,Ann B,it,Sales,\n"
                           "new@example.com,New,en,Sales,free\n")
    assert (result.created, result.updated, result.unchanged) == (1, 1, 0)
    ann = db.session.scalar(select(Person).where(Person.email == "ann@example.com"))
    assert (ann.name, ann.locale, ann.attributes) == ("Ann B", "it", {"team": "Sales",
                                                                      "plan": "pro"})
    again = import_people("email,name,locale,team,plan\nann@example.com,Ann B,it,Sales,\n")
    assert (again.updated, again.unchanged) == (0, 1)
    assert db.session.scalar(select(func.count()).select_from(Person)) == 2


def test_import_never_touches_unsubscribe_or_bounce(app_ctx):
    from survey_app.core.db import utcnow

    import_people("email,name\nann@example.com,Ann\n")
    ann = db.session.scalar(select(Person))
    ann.unsubscribed_dt = ann.bounced_dt = utcnow()
    import_people("email,name\nann@example.com,Ann Changed\n")
    db.session.refresh(ann)
    assert ann.unsubscribed_dt is not None and ann.bounced_dt is not None


def test_hr_imports_only_employees(app_ctx):
    import_people("email,kind\ncus@example.com,customer\n")
    result = import_people("email,kind\nemp@example.com,\ncus2@example.com,customer\n"
                           "cus@example.com,\n", allowed_kinds=["employee"])
    assert [(e.line, e.reason.split(":")[0]) for e in result.errors] == [
        (3, "kind"), (4, "cus@example.com is a customer")]
    assert db.session.scalar(select(Person.kind).where(Person.email == "emp@example.com")) == (
        "employee")


@pytest.mark.parametrize(("text", "message"), [
    ("", "the file is empty"),
    ("name,team\nAnn,Support\n", "no \"email\" column"),
    ("email,team,team\n", "appears twice"),
    ("email,\x01bad\n", "column name"),
])
def test_unreadable_files_are_refused_whole(app_ctx, text, message):
    with pytest.raises(ImportFileError, match=message):
        import_people(text)


def test_non_utf8_file_names_the_line():
    with pytest.raises(ImportFileError, match="line 3: the file is not UTF-8"):
        decode("email\na@example.com\nb\xe9@example.com\n".encode("latin-1"))
    assert decode("\ufeffemail\n".encode()) == "email\n"


def test_formula_like_and_control_characters(app_ctx):
    result = import_people("email,team\nann@example.com,=HYPERLINK(\"x\")\n"
                           "bob@example.com,a\x00b\n")
    assert [(e.line, e.reason) for e in result.errors] == [(3, "team: contains control characters")]
    # stored as text; exports neutralise it (core.csvsafe)
    assert db.session.scalar(select(Person.attributes)) == {"team": '=HYPERLINK("x")'}


def test_ten_thousand_rows_in_batches_quickly(app_ctx):
    lines = ["email,name,team"] + [f"p{i}@example.com,P {i},T{i % 7}" for i in range(10_000)]
    batches = []
    started = time.perf_counter()
    result = import_people(io.StringIO("\n".join(lines) + "\n"), on_batch=batches.append)
    elapsed = time.perf_counter() - started
    print(f"\n10,000 rows imported in {elapsed:.2f} s ({10_000 / elapsed:,.0f} rows/s)")
    assert result.created == 10_000 and not result.errors
    assert batches == [2000, 4000, 6000, 8000, 10000, 10000]
    assert elapsed < 10  # 100,000 rows take ~8 s: bench/people_import.py
