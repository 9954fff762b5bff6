"""Issue #12 point 1: the wave page of an anonymous survey cannot tell answerers apart.

The per-person list shows delivery only (no reminder count, no "sent" filter that leaves the
answerers out); the answered / opened / reminded figures, on the wave page, the send page's
wave table and ``polso waves list``, show only counts of at least the anonymity threshold.
"""

from __future__ import annotations

import re

from sqlalchemy import select

from survey_app.core.db import db
from survey_app.invitations.models import Invitation
from survey_app.surveys.models import Survey
from tests.dashboards.helpers import text


def _answer(app, wave_id: int, answered: int) -> None:
    """The first ``answered`` invitations answered, the others reminded once."""
    with app.app_context():
        invitations = db.session.scalars(select(Invitation).where(Invitation.wave_id == wave_id)
                                         .order_by(Invitation.id)).all()
        for i, invitation in enumerate(invitations):
            if i < answered:
                invitation.status = "responded"
            else:
                invitation.reminder_count = 1
        db.session.commit()


def _figures(html: str) -> dict[str, str]:
    return {text(dt): text(dd) for dt, dd in re.findall(
        r"<dt>(.*?)</dt><dd>(.*?)</dd>", html, re.S)}


def _people(html: str) -> list[str]:
    body = re.search(r"<h2>Invitations</h2>.*?<tbody>(.*?)</tbody>", html, re.S).group(1)
    return [text(r) for r in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def test_per_person_list_shows_delivery_only(app, client, login, smtp_server, make_survey,
                                             make_people, send):
    make_people(3, kind="employee")
    wave_id = send(make_survey("pulse"))
    _answer(app, wave_id, 1)
    login(client, "hr")
    html = client.get(f"/waves/{wave_id}").get_data(as_text=True)
    people = _people(html)
    assert len(people) == 3
    # Everyone's row reads the same apart from the address: nothing tells the answerer apart.
    assert len({re.sub(r"^p\d@example\.com", "", row) for row in people}) == 1
    assert "Reminders" not in re.search(r"<h2>Invitations</h2>.*?</thead>", html, re.S).group(0)
    delivered = _people(client.get(f"/waves/{wave_id}?status=sent").get_data(as_text=True))
    assert len(delivered) == 3  # the answerer is delivered too, not singled out by absence


def test_small_answered_and_reminded_counts_are_not_shown(app, client, login, smtp_server,
                                                          make_survey, make_people, send):
    make_people(3, kind="employee")
    survey_id = make_survey("pulse")
    wave_id = send(survey_id)
    _answer(app, wave_id, 1)
    login(client, "hr")
    figures = _figures(client.get(f"/waves/{wave_id}").get_data(as_text=True))
    assert figures["Invited"] == "3" and figures["Sent"] == "3"
    for name in ("Opened", "Answered", "Response rate", "Reminders sent"):
        assert figures[name] == "–", name
    send_page = client.get(f"/surveys/{survey_id}/send").get_data(as_text=True)
    row = text(re.search(r'<section aria-labelledby="waves-title">.*?<tbody>(.*?)</tbody>',
                         send_page, re.S).group(1))
    assert row.endswith("3 3 0 – – –"), row
    with app.app_context():
        slug = db.session.get(Survey, survey_id).slug
    listed = app.test_cli_runner().invoke(args=["waves", "list", slug])
    assert listed.exit_code == 0 and "answered      –" in listed.output, listed.output
    assert "rate –" in listed.output


def test_answered_counts_at_the_threshold_are_shown(app, client, login, smtp_server,
                                                    make_survey, make_people, send):
    make_people(6, kind="employee")
    wave_id = send(make_survey("pulse"))
    _answer(app, wave_id, 5)
    login(client, "hr")
    figures = _figures(client.get(f"/waves/{wave_id}").get_data(as_text=True))
    assert figures["Answered"] == "5" and figures["Response rate"] == "83%"
    assert figures["Reminders sent"] == "–"  # one person reminded


def test_identified_wave_shows_every_figure(app, client, login, smtp_server, make_survey,
                                            make_people, send):
    make_people(3)
    wave_id = send(make_survey("nps"))
    _answer(app, wave_id, 1)
    login(client, "admin")
    html = client.get(f"/waves/{wave_id}").get_data(as_text=True)
    assert _figures(html)["Answered"] == "1"
    assert [row.split()[-1] for row in _people(html)] == ["0", "1", "1"]  # reminders
