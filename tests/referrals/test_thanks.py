"""The thank-you page per category: promoters, passives, detractors (docs/referrals.md)."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from survey_app.core.db import db
from survey_app.referrals.models import ReferralCode
from tests.referrals.conftest import response_of

JOIN = re.compile(r'value="http://localhost/join/([A-Za-z0-9_-]{22})"')


def test_promoter_is_asked_for_a_review_and_gets_a_referral_link(app, client, loop_survey,
                                                                  answer):
    survey_id = loop_survey()
    token = answer(survey_id, 10)
    html = client.get(f"/s/{token}/thanks").get_data(as_text=True)
    assert "Review us on Google" in html and "Review us on Trustpilot" in html
    assert 'href="/r/' in html and "g.page" not in html  # only our own redirect
    assert "Give a friend 10 % off" in html
    code = JOIN.search(html).group(1)
    # The same link every time the page is shown; only its hash and salt are stored.
    assert JOIN.search(client.get(f"/s/{token}/thanks").get_data(as_text=True)).group(1) == code
    with app.app_context():
        row = db.session.scalars(select(ReferralCode)).one()
        assert code not in (row.code_hash, row.code_salt)
        assert row.response_id == response_of(app, survey_id).id
    assert client.get(f"/join/{code}").status_code == 200


def test_promoter_in_italian(client, loop_survey, answer):
    token = answer(loop_survey(), 9, locale="it")
    html = client.get(f"/s/{token}/thanks").get_data(as_text=True)
    assert "Regala a un amico il 10 % di sconto." in html
    assert "Lascia una recensione su Google" in html
    assert "Il tuo link di invito personale" in html


def test_without_an_offer_there_is_no_referral_link(app, client, loop_survey, answer):
    token = answer(loop_survey(offer=""), 10)
    html = client.get(f"/s/{token}/thanks").get_data(as_text=True)
    assert "Review us on Google" in html and "/join/" not in html
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ReferralCode)) == 0


def test_anonymous_customer_survey_asks_for_reviews_but_gives_no_personal_link(
        app, client, loop_survey, answer):
    token = answer(loop_survey(anonymous=True), 10)
    html = client.get(f"/s/{token}/thanks").get_data(as_text=True)
    assert "Review us on Google" in html and "/join/" not in html
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ReferralCode)) == 0


def test_survey_without_a_promoter_loop_just_thanks(client, make_survey, answer):
    html = client.get(f"/s/{answer(make_survey('nps'), 10)}/thanks").get_data(as_text=True)
    assert "Thank you!" in html and "Review us" not in html and "/join/" not in html


def test_passive_is_asked_what_would_make_it_a_ten(app, client, loop_survey, answer):
    survey_id = loop_survey()
    token = answer(survey_id, 8)
    page = client.get(f"/s/{token}/thanks")
    html = page.get_data(as_text=True)
    assert "What would make it a 10?" in html and "Review us" not in html
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    sent = client.post(f"/s/{token}/thanks", data={"csrf_token": csrf,
                                                   "improvement": "  Faster delivery.  "})
    assert sent.status_code == 303
    assert response_of(app, survey_id).improvement == "Faster delivery."
    html = client.get(f"/s/{token}/thanks").get_data(as_text=True)
    assert "Thank you for telling us what would make it a 10." in html
    assert 'name="improvement"' not in html
    again = client.post(f"/s/{token}/thanks", data={"csrf_token": csrf, "improvement": "x"})
    assert again.status_code == 409
    assert response_of(app, survey_id).improvement == "Faster delivery."


def test_passive_reply_is_validated_and_needs_its_csrf_token(app, client, loop_survey, answer):
    survey_id = loop_survey()
    token = answer(survey_id, 7)
    html = client.get(f"/s/{token}/thanks").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    empty = client.post(f"/s/{token}/thanks", data={"csrf_token": csrf, "improvement": "  "})
    assert empty.status_code == 422 and "Please write a few words." in empty.get_data(as_text=True)
    forged = client.post(f"/s/{token}/thanks", data={"improvement": "hello"})
    assert forged.status_code == 422
    nul = client.post(f"/s/{token}/thanks", data={"csrf_token": csrf, "improvement": "a\x00b"})
    assert nul.status_code == 422
    assert response_of(app, survey_id).improvement is None


def test_promoter_cannot_post_an_improvement(client, loop_survey, answer):
    token = answer(loop_survey(), 10)
    assert client.post(f"/s/{token}/thanks", data={"improvement": "x"}).status_code == 409


def test_detractor_is_told_someone_will_be_in_touch(client, loop_survey, answer):
    token = answer(loop_survey(), 3)
    html = client.get(f"/s/{token}/thanks").get_data(as_text=True)
    assert "Someone from our team will get back to you." in html
    assert "Review us" not in html and "What would make it a 10?" not in html


def test_public_link_passive_and_promoter(app, client, submit, loop_survey):
    survey_id = loop_survey(is_public=True, slug="shop-public")
    assert submit("/p/shop-public", {"score": "8"}).status_code == 303
    html = client.get("/p/shop-public/thanks").get_data(as_text=True)
    assert "What would make it a 10?" in html
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    sent = client.post("/p/shop-public/thanks", data={"csrf_token": csrf, "improvement": "Price"})
    assert sent.status_code == 303
    assert response_of(app, survey_id).improvement == "Price"
