"""Sentiment of stored responses: red cases, mismatch flags, and re-scoring."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
import sqlalchemy as sa

from survey_app.core.db import db
from survey_app.core.sentiment import ANALYZER_VERSION
from survey_app.followups.models import FollowUp
from survey_app.followups.services import reprioritise
from survey_app.invitations.services import create_invitation
from survey_app.people.services import get_or_create_person
from survey_app.responses.models import Response
from survey_app.responses.services import Submission, record_response
from survey_app.sentiment.services import count_comments, rescore_responses
from survey_app.surveys.models import Survey
from survey_app.surveys.services import create_survey

pytestmark = pytest.mark.usefixtures("app_ctx")

ANGRY_IT = "Servizio vergognoso, nessuno mi ha mai risposto e il rimborso non è mai arrivato!"
ANGRY_EN = "Honestly the worst support ever. Nobody answered my emails for two weeks."
_numbers = itertools.count(1)


def new_survey(kind: str = "nps") -> Survey:
    number = next(_numbers)
    return create_survey(kind=kind, title="t", slug=f"sent-{number}")


def answer(survey: Survey, score: int, comment: str | None, locale: str = "en") -> Response:
    person = get_or_create_person(f"sent{next(_numbers)}@example.com", locale=locale)
    invitation, token = create_invitation(survey, person)
    return record_response(survey, Submission(score=score, comment=comment, locale=locale),
                           token=token, channel="email", invitation=invitation)


def snapshot(model: type, row_id: int) -> dict[str, Any]:
    row = db.session.execute(sa.select(model.__table__).where(model.id == row_id)).one()
    return dict(row._mapping)


def make_stale(response: Response) -> None:
    """Pretend *response* was scored by an older analyzer that saw nothing in the comment."""
    db.session.execute(
        sa.update(Response).where(Response.id == response.id).values(
            sentiment_polarity=0.0, sentiment_label="neutral", sentiment_analyzer="polso-it-0",
            is_mismatch=False)
        .execution_options(synchronize_session=False))
    db.session.expire(response)
    if response.followup is not None:
        reprioritise(response.followup)
    db.session.flush()


def test_italian_detractor_with_angry_comment_opens_a_red_case() -> None:
    response = answer(new_survey(), 5, ANGRY_IT, locale="it")
    assert (response.sentiment_label, response.sentiment_analyzer) == (
        "negative", f"polso-it-{ANALYZER_VERSION}")
    assert response.sentiment_polarity < -0.5
    assert (response.followup.reason, response.followup.priority) == ("detractor", "red")


def test_italian_detractor_with_mild_comment_gets_a_yellow_case() -> None:
    response = answer(new_survey(), 5, "Vorrei sapere quando arriva la fattura.", locale="it")
    assert response.sentiment_label == "neutral"
    assert response.followup.priority == "yellow"


def test_english_promoter_with_angry_comment_raises_the_mismatch_flag() -> None:
    response = answer(new_survey(), 9, ANGRY_EN)
    assert response.category == "promoter"
    assert response.sentiment_label == "negative"
    assert response.is_mismatch
    assert response.followup.reason == "mismatch"


def test_english_promoter_with_praise_raises_nothing() -> None:
    response = answer(new_survey(), 10, "Anna from support was fantastic, thank you!")
    assert response.sentiment_label == "positive"
    assert not response.is_mismatch and response.followup is None


def test_rescore_changes_nothing_but_sentiment_and_priority() -> None:
    survey = new_survey()
    detractor = answer(survey, 5, ANGRY_IT, locale="it")
    untouched = answer(survey, 9, "Ottimo servizio, grazie!", locale="it")
    silent = answer(survey, 6, None, locale="it")
    make_stale(detractor)
    case = detractor.followup
    assert case.priority == "yellow"
    before = {
        "detractor": snapshot(Response, detractor.id),
        "untouched": snapshot(Response, untouched.id),
        "silent": snapshot(Response, silent.id),
        "case": snapshot(FollowUp, case.id),
        "silent case": snapshot(FollowUp, silent.followup.id),
    }

    assert rescore_responses(survey) == 1
    db.session.commit()

    after = {
        "detractor": snapshot(Response, detractor.id),
        "untouched": snapshot(Response, untouched.id),
        "silent": snapshot(Response, silent.id),
        "case": snapshot(FollowUp, case.id),
        "silent case": snapshot(FollowUp, silent.followup.id),
    }
    changed = {name: {k for k in before[name] if before[name][k] != after[name][k]}
               for name in before}
    assert changed == {
        "detractor": {"sentiment_polarity", "sentiment_label", "sentiment_analyzer"},
        "untouched": set(),
        "silent": set(),
        "case": {"priority", "priority_rank", "due_dt"},  # the rank is the priority's sort key
        "silent case": set(),
    }
    assert after["detractor"]["sentiment_label"] == "negative"
    assert after["detractor"]["sentiment_analyzer"] == f"polso-it-{ANALYZER_VERSION}"
    assert after["detractor"]["version"] == before["detractor"]["version"]
    assert after["case"]["priority"] == "red"


def test_rescore_sets_the_mismatch_flag_but_opens_no_case() -> None:
    survey = new_survey()
    promoter = answer(survey, 9, ANGRY_EN)
    db.session.delete(promoter.followup)
    db.session.flush()
    make_stale(promoter)
    assert rescore_responses() >= 1
    db.session.expire_all()
    assert promoter.is_mismatch and promoter.sentiment_label == "negative"
    assert promoter.followup is None


def test_rescore_leaves_worked_cases_alone() -> None:
    survey = new_survey()
    response = answer(survey, 5, ANGRY_IT, locale="it")
    make_stale(response)
    response.followup.status = "resolved"
    db.session.flush()
    before = snapshot(FollowUp, response.followup.id)
    assert rescore_responses(survey) == 1
    assert snapshot(FollowUp, response.followup.id) == before


def test_rescore_of_one_survey_leaves_others_and_reports_progress() -> None:
    mine, other = new_survey(), new_survey()
    mine_responses = [answer(mine, 6, ANGRY_IT, locale="it") for _ in range(3)]
    theirs = answer(other, 6, ANGRY_IT, locale="it")
    for response in [*mine_responses, theirs]:
        make_stale(response)
    seen: list[int] = []
    assert count_comments(mine) == 3
    assert rescore_responses(mine, progress=seen.append, batch_size=2) == 3
    assert seen == [2, 1]
    assert snapshot(Response, theirs.id)["sentiment_label"] == "neutral"


def test_rescore_twice_changes_nothing_the_second_time() -> None:
    survey = new_survey()
    make_stale(answer(survey, 4, ANGRY_EN))
    assert rescore_responses(survey) == 1
    assert rescore_responses(survey) == 0


def test_rescore_applies_the_configured_thresholds(app) -> None:
    survey = new_survey()
    response = answer(survey, 8, "The delivery was a bit late.")
    assert response.sentiment_label == "negative"
    app.config["SENTIMENT_THRESHOLDS"] = (-0.9, 0.9)
    try:
        assert rescore_responses(survey) == 1
    finally:
        app.config["SENTIMENT_THRESHOLDS"] = (-0.05, 0.05)
    assert snapshot(Response, response.id)["sentiment_label"] == "neutral"
