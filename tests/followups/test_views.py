"""The queue and case pages: filters, counts, roles, HR separation, actions, bad input, escaping."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from survey_app.audit.models import AuditEvent
from survey_app.core.db import db, utcnow
from survey_app.followups.models import FollowUp, FollowUpEvent
from tests.conftest import csrf_token
from tests.followups.conftest import NEGATIVE_EN, NEGATIVE_IT, SCRIPT, get_case


def _page(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)[:400]
    return response.get_data(as_text=True)


def _post(client, url: str, data: dict, page: str | None = None):
    html = page or client.get(url.rsplit("/", 1)[0]).get_data(as_text=True)
    return client.post(url, data={**data, "csrf_token": csrf_token(html)})


def _ids(html: str) -> list[int]:
    import re

    return [int(n) for n in re.findall(r'class="case-link" href="/followups/(\d+)"', html)]


def test_queue_lists_red_first_then_due_with_counts(app, client, login, make_case):
    login(client, "support")
    now = utcnow()
    yellow = make_case(6, None, now=now - timedelta(days=5))
    red_new = make_case(2, NEGATIVE_EN, now=now)
    red_old = make_case(1, NEGATIVE_EN, now=now - timedelta(hours=30))
    html = _page(client, "/followups")
    assert _ids(html) == [red_old, red_new, yellow]
    assert 'href="/followups?status=new"' in html
    assert '>New <span class="count">3</span>' in html
    assert 'class="case-card priority-red is-overdue"' in html  # red_old is 6 h overdue
    assert "overdue by 6" in html


def test_filters(app, client, login, make_case, make_survey):
    me = login(client, "support")
    survey_id = make_survey("nps")
    pro = make_case(5, None, survey_id=survey_id, attributes={"plan": "pro"})
    free = make_case(2, NEGATIVE_EN, attributes={"plan": "free"})
    old = make_case(3, None, now=utcnow() - timedelta(days=10))
    html = _page(client, f"/followups?survey={survey_id}")
    assert _ids(html) == [pro]
    assert _ids(_page(client, "/followups?segment=plan%3Dpro")) == [pro]
    assert _ids(_page(client, "/followups?segment=plan+%3D+free")) == [free]
    assert _ids(_page(client, "/followups?overdue=y")) == [old]
    assert set(_ids(_page(client, "/followups?priority=red"))) == {free, old}
    assert _ids(_page(client, "/followups?assignee=me")) == []
    client.post("/followups/claim-next", data={"csrf_token": csrf_token(html)})
    assert _ids(_page(client, "/followups?assignee=me")) == [old]
    assert _ids(_page(client, f"/followups?assignee={me}")) == [old]
    assert set(_ids(_page(client, "/followups?assignee=none"))) == {pro, free}
    assert _ids(_page(client, "/followups?status=in_progress")) == [old]
    assert _ids(_page(client, "/followups?status=resolved")) == []


@pytest.mark.parametrize("query", [
    "status=bogus", "priority=purple", "assignee=everyone", "survey=999999", "segment=noequals",
    "page=0", "page=-1", "page=abc", "overdue=y&overdue=y",
])
def test_bad_filters_are_a_400_with_a_message(client, login, make_case, query):
    login(client, "support")
    make_case()
    html = _page(client, f"/followups?{query}", 400)
    assert 'class="field-error"' in html


def test_pagination(app, client, login, make_case):
    login(client, "support")
    app.config["FOLLOWUPS_PER_PAGE"] = 2
    try:
        ids = [make_case(1, NEGATIVE_EN, now=utcnow() - timedelta(minutes=m)) for m in range(5)]
        pages = [_ids(_page(client, f"/followups?page={n}")) for n in (1, 2, 3, 4)]
    finally:
        app.config["FOLLOWUPS_PER_PAGE"] = 50
    assert pages == [ids[::-1][0:2], ids[::-1][2:4], ids[::-1][4:], []]


def test_roles_and_team_separation(app, client, login, make_case):
    support_case = make_case()
    hr_case = make_case(4, "I'd like to talk about my workload", kind="enps", contact=True,
                        name="Eva Employee", attributes={"department": "Sales"})
    login(client, "viewer")  # the role may not work cases: 403; another team's case: 404
    _page(client, "/followups", 403)
    _page(client, f"/followups/{support_case}", 403)
    client.post("/logout", data={"csrf_token": csrf_token(_page(client, "/account/password"))})

    login(client, "support")
    assert _ids(_page(client, "/followups")) == [support_case]
    _page(client, f"/followups/{hr_case}", 404)
    page = _page(client, f"/followups/{support_case}")
    assert _post(client, f"/followups/{hr_case}/notes", {"text": "x"}, page).status_code == 404
    client.post("/logout", data={"csrf_token": csrf_token(page)})

    login(client, "hr")
    assert _ids(_page(client, "/followups")) == [hr_case]
    _page(client, f"/followups/{support_case}", 404)
    html = _page(client, f"/followups/{hr_case}")
    assert "Eva Employee" in html and "I&#39;d like to talk about my workload" in html
    assert "you see their name, e-mail and this answer, nothing else" in html
    assert "Sales" not in html  # segment attributes were not shared
    assert "Not shown: the employee shared only this answer." in html


def test_hr_contact_case_shows_no_other_answers_of_the_employee(app, client, login, make_case,
                                                                 make_survey):
    email = "eva@example.com"
    identified = make_survey("pulse", anonymous=False)
    make_case(2, "An earlier identified answer", survey_id=identified, email=email)
    case = make_case(4, "please call", kind="enps", contact=True, email=email)
    login(client, "hr")
    html = _page(client, f"/followups/{case}")
    assert "An earlier identified answer" not in html


def test_case_page_shows_response_history_and_timeline(app, client, login, make_case,
                                                      make_survey):
    survey_id = make_survey("nps", title="Quarterly NPS")
    email = "ann@example.com"
    earlier = make_case(3, "Late delivery again", email=email, survey_id=survey_id,
                        now=utcnow() - timedelta(days=40), attributes={"plan": "pro"})
    case = make_case(1, NEGATIVE_EN, kind="csat", email=email, name="Ann Example")
    login(client, "support")
    html = _page(client, f"/followups/{case}")
    for text in ("Ann Example", "ann@example.com", "Terrible service", "negative", "e-mail",
                 "Late delivery again", "Quarterly NPS", f"#{earlier}",
                 "Case opened with priority Red.", "plan", "pro"):
        assert text in html, text


def test_a_neutral_csat_answer_with_a_negative_comment_is_not_called_a_good_score(
        client, login, make_case):
    case = make_case(3, NEGATIVE_EN, kind="csat")
    login(client, "support")
    html = _page(client, f"/followups/{case}")
    assert "no low score, but a negative comment" in html and "good score" not in html


def test_script_in_a_comment_never_becomes_html(app, client, login, make_case):
    case = make_case(0, SCRIPT)
    login(client, "support")
    for url in ("/followups", f"/followups/{case}"):
        html = _page(client, url)
        assert "<script>" not in html and "<b>bold</b>" not in html
        assert "&lt;script&gt;alert(" in html


def test_claim_note_and_resolve_through_the_pages(app, client, login, make_case):
    me = login(client, "support")
    case = make_case()
    html = _page(client, "/followups")
    response = client.post("/followups/claim-next", data={"csrf_token": csrf_token(html)})
    assert response.status_code == 303 and response.location.endswith(f"/followups/{case}")
    page = _page(client, f"/followups/{case}")
    assert "is yours" in page
    response = _post(client, f"/followups/{case}/notes", {"text": "Left a <i>voicemail</i>"},
                     page)
    assert response.status_code == 303
    page = _page(client, f"/followups/{case}")
    assert "Left a &lt;i&gt;voicemail&lt;/i&gt;" in page

    # resolving without an outcome is refused with the reason, nothing changes
    response = _post(client, f"/followups/{case}/status", {"to": "resolved", "note": "x"}, page)
    assert response.status_code == 422
    refused = response.get_data(as_text=True)
    assert "Choose the outcome to resolve the case." in refused
    # … at the top and at the field itself, which keeps the note typed
    outcome = re.search(r'<select[^>]*name="outcome"[^>]*>', refused).group(0)
    assert 'aria-invalid="true"' in outcome
    assert refused.count("Choose the outcome to resolve the case.") == 2
    response = _post(client, f"/followups/{case}/status",
                     {"to": "resolved", "outcome": "explained", "note": "Explained billing."},
                     page)
    assert response.status_code == 303
    with app.app_context():
        row = get_case(case)
        assert (row.status, row.outcome, row.assignee_id) == ("resolved", "explained", me)
        actions = db.session.scalars(select(AuditEvent.action).where(
            AuditEvent.target_id == case, AuditEvent.target_type == "followup")).all()
        assert actions == ["followup.claim", "followup.note", "followup.status"]


@pytest.mark.parametrize(("data", "message"), [
    ({"to": "waiting"}, "cannot be moved to “waiting for customer”"),
    ({"to": "resolved", "outcome": "fixed"}, "cannot be moved to “resolved”"),
    ({"to": "exploded"}, "Not a valid choice"),
    ({"to": "closed"}, "Say in a note why"),
    ({"to": "in_progress", "outcome": "fixed"}, "only given when resolving"),
])
def test_invalid_status_changes_are_refused_clearly(app, client, login, make_case, data,
                                                    message):
    login(client, "support")
    case = make_case()
    page = _page(client, f"/followups/{case}")
    response = _post(client, f"/followups/{case}/status", data, page)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert get_case(case).status == "new"


def test_empty_note_is_a_422_and_stores_nothing(app, client, login, make_case):
    login(client, "support")
    case = make_case()
    page = _page(client, f"/followups/{case}")
    response = _post(client, f"/followups/{case}/notes", {"text": "   "}, page)
    assert response.status_code == 422 and "Write the note first." in response.get_data(
        as_text=True)
    with app.app_context():
        assert db.session.scalars(select(FollowUpEvent.kind).where(
            FollowUpEvent.followup_id == case, FollowUpEvent.kind == "note")).all() == []


def test_a_second_claim_of_the_same_case_is_a_clear_refusal(app, client, login, make_case,
                                                           make_user):
    case = make_case()
    login(client, "support")
    page = _page(client, f"/followups/{case}")
    other = make_user("support")
    with app.app_context():
        db.session.execute(sa.update(FollowUp).where(FollowUp.id == case)
                           .values(assignee_id=other))
        db.session.commit()
    response = _post(client, f"/followups/{case}/claim", {}, page)
    assert response.status_code == 422
    assert "already assigned" in response.get_data(as_text=True)


def test_admin_assigns_and_others_cannot(app, client, login, make_case, make_user):
    case = make_case()
    agent = make_user("support", name="Sam Agent")
    hr = make_user("hr")
    login(client, "support")
    page = _page(client, f"/followups/{case}")
    assert f'action="/followups/{case}/assign"' not in page
    assert _post(client, f"/followups/{case}/assign", {"assignee": agent}, page
                 ).status_code == 403
    client.post("/logout", data={"csrf_token": csrf_token(page)})
    login(client, "admin")
    page = _page(client, f"/followups/{case}")
    assert _post(client, f"/followups/{case}/assign", {"assignee": hr}, page).status_code == 422
    assert _post(client, f"/followups/{case}/assign", {"assignee": agent}, page
                 ).status_code == 303
    assert "Sam Agent assigned the case" not in _page(client, f"/followups/{case}")
    assert "assigned the case to Sam Agent" in _page(client, f"/followups/{case}")


def test_claim_next_with_nothing_left(client, login):
    login(client, "support")
    html = _page(client, "/followups")
    response = client.post("/followups/claim-next", data={"csrf_token": csrf_token(html)},
                           follow_redirects=True)
    assert "No unassigned open case is waiting" in response.get_data(as_text=True)


def test_missing_case_is_404(client, login):
    login(client, "admin")
    _page(client, "/followups/999999", 404)


def test_notification_settings(app, client, login):
    me = login(client, "support")
    html = _page(client, "/followups/notifications")
    assert '<input checked id="has_case_alerts"' in html
    response = client.post("/followups/notifications",
                           data={"has_daily_digest": "y", "csrf_token": csrf_token(html)})
    assert response.status_code == 303
    with app.app_context():
        from survey_app.accounts.models import User

        user = db.session.get(User, me)
        assert (user.has_case_alerts, user.has_daily_digest) == (False, True)
        assert db.session.scalar(select(AuditEvent.action).where(
            AuditEvent.actor_id == me).order_by(AuditEvent.id.desc())) == "user.notifications"
    assert _post(client, "/followups/notifications", {"has_case_alerts": ["y", "y"]}, html
                 ).status_code == 422


def test_metrics_page_shows_recovered_detractors_by_month(app, client, login, make_case):
    from survey_app.followups import services
    from tests.followups.conftest import get_user

    agent_id = login(client, "support")
    case_id = make_case(2, NEGATIVE_EN, email="back@example.com",
                        now=utcnow() - timedelta(days=3))
    with app.app_context():
        case, agent = get_case(case_id), get_user(agent_id)
        services.transition(case, "in_progress", by=agent)
        services.resolve(case, "fixed", by=agent)
        db.session.commit()
    make_case(9, NEGATIVE_EN, email="back@example.com")  # next answer 9 (a mismatch case)
    html = _page(client, "/followups/metrics")
    month = utcnow().strftime("%B %Y")
    row = html.split(month, 1)[1].split("</tr>", 1)[0]
    assert [c.split(">")[-1] for c in row.split("</td>")[1:5]] == ["1", "1", "1", "100%"]
    queue = _page(client, "/followups")
    assert 'href="/followups/metrics"' in queue and "recovered detractors" in queue
    client.post("/logout", data={"csrf_token": csrf_token(html)})
    login(client, "viewer")
    _page(client, "/followups/metrics", 403)


def test_a_case_names_the_answer_language(client, login, make_case):
    """The case shows "Italian" (in the reader's language: "italiano"), not the code "it" only
    a developer reads."""
    case_id = make_case(locale="it", comment=NEGATIVE_IT)
    login(client, "support")
    page = client.get(f"/followups/{case_id}").get_data(as_text=True)
    assert re.search(r"<dt>Language</dt>\s*<dd>Italian</dd>", page)
    page = client.get(f"/followups/{case_id}?lang=it").get_data(as_text=True)
    assert re.search(r"<dt>Lingua</dt>\s*<dd>italiano</dd>", page)


def test_figures_are_written_in_the_readers_language(client, login, make_case):
    case = make_case(2, NEGATIVE_EN)
    login(client, "support", locale="it")
    html = _page(client, f"/followups/{case}")
    polarity = re.search(r"\(([+-]\d+[.,]\d\d)\)", html).group(1)
    assert "," in polarity and "." not in polarity  # "-0,70", as Italians write it
