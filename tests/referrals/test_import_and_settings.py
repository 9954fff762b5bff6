"""Referral codes in ``people import``; the survey's promoter settings page."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from survey_app.audit.models import AuditEvent
from survey_app.core.db import db
from survey_app.people.importer import import_people
from survey_app.people.models import Person
from survey_app.referrals.models import PromoterSettings, Referral, ReviewLink
from survey_app.referrals.services import ImportReferrals

JOIN = re.compile(r'/join/([A-Za-z0-9_-]{22})"')


@pytest.fixture
def code(client, loop_survey, answer) -> str:
    token = answer(loop_survey(), 10, email="promoter@example.com")
    return JOIN.search(client.get(f"/s/{token}/thanks").get_data(as_text=True)).group(1)


def test_import_attributes_new_people_and_reports_unknown_codes(app, code):
    text = ("email,name,referral_code\n"
            f"new@example.com,New,{code}\n"
            "bad@example.com,Bad,AAAAAAAAAAAAAAAAAAAAAA\n"
            "plain@example.com,Plain,\n"
            f"promoter@example.com,Self,{code}\n")
    with app.app_context():
        result = import_people(text, referrals=ImportReferrals())
        db.session.commit()
        assert [(e.line, e.reason.split(":")[0]) for e in result.errors] == [(3, "referral_code")]
        assert (result.created, result.referred) == (2, 1)
        referral = db.session.scalars(select(Referral)).one()
        new = db.session.scalars(select(Person).where(Person.email == "new@example.com")).one()
        assert (referral.person_id, referral.channel) == (new.id, "import")
        assert "referral_code" not in new.attributes
        # Re-importing changes nothing: one attribution per person.
        again = import_people(text, referrals=ImportReferrals())
        assert (again.created, again.referred) == (0, 0)
        assert db.session.scalar(select(func.count()).select_from(Referral)) == 1


def test_import_without_the_referrals_feature_refuses_codes(app, code):
    with app.app_context():
        result = import_people(f"email,referral_code\nx@example.com,{code}\n")
        assert [e.line for e in result.errors] == [2] and result.created == 0


def test_people_import_command_attributes_and_says_so(app, code, tmp_path):
    path = tmp_path / "people.csv"
    path.write_text(f"email,referral_code\nfriend@example.com,{code}\n")
    output = app.test_cli_runner().invoke(args=["people", "import", str(path)])
    assert output.exit_code == 0, output.output
    assert "1 attributed to a promoter" in output.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Referral)) == 1


def form_values(**values: str) -> dict[str, str]:
    data = {f"{k}_{n}": "" for k in ("label", "url") for n in (1, 2, 3)}
    return {**data, "offer_en": "", "offer_it": "", **values}


def test_admin_sets_review_links_and_offer(app, client, login, make_survey):
    login(client, "admin")
    survey_id = make_survey("nps")
    html = client.get(f"/surveys/{survey_id}/edit").get_data(as_text=True)
    assert 'id="promoters"' in html
    token = re.search(r'id="promoters".*?name="csrf_token" type="hidden" value="([^"]+)"', html,
                      re.S).group(1)
    saved = client.post(f"/surveys/{survey_id}/promoters", data=form_values(
        csrf_token=token, label_1="Google", url_1="https://g.page/r/x/review",
        offer_en="10 % off", offer_it="10 % di sconto", is_email_enabled="y"))
    assert saved.status_code == 303
    with app.app_context():
        settings = db.session.scalars(select(PromoterSettings)).one()
        assert settings.offer == {"en": "10 % off", "it": "10 % di sconto"}
        assert settings.is_email_enabled
        assert [(x.label, x.url) for x in settings.links] == [("Google",
                                                               "https://g.page/r/x/review")]
        assert db.session.scalar(select(func.count()).where(
            AuditEvent.action == "survey.promoters")) == 1
    html = client.get(f"/surveys/{survey_id}/edit").get_data(as_text=True)
    assert 'value="https://g.page/r/x/review"' in html


@pytest.mark.parametrize(("url", "message"), [
    ("http://g.page/r/x", "Give a full https:// address"),
    ("javascript:alert(1)", "Give a full https:// address"),
    ("//evil.example/x", "Give a full https:// address"),
    ("https://user:pw@evil.example/", "may not contain a user name"),
    ("https://exa mple.com/", "no spaces"),
    ("https://localhost/", "Give a full https:// address"),
    ("https://" + "a" * 500 + ".com/", "500 characters"),
])
def test_bad_review_addresses_are_refused(app, client, login, make_survey, url, message):
    login(client, "admin")
    survey_id = make_survey("nps")
    html = client.get(f"/surveys/{survey_id}/edit").get_data(as_text=True)
    token = re.search(r'id="promoters".*?name="csrf_token" type="hidden" value="([^"]+)"', html,
                      re.S).group(1)
    refused = client.post(f"/surveys/{survey_id}/promoters",
                          data=form_values(csrf_token=token, label_1="Site", url_1=url))
    assert refused.status_code == 422
    assert message in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ReviewLink)) == 0


def test_label_and_address_go_together(client, login, make_survey):
    login(client, "admin")
    survey_id = make_survey("nps")
    html = client.get(f"/surveys/{survey_id}/edit").get_data(as_text=True)
    token = re.search(r'id="promoters".*?name="csrf_token" type="hidden" value="([^"]+)"', html,
                      re.S).group(1)
    refused = client.post(f"/surveys/{survey_id}/promoters", data=form_values(
        csrf_token=token, url_2="https://example.com/review"))
    assert refused.status_code == 422
    assert "Name the review site" in refused.get_data(as_text=True)


def test_employee_surveys_have_no_promoter_loop(client, login, make_survey):
    login(client, "admin")
    survey_id = make_survey("enps")
    assert 'id="promoters"' not in client.get(f"/surveys/{survey_id}/edit").get_data(
        as_text=True)
    assert client.post(f"/surveys/{survey_id}/promoters", data={}).status_code in (400, 404)


@pytest.mark.parametrize("role", ["support", "viewer", "hr"])
def test_other_roles_cannot_change_it(app, client, login, make_survey, role):
    login(client, role)
    survey_id = make_survey("nps")
    answer = client.post(f"/surveys/{survey_id}/promoters", data={})
    assert answer.status_code in (400, 403, 404)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PromoterSettings)) == 0
