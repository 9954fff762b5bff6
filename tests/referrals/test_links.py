"""The review redirect (no open redirect) and the referral sign-up (docs/referrals.md)."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from survey_app.core.db import db
from survey_app.people.models import Person
from survey_app.people.services import get_or_create_person
from survey_app.privacy.erasure import erase_person
from survey_app.referrals.metrics import survey_figures
from survey_app.referrals.models import Referral, ReferralCode, ReviewLink
from survey_app.retention.models import Activity
from survey_app.surveys.models import Survey, SurveyStatus
from tests.referrals.conftest import GOOGLE, TRUSTPILOT

JOIN = re.compile(r'/join/([A-Za-z0-9_-]{22})"')


def clicks(app) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(select(ReviewLink.clicks).order_by(ReviewLink.position)))


def test_redirect_goes_to_the_configured_address_and_counts(app, client, loop_survey):
    slug = db_slug(app, loop_survey())
    first = client.get(f"/r/{slug}/1")
    assert (first.status_code, first.headers["Location"]) == (303, GOOGLE)
    assert client.get(f"/r/{slug}/2").headers["Location"] == TRUSTPILOT
    client.get(f"/r/{slug}/2?next=https://evil.example/")
    assert clicks(app) == [1, 2]


@pytest.mark.parametrize("path", [
    "/r/{slug}/3", "/r/{slug}/0", "/r/{slug}/99999999", "/r/nope/1", "/r/{slug}/-1",
    "/r/{slug}/1x", "/r/{slug}/https:%2F%2Fevil.example", "/r/{slug}%00/1",
    "/r//evil.example/1",
])
def test_anything_else_is_not_found(app, client, loop_survey, path):
    slug = db_slug(app, loop_survey())
    answer = client.get(path.format(slug=slug))
    if answer.status_code == 308:  # Werkzeug merges "//" on our own host, then: not found
        assert answer.headers["Location"].startswith("http://localhost/r/")
        answer = client.get(answer.headers["Location"])
    assert answer.status_code == 404
    assert "Location" not in answer.headers
    assert clicks(app) == [0, 0]


def test_draft_survey_has_no_redirect(app, client, loop_survey):
    survey_id = loop_survey()
    with app.app_context():
        survey = db.session.get(Survey, survey_id)
        survey.status = SurveyStatus.DRAFT
        slug = survey.slug
        db.session.commit()
    assert client.get(f"/r/{slug}/1").status_code == 404


def db_slug(app, survey_id: int) -> str:
    with app.app_context():
        return db.session.get(Survey, survey_id).slug


def promoter_code(client, loop_survey, answer, **options) -> str:
    token = answer(loop_survey(), 10, **options)
    return JOIN.search(client.get(f"/s/{token}/thanks").get_data(as_text=True)).group(1)


def test_sign_up_creates_a_customer_attributed_to_the_promoter(app, client, submit,
                                                               loop_survey, answer):
    code = promoter_code(client, loop_survey, answer, email="mario@example.com")
    page = client.get(f"/join/{code}")
    assert page.status_code == 200 and "Give a friend 10 % off" in page.get_data(as_text=True)
    sent = submit(f"/join/{code}", {"name": "Anna", "email": " Anna@Example.COM ",
                                    "consent": "y"})
    assert sent.status_code == 200 and "We have your details" in sent.get_data(as_text=True)
    with app.app_context():
        anna = db.session.scalars(select(Person).where(Person.email == "anna@example.com")).one()
        assert (anna.name, anna.kind) == ("Anna", "customer")
        referral = db.session.scalars(select(Referral)).one()
        promoter = db.session.get(ReferralCode, referral.code_id).person
        assert (referral.person_id, referral.channel) == (anna.id, "form")
        assert promoter.email == "mario@example.com"
        assert db.session.scalar(select(ReferralCode.opens)) == 2  # both page views


def test_known_address_is_not_attributed_and_not_revealed(app, client, submit, loop_survey,
                                                          answer):
    code = promoter_code(client, loop_survey, answer)
    with app.app_context():
        get_or_create_person("old@example.com", name="Old")
        db.session.commit()
    sent = submit(f"/join/{code}", {"name": "New name", "email": "old@example.com",
                                    "consent": "y"})
    assert sent.status_code == 200 and "We have your details" in sent.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Referral)) == 0
        old = db.session.scalars(select(Person).where(Person.email == "old@example.com")).one()
        assert old.name == "Old"


@pytest.mark.parametrize(("data", "message"), [
    ({"name": "Anna", "email": "not-an-address", "consent": "y"},
     "This is not a valid e-mail address."),
    ({"name": "Anna", "email": "anna@example.com"}, "Please tick the box to agree"),
    ({"name": "", "email": "anna@example.com", "consent": "y"}, "Please give your name."),
    ({"name": "An\nna", "email": "anna@example.com", "consent": "y"}, "on one line"),
])
def test_bad_sign_up_is_refused_and_keeps_what_was_typed(app, client, submit, loop_survey,
                                                         answer, data, message):
    code = promoter_code(client, loop_survey, answer)
    sent = submit(f"/join/{code}", data)
    assert sent.status_code == 422
    assert message in sent.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Referral)) == 0


def test_sign_up_needs_the_csrf_token(app, client, loop_survey, answer):
    code = promoter_code(client, loop_survey, answer)
    sent = client.post(f"/join/{code}", data={"name": "A", "email": "a@example.com",
                                              "consent": "y"})
    assert sent.status_code in (400, 422)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Referral)) == 0


@pytest.mark.parametrize("code", ["x", "A" * 22, "A" * 200, "%00" * 22])
def test_unknown_codes_are_not_found(client, code):
    assert client.get(f"/join/{code}").status_code == 404


def test_erased_promoter_link_stops_working(app, client, loop_survey, answer):
    code = promoter_code(client, loop_survey, answer, email="gone@example.com")
    with app.app_context():
        erase_person(db.session.scalars(select(Person)
                                        .where(Person.email == "gone@example.com")).one())
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(ReferralCode)) == 0
    assert client.get(f"/join/{code}").status_code == 404


def test_dashboard_shows_the_promoter_loop_figures(app, client, submit, login, loop_survey,
                                                   answer):
    survey_id = loop_survey()
    code = promoter_code_for(client, survey_id, answer)
    answer(survey_id, 9)  # a second promoter, who does not click
    slug = db_slug(app, survey_id)
    client.get(f"/r/{slug}/1")
    assert submit(f"/join/{code}", {"name": "A", "email": "a@example.com",
                                    "consent": "y"}).status_code == 200
    with app.app_context():
        friend = db.session.scalars(select(Person).where(Person.email == "a@example.com")).one()
        today = date.today()
        db.session.add_all([
            Activity(person_id=friend.id, occurred_on=today, kind="purchase", external_id="o1"),
            Activity(person_id=friend.id, occurred_on=today, kind="renewal", external_id="o2"),
            Activity(person_id=friend.id, occurred_on=today - timedelta(days=30),
                     kind="purchase", external_id="before"),  # before the referral
            Activity(person_id=friend.id, occurred_on=today, kind="cancellation",
                     external_id="c1"),
        ])
        db.session.commit()
        figures = survey_figures(db.session.get(Survey, survey_id))
    assert (figures.promoters, figures.review_clicks, figures.links_shared) == (2, 1, 1)
    assert (figures.link_opens, figures.referred) == (1, 1)
    assert (figures.referred_buyers, figures.referred_orders) == (1, 2)
    assert figures.click_rate == 50
    login(client, "admin")
    html = client.get(f"/surveys/{survey_id}").get_data(as_text=True)
    assert "Referral links shared" in html and "50 per 100 promoters" in html


def promoter_code_for(client, survey_id: int, answer) -> str:
    token = answer(survey_id, 10)
    return JOIN.search(client.get(f"/s/{token}/thanks").get_data(as_text=True)).group(1)
