"""The promoter e-mail a day after the answer: real SMTP, sent once, honours unsubscribe."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from survey_app.core.db import db, utcnow
from survey_app.core.tokens import hash_token
from survey_app.invitations.services import create_invitation
from survey_app.invitations.tracking import new_salt, token_for_salt
from survey_app.people.models import Person
from survey_app.people.services import get_or_create_person
from survey_app.referrals import tasks
from survey_app.referrals.emails import send_due
from survey_app.responses.models import Response
from survey_app.surveys.models import Survey


@pytest.fixture
def emailed_answer(app, client, submit):
    """``emailed_answer(survey_id, score, email, locale) -> token`` for an e-mailed link (its
    token derivable from its salt, as for wave e-mails), answered 25 hours ago."""

    def give(survey_id: int, score: int, email: str, locale: str = "en") -> str:
        with app.app_context():
            survey = db.session.get(Survey, survey_id)
            person = get_or_create_person(email, name="Mario", locale=locale)
            invitation, _ = create_invitation(survey, person)
            invitation.token_salt = new_salt()
            token = token_for_salt(invitation.token_salt)
            invitation.token_hash = hash_token(token)
            db.session.commit()
        assert submit(f"/s/{token}", {"score": str(score)}).status_code == 303
        with app.app_context():
            db.session.execute(update(Response).values(
                submitted_dt=utcnow() - timedelta(hours=25)))
            db.session.commit()
        return token

    return give


def test_promoter_gets_one_multipart_email_with_review_and_referral_links(
        app, loop_survey, emailed_answer, smtp_server):
    token = emailed_answer(loop_survey(email=True), 10, "mario@example.com")
    with app.app_context():
        assert tasks.send_promoter_emails.call_local() == 1
        assert send_due() == 0  # never twice
    [message] = smtp_server.to("mario@example.com")
    assert message["Subject"] == "Thank you for recommending us"
    assert message["List-Unsubscribe"] == f"<http://polso.test/u/{token}>"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Hello Mario," in text and "Review us on Google: http://polso.test/r/" in text
    assert "/join/" in text and "Give a friend 10 % off" in text
    assert "g.page" not in text + html and 'href="http://polso.test/r/' in html


def test_italian_promoter_gets_italian(app, loop_survey, emailed_answer, smtp_server):
    emailed_answer(loop_survey(email=True), 9, "giulia@example.com", locale="it")
    with app.app_context():
        send_due()
    [message] = smtp_server.to("giulia@example.com")
    assert message["Subject"] == "Grazie per averci consigliato"
    assert "Regala a un amico" in message.get_body(("plain",)).get_content()


@pytest.mark.parametrize("case", ["unsubscribed", "passive", "disabled", "too_new", "stale"])
def test_nobody_else_is_emailed(app, loop_survey, emailed_answer, smtp_server, case):
    survey_id = loop_survey(email=case != "disabled")
    emailed_answer(survey_id, 8 if case == "passive" else 10, "x@example.com")
    with app.app_context():
        if case == "unsubscribed":
            db.session.execute(update(Person).values(unsubscribed_dt=utcnow()))
        ages = {"too_new": timedelta(hours=2), "stale": timedelta(days=8)}
        if case in ages:
            db.session.execute(update(Response).values(submitted_dt=utcnow() - ages[case]))
        db.session.commit()
        assert send_due() == 0
        assert db.session.scalars(select(Response)).one()
    assert smtp_server.messages == []
