"""The CSV export: formula-safe cells, numeric columns, filters, streaming, roles, audit."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from survey_app.audit.models import AuditEvent
from survey_app.core.db import db
from survey_app.people.services import get_or_create_person
from tests.dashboards.helpers import csv_rows

INJECTIONS = ["=1+1", "+SUM(A1:A2)", "-2+3", "@cmd", "\tleading tab", "\rleading CR",
              '=HYPERLINK("http://evil.example","x")']


@pytest.fixture
def identified(app, make_survey, add_responses):
    """An NPS survey with one answer per dangerous text, in comments and segment values."""
    survey = make_survey("nps")
    with app.app_context():
        person = get_or_create_person("=cmd@example.com", name="-Mallory")
        db.session.commit()
        person_id = person.id
    add_responses(survey, [dict(score=i % 11, comment=value, sentiment="negative",
                                segment={"plan": value, "region": "north"},
                                person_id=person_id, days_ago=i + 1)
                           for i, value in enumerate(INJECTIONS)])
    return survey


def test_formula_cells_are_neutralised_and_numbers_stay_numbers(client, login, identified):
    login(client, "admin")
    response = client.get(f"/surveys/{identified}/export.csv?period=all")
    assert response.status_code == 200
    assert response.mimetype == "text/csv" and response.is_streamed
    assert "attachment" in response.headers["Content-Disposition"]
    body = response.get_data(as_text=True)
    records = list(csv.reader(io.StringIO(body)))
    header, rows = records[0], records[1:]
    assert header == ["submitted_at", "score", "category", "comment", "sentiment",
                      "sentiment_label", "email", "name", "plan", "region"]
    assert len(rows) == len(INJECTIONS)
    for row in rows:
        values = dict(zip(header, row, strict=True))
        for column in ("comment", "plan", "email", "name"):
            assert values[column].startswith("'"), (column, values[column])
            assert values[column][1:] in INJECTIONS + ["=cmd@example.com", "-Mallory"]
        int(values["score"])                          # plain integers, no quote mark
        assert values["sentiment"] == "-0.5"          # a negative number is not a formula
        assert values["region"] == "north"
    # Quoted fields keep tabs and CRs inside the cell, not as new rows or columns.
    assert sorted(dict(zip(header, r, strict=True))["comment"][1:] for r in rows) == sorted(
        INJECTIONS)


def test_export_honours_filters(client, login, identified):
    login(client, "support")
    rows = csv_rows(client.get(f"/surveys/{identified}/export.csv?period=all&category=promoter"
                               ).get_data(as_text=True))
    assert rows == []  # scores 0–6 only
    rows = csv_rows(client.get(f"/surveys/{identified}/export.csv?period=30d"
                               "&segment=region:north&category=detractor"
                               ).get_data(as_text=True))
    assert len(rows) == len(INJECTIONS)
    rows = csv_rows(client.get(f"/surveys/{identified}/export.csv?period=custom"
                               "&from=2000-01-01&to=2000-12-31").get_data(as_text=True))
    assert rows == []


def test_export_is_audited_with_its_filters(app, client, login, identified):
    user_id = login(client, "admin")
    client.get(f"/surveys/{identified}/export.csv?period=all&category=detractor")
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "responses.export")).one()
        assert (event.actor_id, event.target_type, event.target_id) == (
            user_id, "survey", identified)
        assert event.details["filters"]["category"] == "detractor"


@pytest.mark.parametrize("query", [
    "period=forever", "period=custom", "period=custom&from=2026-13-01", "from=yesterday",
    "category=happy", "sentiment=angry", "segment=department", "segment=%22x%22:1",
    "segment=a:1&segment=a:2", "page=0", "trend=day",
    "period=custom&from=2020-01-01&to=2026-01-01&trend=week",
])
def test_bad_filters_answer_400_with_a_message(client, login, identified, query):
    login(client, "admin")
    for path in (f"/surveys/{identified}?{query}", f"/surveys/{identified}/export.csv?{query}"):
        response = client.get(path)
        assert response.status_code == 400, (path, response.status_code)
        assert "This filter is not valid" in response.get_data(as_text=True)


def test_export_streams_in_constant_memory(app, client, login, make_survey):
    """20,000 rows: the generator never holds more than a batch (memory measured)."""
    import tracemalloc

    survey = make_survey("nps")
    with app.app_context():
        from survey_app.responses.models import Response
        table = Response.__table__
        from datetime import UTC, datetime
        db.session.execute(table.insert(), [
            dict(survey_id=survey, token_digest=f"{i:064x}", is_anonymous=False, score=i % 11,
                 category="promoter" if i % 11 >= 9 else "passive" if i % 11 >= 7
                 else "detractor", comment="a comment " * 5, locale="en",
                 sentiment_label="unknown", sentiment_analyzer="none", is_mismatch=False,
                 is_suspected_automated=False, is_contact_requested=False,
                 segment={"plan": "pro"}, channel="link",
                 submitted_dt=datetime(2026, 1, 1, tzinfo=UTC), version=1)
            for i in range(20_000)])
        db.session.commit()
    login(client, "admin")
    response = client.get(f"/surveys/{survey}/export.csv?period=all")
    lines = iter(response.response)
    next(lines)
    tracemalloc.start()
    count, peak_at_5000 = 1, 0
    for _line in lines:
        count += 1
        if count == 5000:
            peak_at_5000 = tracemalloc.get_traced_memory()[1]
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    response.close()
    assert count == 20_001
    assert peak < 2 * peak_at_5000 + 500_000  # flat after the first batches, not 4× bigger


@pytest.mark.parametrize("anonymous", [True, False], ids=["anonymous", "identified"])
def test_web_export_of_a_pulse_survey_has_every_question_kind(client, login, make_survey,
                                                              add_responses, anonymous):
    """Issue 13.1: the view commits its audit row before the stream reads the questions."""
    survey = make_survey("pulse", anonymous=anonymous)
    add_responses(survey, [dict(score=i % 11, comment=f"comment {i}",
                                answers={1: 4, 2: 2, 3: 1, 4: f"better tools {i}"},
                                days_ago=i % 3 + 1) for i in range(6)])
    login(client, "hr")
    response = client.get(f"/surveys/{survey}/export.csv?period=all")
    assert response.status_code == 200
    records = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    header, rows = records[0], records[1:]
    assert header[-4:] == ["q1", "q2", "q3", "q4"]
    assert len(rows) == 6
    for row in rows:
        values = dict(zip(header, row, strict=True))
        assert (values["q1"], values["q2"], values["q3"]) == ("4", "2", "1")
        assert values["q4"].startswith("better tools ")


def test_the_spreadsheet_file_opens_in_the_readers_excel(client, login, make_survey,
                                                         add_responses):
    """Italian Excel splits on ";" and reads "0,5"; every Excel needs the byte-order mark to
    read UTF-8; a choice is its text. The plain file stays as programs read it."""
    survey = make_survey("pulse", anonymous=False)
    add_responses(survey, [dict(score=3, comment="Più chiarezza, grazie", sentiment="negative",
                                answers={1: 4, 3: 1})])
    login(client, "hr", locale="it")
    url = f"/surveys/{survey}/export.csv?period=all"
    sheet = client.get(f"{url}&format=spreadsheet")
    assert sheet.status_code == 200
    assert "spreadsheet" in sheet.headers["Content-Disposition"]
    body = sheet.get_data().decode("utf-8")
    assert body.startswith("\ufeff")
    header, row = list(csv.reader(io.StringIO(body[1:]), delimiter=";"))
    values = dict(zip(header, row, strict=True))
    assert values["comment"] == "Più chiarezza, grazie" and values["sentiment"] == "-0,5"
    assert values["q1"] == "4" and values["q3"] == "Ogni mese"
    plain = client.get(url).get_data(as_text=True)
    header, row = list(csv.reader(io.StringIO(plain)))
    values = dict(zip(header, row, strict=True))
    assert values["sentiment"] == "-0.5" and values["q3"] == "1"
    english = client.get(f"{url}&format=spreadsheet&lang=en").get_data().decode("utf-8")
    header, row = list(csv.reader(io.StringIO(english[1:])))
    assert dict(zip(header, row, strict=True))["q3"] == "Every month"
