"""The queue: a case shows its themes, and the queue can be filtered by theme."""

from __future__ import annotations

import re

import sqlalchemy as sa

from survey_app.core.db import db
from survey_app.followups.models import FollowUp


def _cases(page: str) -> list[str]:
    return re.findall(r'class="case-link"[^>]*>#\d+ · ([^<]+)</a>', page)


def test_queue_shows_and_filters_by_theme(app, client, login, make_survey, make_link, submit):
    survey = make_survey("nps")
    for email, comment in (("late@example.com", "The courier was three days late"),
                           ("dear@example.com", "Far too expensive for what it is"),
                           ("both@example.com", "Expensive and the parcel was damaged")):
        token = make_link(survey, email=email)
        assert submit(f"/s/{token}", {"score": "2", "comment": comment}).status_code == 303
    login(client, "support")
    page = client.get("/followups").get_data(as_text=True)
    assert sorted(_cases(page)) == ["both@example.com", "dear@example.com", "late@example.com"]
    assert '<option value="delivery">Delivery</option>' in page
    card = re.search(r"late@example.com.*?</li>", page, re.S).group(0)
    assert 'badge-theme">Delivery<' in card
    delivery = client.get("/followups?theme=delivery").get_data(as_text=True)
    assert sorted(_cases(delivery)) == ["both@example.com", "late@example.com"]
    price = client.get("/followups?theme=price&status=all").get_data(as_text=True)
    assert sorted(_cases(price)) == ["both@example.com", "dear@example.com"]
    assert _cases(client.get("/followups?theme=staff").get_data(as_text=True)) == []


def test_an_unknown_theme_is_a_400_listing_nothing(client, login):
    login(client, "support")
    reply = client.get("/followups?theme=workload")  # an employee theme: not for support
    assert reply.status_code == 400
    assert "Not a valid choice" in reply.get_data(as_text=True)


def test_the_case_page_lists_its_themes(app, client, login, make_survey, make_link, submit):
    survey = make_survey("nps")
    token = make_link(survey, email="x@example.com", locale="it")
    submit(f"/s/{token}", {"score": "1", "comment": "Rimborso mai ricevuto, assistenza assente"})
    with app.app_context():
        case_id = db.session.scalar(sa.select(FollowUp.id))
    login(client, "support")
    page = client.get(f"/followups/{case_id}").get_data(as_text=True)
    themes = re.search(r'<p class="case-themes">(.*?)</p>', page, re.S).group(1)
    assert re.findall(r'badge-theme">([^<]+)<', themes) == ["Billing and refunds",
                                                            "Support responsiveness"]
