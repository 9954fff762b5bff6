"""``polso themes tag`` and ``polso themes retag``."""

from __future__ import annotations

import sqlalchemy as sa

from survey_app.core.db import db
from survey_app.surveys.models import Survey
from survey_app.themes.cli import themes_cli


def run(app, *args: str, input: str | None = None):
    return app.test_cli_runner().invoke(themes_cli, list(args), input=input)


def test_tag_reads_stdin_one_text_per_line(app) -> None:
    result = run(app, "tag", "--lang", "it",
                 input="Il corriere è in ritardo e costa troppo\n\nGrazie!\nNon è il prezzo\n")
    assert result.exit_code == 0, result.output
    assert result.output.split("\n") == ["delivery,price", "", "", "price", ""]


def test_tag_reads_a_file_with_the_employee_taxonomy(app, tmp_path) -> None:
    path = tmp_path / "comments.txt"
    path.write_text("My manager never listens\r\nNo raise for three years\n", encoding="utf-8")
    result = run(app, "tag", "--kind", "employee", str(path))
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == ["manager", "pay"]


def test_tag_uses_the_customer_taxonomy_in_english_by_default(app) -> None:
    result = run(app, "tag", input="My manager never listens\n")
    assert result.output.splitlines() == ["staff"]  # a shop's manager: staff attitude


def test_tag_refuses_bad_arguments_with_exit_2(app) -> None:
    for args in (("tag", "--lang", "de"), ("tag", "--kind", "robot"),
                 ("tag", "/no/such/file")):
        result = run(app, *args, input="x\n")
        assert result.exit_code == 2, args


def test_retag_tags_stored_answers_with_progress(app, make_survey, answer, stored_themes
                                                 ) -> None:
    survey = make_survey("nps")
    other = make_survey("nps")
    first, second = answer(survey, 2, "Courier was late"), answer(other, 2, "Too expensive")
    with app.app_context():
        db.session.execute(sa.text("DELETE FROM response_themes"))
        db.session.commit()
        slug = db.session.get(Survey, survey).slug
    result = run(app, "retag", slug)
    assert result.exit_code == 0, result.output
    assert "Tagging answers" in result.output
    assert "1 answers tagged, 1 changed." in result.output
    assert stored_themes(first) == [("delivery", None)] and stored_themes(second) == []
    result = run(app, "retag")
    assert "2 answers tagged, 1 changed." in result.output
    assert stored_themes(second) == [("price", None)]


def test_retag_refuses_an_unknown_slug(app) -> None:
    result = run(app, "retag", "no-such-survey")
    assert result.exit_code == 2
    assert "no survey with slug 'no-such-survey'" in result.output
