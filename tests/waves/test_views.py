"""Send-a-wave page, recurring rounds, settings and the wave summary."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from survey_app.core.db import db
from survey_app.surveys.models import Survey, Wave
from tests.conftest import csrf_token


def _post(client, url, data):
    token = csrf_token(client.get(url).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **data})


def test_preview_then_send_then_summary(app, client, login, smtp_server, make_survey,
                                        make_people):
    make_people(3, team="Support")
    make_people(2, prefix="s", team="Sales")
    survey_id = make_survey("nps")
    login(client, "admin")
    url = f"/surveys/{survey_id}/send"
    preview = _post(client, url, {"where": "team=Support", "action": "preview"})
    assert preview.status_code == 200
    html = preview.get_data(as_text=True)
    assert "3 people will be invited." in html and "Send to 3 people" in html
    assert "0 skipped" not in html  # no line for a reason that skipped nobody
    sent = _post(client, url, {"where": "team=Support", "label": "Spring", "action": "send"})
    assert sent.status_code == 303
    assert len(smtp_server.messages) == 3
    summary = client.get(sent.headers["Location"]).get_data(as_text=True)
    assert "Spring" in summary and "p1@example.com" in summary
    # a second wave right away: everybody is throttled, nothing to send
    again = _post(client, url, {"where": "team=Support", "action": "send"})
    assert again.status_code == 422
    assert "Nobody would be invited" in again.get_data(as_text=True)
    assert "3 skipped" in again.get_data(as_text=True)


@pytest.mark.parametrize("where", ["team", "=x", "team=\x01"])
def test_bad_condition_is_422_with_its_number(app, client, login, make_survey, where):
    survey_id = make_survey("nps")
    login(client, "admin")
    response = _post(client, f"/surveys/{survey_id}/send",
                     {"where": f"team=Support\n{where}", "action": "send"})
    assert response.status_code == 422
    assert "condition 2" in response.get_data(as_text=True)
    italian = _post(client, f"/surveys/{survey_id}/send?lang=it",
                    {"where": f"team=Support\n{where}", "action": "send"})
    assert "condizione 2" in italian.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(Wave)).all() == []


def test_roles(app, client, login, make_survey):
    nps, pulse = make_survey("nps"), make_survey("pulse")
    login(client, "hr")
    assert client.get(f"/surveys/{nps}/send").status_code == 404
    assert client.get(f"/surveys/{pulse}/send").status_code == 200


def test_repeat_and_settings(app, client, login, make_survey):
    survey_id = make_survey("pulse")
    login(client, "hr")
    url = f"/surveys/{survey_id}/send"
    token = csrf_token(client.get(url).get_data(as_text=True))
    response = client.post(f"/surveys/{survey_id}/repeat", data={
        "csrf_token": token, "cadence": "weekly", "where": "team=Support",
        "first_round": "2026-12-07"})
    assert response.status_code == 303
    bad = client.post(f"/surveys/{survey_id}/delivery", data={
        "csrf_token": token, "throttle_days": "-1", "reminder_count": "5",
        "reminder_after_days": "0"})
    assert bad.status_code == 422
    ok = client.post(f"/surveys/{survey_id}/delivery", data={
        "csrf_token": token, "throttle_days": "5", "reminder_count": "2",
        "reminder_after_days": "4"})
    assert ok.status_code == 303
    with app.app_context():
        survey = db.session.get(Survey, survey_id)
        assert (survey.cadence, survey.cadence_audience, survey.next_round_dt.isoformat()) == (
            "weekly", {"kind": "employee", "where": {"team": ["Support"]}},
            "2026-12-07T09:00:00+00:00")
        assert (survey.throttle_days, survey.reminder_count, survey.reminder_after_days) == (
            5, 2, 4)
    assert "Every week" in client.get(url).get_data(as_text=True)


def test_anonymous_wave_summary_hides_who_answered(app, client, login, smtp_server,
                                                   make_survey, make_people, send):
    make_people(1, kind="employee")
    wave_id = send(make_survey("pulse"))
    with app.app_context():
        from survey_app.invitations.models import Invitation

        db.session.scalars(select(Invitation)).one().status = "responded"
        db.session.commit()
    login(client, "hr")
    html = client.get(f"/waves/{wave_id}").get_data(as_text=True)
    assert "answered</span>" not in html and "never who opened or answered" in html
    assert client.get(f"/waves/{wave_id}?status=responded").status_code == 200


def test_survey_list_links_to_the_send_page(client, login, make_survey):
    survey_id = make_survey("nps")
    login(client, "admin")
    assert f'href="/surveys/{survey_id}/send"' in client.get("/surveys").get_data(as_text=True)


def test_italian_wave_figures_name_opened_invitations_in_the_plural(
        app, client, login, smtp_server, make_survey, make_people):
    """The tile, the column and the note under them agree: "Aperti" (invitations), not the
    case page's "Aperto" (a case opened on a date)."""
    make_people(2)
    survey_id = make_survey("nps")
    login(client, "admin")
    sent = _post(client, f"/surveys/{survey_id}/send", {"action": "send"})
    summary = client.get(sent.headers["Location"] + "?lang=it").get_data(as_text=True)
    assert "<dt>Aperti</dt>" in summary and "“Aperti” conta anche" in summary
    waves = client.get(f"/surveys/{survey_id}/send?lang=it").get_data(as_text=True)
    assert ">Aperti</th>" in waves and ">Aperto<" not in waves
