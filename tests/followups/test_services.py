"""Who gets a follow-up case, with which priority — the rules in one service."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from sqlalchemy import select

from survey_app.core.db import db, utcnow
from survey_app.followups.models import FollowUp
from survey_app.invitations.services import create_invitation
from survey_app.people.services import get_or_create_person
from survey_app.responses.services import Submission, record_response, update_response
from survey_app.surveys.services import create_survey

pytestmark = pytest.mark.usefixtures("app_ctx")

NEGATIVE_EN = "Terrible service, the worst support I have ever had."
POSITIVE_EN = "Wonderful people, great and fast help."
_numbers = itertools.count(1)


def answer(kind: str, score: int, comment: str | None = None, *, anonymous: bool | None = None,
           contact: bool = False, locale: str = "en"):
    number = next(_numbers)
    survey = create_survey(kind=kind, title="t", slug=f"s-{number}", anonymous=anonymous)
    person = get_or_create_person(f"p{number}@example.com", locale=locale)
    invitation, token = create_invitation(survey, person)
    return record_response(survey, Submission(score=score, comment=comment, locale=locale,
                                              contact_requested=contact),
                           token=token, channel="email", invitation=invitation)


@pytest.mark.parametrize(("score", "comment", "priority"), [
    (6, None, "yellow"), (4, POSITIVE_EN, "yellow"), (6, NEGATIVE_EN, "red"),
    (3, None, "red"), (0, POSITIVE_EN, "red"),
])
def test_identified_detractor_opens_a_case(score, comment, priority):
    response = answer("nps", score, comment)
    case = response.followup
    assert (case.reason, case.priority, case.status, case.team) == (
        "detractor", priority, "new", "support")
    hours = {"red": 24, "yellow": 72}[priority]
    assert case.due_dt - case.created_dt == timedelta(hours=hours)


@pytest.mark.parametrize("score", [7, 8, 9, 10])
def test_happy_score_with_negative_comment_is_a_mismatch(score):
    response = answer("nps", score, NEGATIVE_EN)
    assert response.is_mismatch
    assert (response.followup.reason, response.followup.priority) == ("mismatch", "yellow")


@pytest.mark.parametrize("score", [7, 9, 10])
def test_happy_score_without_complaint_opens_nothing(score):
    response = answer("nps", score, POSITIVE_EN)
    assert not response.is_mismatch and response.followup is None


@pytest.mark.parametrize(("score", "priority"), [(1, "red"), (2, "yellow")])
def test_csat_dissatisfied_opens_a_case(score, priority):
    assert answer("csat", score).followup.priority == priority


def test_csat_neutral_opens_nothing():
    assert answer("csat", 3).followup is None


def test_anonymous_detractor_opens_nothing_without_consent():
    response = answer("enps", 0, NEGATIVE_EN)
    assert response.followup is None and response.person_id is None


def test_anonymous_contact_request_goes_to_hr():
    response = answer("enps", 10, POSITIVE_EN, contact=True)
    assert (response.followup.team, response.followup.reason, response.followup.priority) == (
        "hr", "contact_request", "green")
    assert response.followup.person_id == response.person_id is not None


def test_edit_reprioritises_the_open_case():
    response = answer("nps", 5, None)
    assert response.followup.priority == "yellow"
    update_response(response, Submission(score=5, comment=NEGATIVE_EN), version=response.version)
    assert response.followup.priority == "red"
    assert db.session.scalar(select(FollowUp.id).where(FollowUp.response_id == response.id))


def test_edit_from_happy_to_detractor_opens_a_case():
    response = answer("nps", 10, POSITIVE_EN)
    assert response.followup is None
    update_response(response, Submission(score=2), version=response.version, now=utcnow())
    assert response.followup is not None and response.followup.priority == "red"
