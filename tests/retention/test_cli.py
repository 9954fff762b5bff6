"""``polso activity import`` and ``polso retention report``."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import delete, func, select

from survey_app.audit.models import AuditEvent
from survey_app.core.db import db
from survey_app.retention.models import ActiveSpell, Activity, ActivitySummary
from tests.retention.helpers import add_customer, build_shop


@pytest.fixture
def polso(app):
    runner = app.test_cli_runner()

    def run(*args: str):
        return runner.invoke(args=list(args), catch_exceptions=False)

    return run


def test_report_json_has_the_documented_keys_and_figures(app, polso):
    with app.app_context():
        build_shop()
        db.session.commit()
    result = polso("retention", "report", "--from", "2026-01-01", "--to", "2026-03-31", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data == {"start": 4, "end": 5, "new": 4, "lost": 3, "crr": 25.0, "churn_rate": 75.0,
                    "retention_rate": 25.0, "repeat_purchase_rate": 40.0,
                    "average_order_value": 60.0, "purchase_frequency": 1.4, "clv": 112.0}
    segment = polso("retention", "report", "--from", "2026-01-01", "--to", "2026-03-31",
                    "--segment", "plan=pro", "--json")
    assert json.loads(segment.output)["start"] == 2
    text = polso("retention", "report", "--from", "2026-01-01", "--to", "2026-03-31")
    assert "crr                    25.0" in text.output


@pytest.mark.parametrize("args", [
    ["--from", "2026-13-01", "--to", "2026-03-31"],
    ["--from", "2026-03-01", "--to", "2026-01-01"],
    ["--from", "2026-01-01", "--to", "2026-03-31", "--segment", "plan"],
    ["--to", "2026-03-31"],
])
def test_report_bad_arguments_exit_2_with_one_line(polso, args):
    result = polso("retention", "report", *args)
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_activity_import_with_progress_errors_and_audit(app, polso, tmp_path):
    with app.app_context():
        add_customer("ann@example.com")
        db.session.commit()
    path = tmp_path / "activity.csv"
    path.write_text("email,date,kind,amount,currency,external_id\n"
                    "ann@example.com,2026-01-05,purchase,19.90,EUR,o-1\n"
                    "ann@example.com,2026-01-06,refund,1,EUR,o-2\n")
    result = polso("activity", "import", str(path))
    assert result.exit_code == 1
    assert "Importing activity" in result.output
    assert "2 rows in" in result.output and "1 new, 0 already imported, 1 refused." in result.output
    assert "line 3: kind: 'refund' is not one of" in result.output
    again = polso("activity", "import", str(path))
    assert "0 new, 1 already imported, 1 refused." in again.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Activity)) == 1
        assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "activity.imported")) == 2


def test_activity_import_of_a_file_with_a_wrong_header_exits_2(polso, tmp_path):
    path = tmp_path / "activity.csv"
    path.write_text("email,when\n")
    result = polso("activity", "import", str(path))
    assert result.exit_code == 2
    assert "first line must be exactly" in result.output


def test_activity_summarize_rebuilds_the_summary_and_spells(app, polso):
    """Rows written behind the app's back (a bulk load) show once the summary is rebuilt."""
    with app.app_context():
        build_shop()
        db.session.execute(delete(ActiveSpell))
        db.session.execute(delete(ActivitySummary))
        db.session.commit()
    period = ("retention", "report", "--from", "2026-01-01", "--to", "2026-03-31", "--json")
    assert json.loads(polso(*period).output)["start"] == 0
    result = polso("activity", "summarize")
    assert result.exit_code == 0, result.output
    assert "customers summarized" in result.output
    assert json.loads(polso(*period).output) == {
        "start": 4, "end": 5, "new": 4, "lost": 3, "crr": 25.0, "churn_rate": 75.0,
        "retention_rate": 25.0, "repeat_purchase_rate": 40.0, "average_order_value": 60.0,
        "purchase_frequency": 1.4, "clv": 112.0}
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                                 .where(AuditEvent.action == "activity.summarized")) == 1
