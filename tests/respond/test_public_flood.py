"""A public link cannot be flooded: a daily cap per address, and bursts flagged for review."""

from __future__ import annotations

from sqlalchemy import func, select

from survey_app.core.db import db
from survey_app.responses.models import Response
from survey_app.responses.queries import countable
from tests.conftest import csrf_token


def _answer(app, slug: str, score: int, *, address: str = "203.0.113.7", comment: str = ""):
    """One answer from a fresh browser (new cookies) at ``address``."""
    browser = app.test_client()
    browser.environ_base["REMOTE_ADDR"] = address
    page = browser.get(f"/p/{slug}").get_data(as_text=True)
    return browser.post(f"/p/{slug}", data={"score": str(score), "comment": comment,
                                            "csrf_token": csrf_token(page)})


def _count(app, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Response).where(*where))


def test_one_address_gets_a_daily_cap_per_survey(app, make_survey, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_ANSWERS_PER_ADDRESS_DAY", 3)
    make_survey("nps", slug="flood", is_public=True)
    make_survey("nps", slug="other", is_public=True)
    assert [_answer(app, "flood", 9).status_code for _ in range(3)] == [303] * 3
    refused = _answer(app, "flood", 10, comment="typed and kept")
    html = refused.get_data(as_text=True)
    assert refused.status_code == 429
    assert "as many answers from your network today" in html and "typed and kept" in html
    assert _count(app) == 3
    assert _answer(app, "other", 9).status_code == 303  # per survey
    assert _answer(app, "flood", 9, address="198.51.100.1").status_code == 303  # per address
    assert _count(app) == 5


def test_a_burst_from_one_address_is_flagged_and_shown_apart(app, make_survey, login,
                                                             monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_BURST_ANSWERS", 2)
    survey_id = make_survey("nps", slug="burst", is_public=True)
    assert [_answer(app, "burst", 10).status_code for _ in range(4)] == [303] * 4
    assert _answer(app, "burst", 0, address="198.51.100.2").status_code == 303
    assert _count(app) == 5 and _count(app, countable()) == 3
    with app.app_context():
        assert db.session.scalars(select(Response.suspected_reason).order_by(Response.id)
                                  ).all() == [None, None, "burst", "burst", None]
    staff = app.test_client()
    login(staff, "admin")
    listing = staff.get("/surveys").get_data(as_text=True)
    assert "2 flagged" in listing
    page = staff.get(f"/surveys/{survey_id}/suspected")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Suspected automated responses" in html
    assert "many answers from one network address" in html
    with app.app_context():
        flagged = db.session.scalars(select(Response.id).where(
            Response.is_suspected_automated)).first()
    confirm = staff.post(f"/surveys/{survey_id}/responses/{flagged}/confirm",
                         data={"csrf_token": csrf_token(html)})
    assert confirm.status_code == 303
    assert _count(app, countable()) == 4
