"""Commands: ``people import``, ``send``, ``remind``, ``waves list/repeat``, ``worker``."""

from __future__ import annotations

from sqlalchemy import func, select

from survey_app.core.db import db
from survey_app.people.models import Person
from survey_app.surveys.models import Survey, Wave


def _run(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def _slug(app, survey_id):
    with app.app_context():
        return db.session.get(Survey, survey_id).slug


def test_people_import_reports_lines_and_progress(app, tmp_path):
    path = tmp_path / "people.csv"
    path.write_text("email,name,team\nann@example.com,Ann,Support\nbad,Bob,Sales\n"
                    "cy@example.com,Cy,Sales\n", encoding="utf-8")
    result = _run(app, "people", "import", str(path))
    assert result.exit_code == 1  # some rows refused
    assert "Importing people" in result.output
    assert "3 rows in" in result.output and "2 created" in result.output
    assert "line 3: email: 'bad' is not a valid e-mail address" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Person)) == 2
    again = _run(app, "people", "import", str(path))
    assert "0 created, 0 updated, 2 unchanged, 1 refused" in again.output


def test_people_import_refuses_a_file_without_email_column(app, tmp_path):
    path = tmp_path / "people.csv"
    path.write_text("name\nAnn\n")
    result = _run(app, "people", "import", str(path))
    assert result.exit_code == 2 and 'no "email" column' in result.output


def test_send_dry_run_then_send_then_remind(app, smtp_server, make_survey, make_people):
    make_people(2, team="Support")
    make_people(1, prefix="s", team="Sales")
    slug = _slug(app, make_survey("nps"))
    dry = _run(app, "send", slug, "--where", "team=Support", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "Audience: customer, team = Support" in dry.output
    assert "will be invited: 2" in dry.output
    with app.app_context():
        assert db.session.scalars(select(Wave)).all() == []
    sent = _run(app, "send", slug, "--where", "team=Support", "--label", "March")
    assert sent.exit_code == 0, sent.output
    assert "(March): 2 e-mails queued" in sent.output
    assert len(smtp_server.messages) == 2  # the jobs ran (immediately, in tests)
    here = _run(app, "send", slug, "--foreground")
    assert "skipped, asked recently (throttle): 2" in here.output
    assert "1 of 1 e-mails accepted" in here.output
    listing = _run(app, "waves", "list", slug)
    assert "March" in listing.output and "sent      2" in listing.output
    remind = _run(app, "remind", "--dry-run")
    assert remind.exit_code == 0 and "0 reminders are due." in remind.output


def test_send_refuses_bad_input_in_one_line(app, make_survey):
    slug = _slug(app, make_survey("nps"))
    for args, message in [(("send", "no-such-survey"), "no survey with slug"),
                          (("send", slug, "--where", "team"), "write NAME=VALUE")]:
        result = _run(app, *args)
        assert result.exit_code == 2 and message in result.output
        assert "Traceback" not in result.output


def test_waves_repeat(app, make_survey):
    slug = _slug(app, make_survey("pulse"))
    result = _run(app, "waves", "repeat", slug, "monthly", "--where", "team=Support",
                  "--start", "2026-12-01")
    assert result.exit_code == 0, result.output
    assert "monthly rounds to employee, team = Support, next 2026-12-01 00:00 UTC" in (
        result.output)
    assert "(throttle 27 days)" in result.output
    off = _run(app, "waves", "repeat", slug, "off")
    assert "no more recurring rounds" in off.output


def test_worker_refuses_to_start_in_immediate_mode(app):
    result = _run(app, "worker", "-w", "1")
    assert result.exit_code == 1 and "JOBS_IMMEDIATE is set" in result.output
