"""Survey management services: the live list in one SQL statement, scores, slugs."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from survey_app.accounts.access import visible_surveys
from survey_app.accounts.models import User
from survey_app.core.db import db
from survey_app.dashboards.metrics import score_from_categories
from survey_app.dashboards.overview import surveys_with_scores
from survey_app.responses.models import Response
from survey_app.surveys import services


@pytest.mark.parametrize(("kind", "total", "good", "bad", "expected"), [
    ("nps", 0, 0, 0, None), ("nps", 4, 2, 1, 25.0), ("enps", 10, 0, 10, -100.0),
    ("pulse", 3, 3, 0, 100.0), ("csat", 3, 2, 1, 200 / 3), ("csat", 5, 0, 5, 0.0),
])
def test_headline_score(kind, total, good, bad, expected):
    """The list's headline is the dashboards' one implementation (``score_from_categories``)."""
    if kind == "csat":
        counts = {"satisfied": good, "dissatisfied": bad, "neutral": total - good - bad}
    else:
        counts = {"promoter": good, "detractor": bad, "passive": total - good - bad}
    score = score_from_categories(kind, counts)
    assert (score.value if score else None) == (expected and pytest.approx(expected))
    assert not hasattr(services, "headline_score")  # no second formula


def test_survey_list_leaves_out_suspected_automated_responses(app, make_survey, make_link,
                                                               submit):
    survey_id = make_survey("nps")
    for score in (10, 9, 0):
        assert submit(f"/s/{make_link(survey_id)}", {"score": str(score)}).status_code == 303
    with app.app_context():
        scanner = db.session.scalars(sa.select(Response).where(Response.score == 0)).one()
        scanner.is_suspected_automated = True
        db.session.commit()
        admin = User(email="a@example.com", role="admin", password_hash="x")
        row, = surveys_with_scores(visible_surveys(admin))
    assert (row.responses, row.score) == (2, 100.0)


def test_survey_list_is_one_sql_statement(app, make_survey, make_link, submit):
    ids = [make_survey(kind) for kind in ("nps", "csat", "enps")]
    for survey_id, scores in zip(ids, [(10, 0, 9), (5, 1), (10, 10, 10, 10, 10, 2)],
                                 strict=True):
        for score in scores:
            assert submit(f"/s/{make_link(survey_id)}", {"score": str(score)}).status_code == 303
    statements: list[str] = []
    with app.app_context():
        admin = User(email="a@example.com", role="admin", password_hash="x")

        def count(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
            if not statement.startswith(("SAVEPOINT", "RELEASE")):  # the test's isolation
                statements.append(statement)

        sa.event.listen(db.engine, "before_cursor_execute", count)
        try:
            rows = surveys_with_scores(visible_surveys(admin))
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", count)
    assert len(statements) == 1 and "GROUP BY" in statements[0]
    by_kind = {row.survey.kind: row for row in rows}
    assert (by_kind["nps"].responses, round(by_kind["nps"].score, 2)) == (3, 33.33)
    assert (by_kind["csat"].responses, by_kind["csat"].score) == (2, 50.0)
    assert (by_kind["enps"].responses, round(by_kind["enps"].score, 2), by_kind["enps"].is_hidden
            ) == (6, 66.67, False)


def test_unique_slug(app_ctx):
    from survey_app.surveys.services import create_survey

    assert services.unique_slug("Qualità del servizio — 2026!") == "qualita-del-servizio-2026"
    create_survey(kind="nps", title="x", slug="q4-nps")
    create_survey(kind="nps", title="x", slug="q4-nps-2")
    assert services.unique_slug("Q4 NPS") == "q4-nps-3"
    assert services.unique_slug("???") == "survey"
