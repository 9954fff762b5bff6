"""Every CLI action that changes something writes the same audit row as its web twin."""

from __future__ import annotations

import getpass

import pytest
from sqlalchemy import select

from survey_app.audit.models import AuditEvent
from survey_app.core.db import db


@pytest.fixture
def polso(app):
    runner = app.test_cli_runner()

    def run(*args: str, expect: int = 0):
        result = runner.invoke(args=list(args), catch_exceptions=False)
        assert result.exit_code == expect, result.output
        return result

    return run


def _events(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def _by_cli(event: AuditEvent) -> bool:
    return (event.actor_id is None and event.ip is None
            and event.details["via"] == "cli" and event.details["os_user"] == getpass.getuser())


def test_survey_create_send_and_repeat_are_audited(app, polso, write_csv):
    polso("surveys", "create", "--kind", "nps", "--title", "Q4", "--slug", "q4")
    [created] = _events(app, "survey.create")
    assert _by_cli(created) and created.target_type == "survey"
    assert (created.details["kind"], created.details["title"]) == ("nps", "Q4")

    polso("people", "import", write_csv("email,kind\nann@example.com,customer\n"))
    polso("send", "q4")
    [sent] = _events(app, "wave.sent")
    assert _by_cli(sent) and sent.target_type == "wave"
    assert sent.details["survey_id"] == created.target_id

    polso("waves", "repeat", "q4", "monthly")
    polso("waves", "repeat", "q4", "off")
    assert [(e.details["cadence"], _by_cli(e)) for e in _events(app, "survey.cadence_set")] == [
        ("monthly", True), ("off", True)]


def test_dry_run_send_is_not_audited(app, polso):
    polso("surveys", "create", "--kind", "nps", "--title", "Dry", "--slug", "dry")
    polso("send", "dry", "--dry-run")
    assert _events(app, "wave.sent") == []


def test_import_and_erase_are_audited(app, polso, write_csv):
    polso("people", "import", write_csv("email,name\nbea@example.com,Bea\nbad,x\n"
                                        "cy@example.com,Cy\n"), expect=1)
    [imported] = _events(app, "people.imported")
    assert _by_cli(imported)
    assert {k: imported.details[k] for k in ("rows", "created", "refused")} == {
        "rows": 3, "created": 2, "refused": 1}

    polso("people", "erase", "bea@example.com", "--yes")
    [erased] = _events(app, "person.erased")
    assert _by_cli(erased) and erased.target_type == "person"
    assert erased.details["invitations"] == 0


@pytest.fixture
def write_csv(tmp_path):
    def write(text: str) -> str:
        path = tmp_path / "people.csv"
        path.write_text(text)
        return str(path)

    return write
