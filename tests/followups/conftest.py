"""Helpers for follow-up tests: cases made through the real respondent services."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from survey_app.accounts.models import User
from survey_app.core.db import db
from survey_app.followups.models import FollowUp
from survey_app.invitations.services import create_invitation
from survey_app.people.services import get_or_create_person
from survey_app.responses.services import Submission, record_response
from survey_app.surveys.models import Survey
from survey_app.surveys.services import create_survey

NEGATIVE_EN = "Terrible service, the worst support I have ever had."
NEGATIVE_IT = "Pessimo servizio, nessuno ha risposto alle mie email."
SCRIPT = '<script>alert("pwned")</script> & <b>bold</b>'

_numbers = itertools.count(1)


@pytest.fixture
def make_case(app: Flask) -> Callable[..., int]:
    """``make_case(score=2, comment=…, kind="nps", email=…, locale="en", survey_id=None,
    now=None, contact=False, attributes=None, **submission) -> case id`` (committed)."""

    def make(score: int = 2, comment: str | None = NEGATIVE_EN, *, kind: str = "nps",
             email: str | None = None, locale: str = "en", survey_id: int | None = None,
             now: datetime | None = None, contact: bool = False, name: str = "",
             attributes: dict[str, str] | None = None, **submission: Any) -> int:
        number = next(_numbers)
        with app.app_context():
            survey = (db.session.get(Survey, survey_id) if survey_id else
                      create_survey(kind=kind, title=f"{kind.upper()} {number}",
                                    slug=f"fu-{kind}-{number}"))
            kind_of_person = "employee" if survey.audience == "employees" else "customer"
            person = get_or_create_person(email or f"c{number}@example.com", kind=kind_of_person,
                                          locale=locale, name=name, attributes=attributes)
            invitation, token = create_invitation(survey, person, now=now)
            response = record_response(
                survey, Submission(score=score, comment=comment, locale=locale,
                                   contact_requested=contact, **submission),
                token=token, channel="email", invitation=invitation, now=now)
            db.session.commit()
            assert response.followup is not None, "this answer opens no case"
            return response.followup.id

    return make


def get_case(case_id: int) -> FollowUp:
    case = db.session.get(FollowUp, case_id, populate_existing=True)
    assert case is not None
    return case


def get_user(user_id: int) -> User:
    return db.session.get(User, user_id)


def audit_actions(target_id: int) -> list[str]:
    from survey_app.audit.models import AuditEvent

    return list(db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.target_type == "followup",
                                        AuditEvent.target_id == target_id)
        .order_by(AuditEvent.id)))
