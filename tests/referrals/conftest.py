"""Fixtures of the promoter loop: a customer survey with review links and an offer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from survey_app.core.db import db
from survey_app.referrals.settings import PromoterSpec, save_settings
from survey_app.responses.models import Response
from survey_app.surveys.models import Survey

GOOGLE = "https://g.page/r/acme/review"
TRUSTPILOT = "https://www.trustpilot.com/evaluate/acme.example"


@pytest.fixture
def loop_survey(app: Flask, make_survey: Callable[..., int]) -> Callable[..., int]:
    """``loop_survey(offer=…, email=…, **make_survey options) -> id`` with two review links."""

    def make(*, offer: str = "Give a friend 10 % off, get 10 % off.", email: bool = False,
             **options: Any) -> int:
        survey_id = make_survey("nps", **options)
        with app.app_context():
            save_settings(db.session.get(Survey, survey_id), PromoterSpec(
                links=[("Google", GOOGLE), ("Trustpilot", TRUSTPILOT)],
                offer={"en": offer, "it": "Regala a un amico il 10 % di sconto."} if offer else {},
                is_email_enabled=email))
            db.session.commit()
        return survey_id

    return make


@pytest.fixture
def answer(client, submit, make_link) -> Callable[..., str]:
    """``answer(survey_id, score, **make_link options) -> token``: answered through the form."""

    def give(survey_id: int, score: int, **options: Any) -> str:
        token = make_link(survey_id, **options)
        response = submit(f"/s/{token}", {"score": str(score)})
        assert response.status_code == 303, response.get_data(as_text=True)
        return token

    return give


def response_of(app: Flask, survey_id: int) -> Response:
    with app.app_context():
        response = db.session.scalars(select(Response)
                                      .where(Response.survey_id == survey_id)).one()
        db.session.expunge(response)
        return response
