"""``polso sentiment score`` and ``polso sentiment rescore``."""

from __future__ import annotations

import sqlalchemy as sa

from survey_app.core.db import db
from survey_app.core.sentiment import ANALYZER_VERSION
from survey_app.responses.models import Response
from survey_app.sentiment.cli import sentiment_cli


def run(app, *args: str, input: str | None = None):
    return app.test_cli_runner().invoke(sentiment_cli, list(args), input=input)


def test_score_reads_stdin_one_text_per_line(app) -> None:
    result = run(app, "score", "--lang", "it",
                 input="Servizio pessimo, nessuno risponde\n\nGrazie mille, gentilissimi!\n")
    assert result.exit_code == 0, result.output
    lines = [line.split("\t") for line in result.output.splitlines()]
    assert [label for _, label in lines] == ["negative", "unknown", "positive"]
    assert float(lines[0][0]) < 0 < float(lines[2][0])
    assert lines[1][0] == ""


def test_score_reads_a_file_in_english_by_default(app, tmp_path) -> None:
    path = tmp_path / "comments.txt"
    path.write_text("Nobody answered my emails.\nPlease send the invoice.\n", encoding="utf-8")
    result = run(app, "score", str(path))
    assert result.exit_code == 0, result.output
    assert [line.split("\t")[1] for line in result.output.splitlines()] == [
        "negative", "neutral"]


def test_score_refuses_a_language_without_analyzer(app) -> None:
    result = run(app, "score", "--lang", "de", input="gut\n")
    assert result.exit_code == 2
    assert "Invalid value for '--lang'" in result.output


def test_rescore_commits_and_reports(app, make_survey, make_link, submit) -> None:
    survey_id = make_survey("nps")
    token = make_link(survey_id, locale="it")
    assert submit(f"/s/{token}", {"score": "5", "comment": "Attesa infinita, operatore scortese"}
                  ).status_code == 303
    with app.app_context():
        db.session.execute(sa.update(Response).values(
            sentiment_label="neutral", sentiment_polarity=0.0, sentiment_analyzer="old"))
        db.session.commit()
        slug = db.session.scalar(sa.text("SELECT slug FROM surveys WHERE id = :i"),
                                 {"i": survey_id})
    result = run(app, "rescore", slug)
    assert result.exit_code == 0, result.output
    assert "Re-scoring comments" in result.output
    assert "1 comments scored, 1 changed." in result.output
    with app.app_context():
        response = db.session.scalars(sa.select(Response)).one()
        assert (response.sentiment_label, response.sentiment_analyzer) == (
            "negative", f"polso-it-{ANALYZER_VERSION}")
        assert response.followup.priority == "red"


def test_rescore_of_an_unknown_survey_is_a_usage_error(app) -> None:
    result = run(app, "rescore", "no-such-survey")
    assert result.exit_code == 2
    assert "no survey with slug 'no-such-survey'" in result.output
