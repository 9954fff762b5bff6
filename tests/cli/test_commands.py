"""The ``polso`` admin commands: happy paths, and one-line errors with exit code 2."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from survey_app.core.db import db
from survey_app.people.models import Person
from survey_app.surveys.models import Survey


@pytest.fixture
def polso(app):
    runner = app.test_cli_runner()

    def run(*args: str):
        return runner.invoke(args=list(args), catch_exceptions=False)

    return run


def test_surveys_create_with_defaults(app, polso):
    result = polso("surveys", "create", "--kind", "pulse", "--title", "Team pulse",
                   "--slug", "team-pulse", "--lang", "it")
    assert result.exit_code == 0, result.output
    with app.app_context():
        survey = db.session.scalar(select(Survey).where(Survey.slug == "team-pulse"))
        assert (survey.anonymity, survey.audience, survey.default_locale) == (
            "anonymous", "employees", "it")
        assert len(survey.questions) == 5


@pytest.mark.parametrize("args", [
    ["surveys", "create", "--kind", "bogus", "--title", "T", "--slug", "x"],
    ["surveys", "create", "--kind", "nps", "--title", "T", "--slug", "Not A Slug"],
    ["surveys", "create", "--kind", "nps", "--title", "  ", "--slug", "ok"],
    ["links", "create", "no-such-survey", "--email", "a@example.com"],
    ["responses", "export", "no-such-survey"],
])
def test_bad_arguments_give_one_line_and_exit_2(polso, args):
    result = polso(*args)
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "Error" in result.output


def test_duplicate_slug_is_refused(polso):
    assert polso("surveys", "create", "--kind", "nps", "--title", "A", "--slug", "dup"
                 ).exit_code == 0
    result = polso("surveys", "create", "--kind", "nps", "--title", "B", "--slug", "dup")
    assert result.exit_code == 2 and "already exists" in result.output


def test_links_create_prints_a_working_link_and_creates_the_person(app, client, polso):
    polso("surveys", "create", "--kind", "nps", "--title", "NPS", "--slug", "nps")
    result = polso("links", "create", "nps", "--email", "Ann@Example.com", "--name", "Ann",
                   "--attr", "team=Support", "--attr", "plan=pro")
    assert result.exit_code == 0, result.output
    link = result.output.strip()
    assert link.startswith("http://polso.test/s/")
    assert client.get(link.removeprefix("http://polso.test")).status_code == 200
    with app.app_context():
        person = db.session.scalar(select(Person))
        assert (person.email, person.name, person.attributes) == (
            "ann@example.com", "Ann", {"team": "Support", "plan": "pro"})


@pytest.mark.parametrize("extra", [["--email", "not-an-email"],
                                   ["--email", "a@b.co", "--attr", "x"]])
def test_links_create_refuses_bad_input(polso, extra):
    polso("surveys", "create", "--kind", "nps", "--title", "NPS", "--slug", "nps2")
    result = polso("links", "create", "nps2", *extra)
    assert result.exit_code == 2 and "Traceback" not in result.output


def _answer(client, submit, link: str, score: str, comment: str) -> None:
    path = link.strip().removeprefix("http://polso.test")
    assert submit(path, {"score": score, "comment": comment}).status_code == 303


def test_export_of_anonymous_survey_below_its_threshold_is_refused(app, client, submit, polso):
    # One answer is below the anonymity threshold (5): the export refuses rather than expose it.
    # The anonymity rules and filters of the export are tested in tests/dashboards/.
    polso("surveys", "create", "--kind", "enps", "--title", "eNPS", "--slug", "enps")
    link = polso("links", "create", "enps", "--email", "bob@example.com", "--attr",
                 "team=Ops").output
    _answer(client, submit, link, "3", "=HYPERLINK(\"http://evil\")")
    result = polso("responses", "export", "enps")
    assert result.exit_code == 2
    assert "Not enough responses to protect anonymity" in result.output
    assert "bob" not in result.output and "HYPERLINK" not in result.output


def test_export_of_identified_survey_names_the_person(client, submit, polso):
    polso("surveys", "create", "--kind", "nps", "--title", "NPS", "--slug", "nps3")
    link = polso("links", "create", "nps3", "--email", "cy@example.com").output
    _answer(client, submit, link, "10", "-great")
    rows = list(csv.DictReader(io.StringIO(polso("responses", "export", "nps3").output)))
    assert rows[0]["email"] == "cy@example.com" and rows[0]["comment"] == "'-great"


def test_followups_list_as_json(client, submit, polso):
    polso("surveys", "create", "--kind", "nps", "--title", "NPS", "--slug", "nps4")
    link = polso("links", "create", "nps4", "--email", "dee@example.com").output
    _answer(client, submit, link, "1", "Awful, nobody ever answered.")
    cases = json.loads(polso("followups", "list", "--json").output)
    assert [(c["priority"], c["status"], c["email"]) for c in cases] == [
        ("red", "new", "dee@example.com")]
    assert "dee@example.com" in polso("followups", "list").output


@pytest.mark.parametrize(("setting", "message"), [
    ({}, "Set POLSO_SECRET_KEY"),
    ({"POLSO_SECRET_KEY": "x" * 32, "POLSO_TRUSTED_PROXIES": "many"},
     "POLSO_TRUSTED_PROXIES must be a whole number"),
])
def test_a_bad_setting_is_one_line_not_a_traceback(tmp_path, setting, message):
    """An operator's first ``polso --help`` or ``polso db upgrade`` on a fresh machine."""
    polso = str(Path(sys.executable).parent / "polso")
    env = {k: v for k, v in os.environ.items() if not k.startswith("POLSO_")}
    env.update({"POLSO_DATABASE_URL": f"sqlite:///{tmp_path / 'polso.sqlite3'}", **setting})
    for args in (["--help"], ["db", "upgrade"]):
        run = subprocess.run([polso, *args], env=env, capture_output=True, text=True,
                             timeout=120, cwd=tmp_path)
        assert f"Error: {message}" in run.stderr and "Traceback" not in run.stderr, run.stderr
