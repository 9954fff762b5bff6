"""Issue #12 point 3: free-text pulse answers on the dashboard, under the comment rules.

Shown only in a shown group with at least five of them, shuffled (by the response's hash),
dated by period only, without segment or identity; the export includes a free-text column
by the same count, question by question.
"""

from __future__ import annotations

import re

from sqlalchemy import select

from survey_app.core.db import db
from survey_app.responses.models import Answer, Response
from survey_app.surveys.models import Survey
from tests.dashboards.helpers import NOT_ENOUGH, csv_rows, section, text

WORDING = "What one thing would make your work better?"


def people(department: str, n: int, *, texts: int = 0, comments: int = 0) -> list[dict]:
    return [dict(score=(9, 6, 8)[i % 3], segment={"department": department},
                 comment=f"{department} comment {i}" if i < comments else None,
                 answers={1: 4, 4: f"{department} idea number {i}"} if i < texts else {1: 4})
            for i in range(n)]


def _question(page: str) -> str:
    block = re.search(r'<div class="dash-question">\s*<h3>' + re.escape(WORDING)
                      + r"</h3>(.*?)</div>\s*(?=<div class=\"dash-question\">|</section>)",
                      section(page, "questions-title"), re.S)
    assert block, "the free-text question is on the page"
    return block.group(1)


def test_free_text_answers_are_shown_shuffled_and_dated_by_period(app, client, login,
                                                                  make_survey, add_responses):
    survey = make_survey("pulse")
    add_responses(survey, people("Tech", 8, texts=6) + people("Sales", 10))
    login(client, "hr")
    block = _question(client.get(f"/surveys/{survey}?trend=week").get_data(as_text=True))
    shown = [text(t) for t in re.findall(r'<p class="comment-text">(.*?)</p>', block, re.S)]
    with app.app_context():
        expected = db.session.scalars(
            select(Answer.value_text).join(Response)
            .where(Response.survey_id == survey, Answer.value_text.is_not(None))
            .order_by(Response.token_digest)).all()
    assert shown == expected and len(shown) == 6
    metas = [text(m) for m in re.findall(r'<p class="comment-meta">(.*?)</p>', block, re.S)]
    assert len(metas) == 6 and all(m.startswith("week of") for m in metas)
    assert "department" not in block and "Tech" not in " ".join(metas)
    assert "6 answers" in text(block)


def test_fewer_than_five_free_text_answers_are_not_shown(client, login, make_survey,
                                                         add_responses):
    survey = make_survey("pulse")
    add_responses(survey, people("Tech", 8, texts=4, comments=8) + people("Sales", 10))
    login(client, "hr")
    block = text(_question(client.get(f"/surveys/{survey}").get_data(as_text=True)))
    assert "idea number" not in block
    assert "Not enough answers to show them while protecting anonymity." in block
    hidden = client.get(f"/surveys/{survey}?segment=department:Tech").get_data(as_text=True)
    assert "idea number" not in hidden  # Tech alone has 8 responses, 4 free-text answers


def test_a_hidden_group_shows_no_free_text(client, login, make_survey, add_responses):
    survey = make_survey("pulse")
    add_responses(survey, people("Tech", 3, texts=3) + people("Sales", 10, texts=10))
    login(client, "hr")
    page = client.get(f"/surveys/{survey}?segment=department:Tech").get_data(as_text=True)
    assert NOT_ENOUGH in page and "idea number" not in page


def test_identified_pulse_shows_every_answer_with_its_day(client, login, make_survey,
                                                          add_responses):
    survey = make_survey("pulse", anonymous=False)
    add_responses(survey, people("Tech", 2, texts=1))
    login(client, "admin")
    block = _question(client.get(f"/surveys/{survey}").get_data(as_text=True))
    assert "Tech idea number 0" in text(block) and "week of" not in block


def test_export_includes_free_text_by_its_own_count(app, make_survey, add_responses):
    """Through ``polso responses export`` (the same ``prepare_export`` as the page's link)."""

    def export(survey_id: int) -> list[dict[str, str]]:
        with app.app_context():
            slug = db.session.get(Survey, survey_id).slug
        result = app.test_cli_runner().invoke(args=["responses", "export", slug])
        assert result.exit_code == 0, result.output
        return csv_rows(result.output)

    survey = make_survey("pulse")
    # 6 comments but only 2 free-text answers: the free text stays out, the comments go in.
    add_responses(survey, people("Tech", 6, texts=2, comments=6))
    rows = export(survey)
    assert sum(bool(r["comment"]) for r in rows) == 6
    assert not any(r["q4"] for r in rows)
    other = make_survey("pulse")
    add_responses(other, people("Tech", 6, texts=5))  # no comments, 5 free-text answers
    rows = export(other)
    assert not any(r["comment"] for r in rows)
    assert sum(bool(r["q4"]) for r in rows) == 5
