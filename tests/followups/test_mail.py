"""Follow-up e-mails through a real SMTP server: replies, retries, alerts, SLA warnings, digest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import select

from survey_app.accounts.models import User
from survey_app.core.db import db, utcnow
from survey_app.followups import notify, services, tasks
from survey_app.followups.emails import FollowUpMailDeliverer
from survey_app.followups.models import FollowUpMail
from survey_app.people.models import Person
from tests.conftest import csrf_token
from tests.followups.conftest import NEGATIVE_EN, NEGATIVE_IT, SCRIPT, get_case, get_user


def _draft_and_send(client, case_id: int, edit: str = "We refunded your order.", **extra):
    page = client.get(f"/followups/{case_id}").get_data(as_text=True)
    import html as html_lib
    import re

    subject = html_lib.unescape(re.search(r'id="subject"[^>]*value="([^"]*)"', page).group(1))
    body = html_lib.unescape(re.search(r'<textarea[^>]*id="message"[^>]*>\r?\n?(.*?)</textarea>',
                                       page, re.S).group(1))
    placeholder = re.search(r"^\[.*\]$", body, re.M).group(0)
    data = {"subject": subject, "message": body.replace(placeholder, edit), "wait": "y",
            "csrf_token": csrf_token(page), **extra}
    return client.post(f"/followups/{case_id}/reply", data=data), subject, body


def _html(message) -> str:
    return message.get_body(("html",)).get_content()


def _text(message) -> str:
    return message.get_body(("plain",)).get_content()


def test_reply_arrives_in_the_customers_language_and_is_escaped(
        app, client, login, make_case, smtp_server):
    login(client, "support", name="Sara Rossi", email="sara@staff.example.com")
    case_id = make_case(1, f"{NEGATIVE_IT} {SCRIPT}", locale="it", name="Mario Bianchi",
                        email="mario@example.com")
    response, subject, draft = _draft_and_send(client, case_id, "Abbiamo <b>rimborsato</b>.")
    assert response.status_code == 303
    assert subject.startswith("Riguardo alla tua opinione: ")
    assert draft.startswith("Buongiorno Mario Bianchi,") and "Hai scritto:" in draft
    assert "Sara Rossi" in draft and "[Spiega qui" in draft

    [message] = smtp_server.messages
    assert message["To"] == "Mario Bianchi <mario@example.com>"
    assert message["Subject"] == subject
    assert message["Reply-To"] == "sara@staff.example.com"
    text, html = _text(message), _html(message)
    assert "Abbiamo <b>rimborsato</b>." in text and "> Pessimo servizio" in text
    assert '<html lang="it">' in html
    assert "<script>" not in html and "<b>" not in html
    assert "&lt;script&gt;alert(" in html and "Abbiamo &lt;b&gt;rimborsato&lt;/b&gt;." in html

    page = client.get(f"/followups/{case_id}").get_data(as_text=True)
    assert "delivered to the mail server" in page
    with app.app_context():
        case = get_case(case_id)
        assert case.status == "waiting"  # "then wait for the customer" was ticked
        row = db.session.scalars(select(FollowUpMail).where(FollowUpMail.kind == "reply")).one()
        assert (row.kind, row.status, row.locale, row.to_address) == (
            "reply", "sent", "it", "mario@example.com")


def test_english_customer_gets_english(app, client, login, make_case, smtp_server):
    login(client, "support")
    case_id = make_case(2, NEGATIVE_EN, locale="en", name="Ann")
    _draft_and_send(client, case_id)
    [message] = smtp_server.messages
    assert message["Subject"].startswith("About your feedback: ")
    assert _text(message).startswith("Hello Ann,")


def test_the_placeholder_must_be_replaced(app, client, login, make_case, smtp_server):
    login(client, "support")
    case_id = make_case()
    response, _, _ = _draft_and_send(client, case_id, edit="[Explain here what you have done "
                                                           "or will do.]")
    assert response.status_code == 422
    assert "with your answer first" in response.get_data(as_text=True)
    assert smtp_server.messages == []
    with app.app_context():
        assert db.session.scalars(select(FollowUpMail).where(FollowUpMail.kind == "reply")
                                  ).all() == []


def test_temporary_smtp_failure_is_retried_by_the_sweep(app, client, login, make_case,
                                                       smtp_server):
    login(client, "support")
    case_id = make_case(email="later@example.com")
    smtp_server.refuse["later@example.com"] = "451 4.3.0 Try again later"
    response, _, _ = _draft_and_send(client, case_id)
    assert response.status_code == 303
    assert smtp_server.messages == []
    page = client.get(f"/followups/{case_id}").get_data(as_text=True)
    assert "queued" in page and "451 4.3.0 Try again later" in page
    with app.app_context():
        row = db.session.scalars(select(FollowUpMail).where(FollowUpMail.kind == "reply")).one()
        assert (row.status, row.attempts) == ("queued", 1)
        retry_at = row.next_attempt_dt
        assert FollowUpMailDeliverer().sweep(retry_at - timedelta(seconds=1)) == []
        del smtp_server.refuse["later@example.com"]
        due = FollowUpMailDeliverer().sweep(retry_at)
        assert row.id in due  # (the agent's red alert, queued outside a request, is due too)
        assert FollowUpMailDeliverer().run(due, retry_at).sent == len(due)
    assert len(smtp_server.to("later@example.com")) == 1
    assert "delivered to the mail server" in client.get(f"/followups/{case_id}").get_data(
        as_text=True)


def test_bounce_marks_the_address_and_blocks_the_next_reply(app, client, login, make_case,
                                                           smtp_server):
    login(client, "support")
    case_id = make_case(email="gone@example.com")
    smtp_server.refuse["gone@example.com"] = "550 5.1.1 No such mailbox"
    _draft_and_send(client, case_id)
    with app.app_context():
        assert db.session.scalars(select(FollowUpMail.status).where(
            FollowUpMail.kind == "reply")).one() == "bounced"
        assert db.session.scalar(select(Person.bounced_dt).where(
            Person.email == "gone@example.com")) is not None
    response, _, _ = _draft_and_send(client, case_id)
    assert response.status_code == 422
    assert "bounced earlier" in response.get_data(as_text=True)


def test_a_reply_committed_outside_a_request_goes_with_the_sweep(app, app_ctx, make_case,
                                                                make_user, smtp_server):
    agent = get_user(make_user("support"))
    case = get_case(make_case())
    mail = services.reply(case, subject="Hi", body="We fixed it.", by=agent)
    db.session.commit()
    assert smtp_server.messages == []  # no request: nothing was handed to the workers
    assert tasks.sweep_followup_mails.call_local() == 0  # fresh rows get a minute's grace
    due = FollowUpMailDeliverer().sweep(utcnow() + timedelta(minutes=2))
    assert mail.id in due  # (with the red alert to the agent, queued the same way)
    tasks.enqueue(due)
    assert [m["To"] for m in smtp_server.messages if m["Subject"] == "Hi"] == [
        case.person.email]


def _answer(client, make_link, survey_id: int, score: int, comment: str) -> None:
    token = make_link(survey_id)
    page = client.get(f"/s/{token}").get_data(as_text=True)
    response = client.post(f"/s/{token}", data={"score": str(score), "comment": comment,
                                                 "csrf_token": csrf_token(page)})
    assert response.status_code == 303, response.get_data(as_text=True)[:300]


def test_a_red_answer_alerts_the_team_right_after_the_commit(
        app, client, make_survey, make_link, make_user, smtp_server):
    wants = make_user("support", email="wants@staff.example.com")
    make_user("support", email="quiet@staff.example.com", has_case_alerts=False)
    make_user("hr", email="hr@staff.example.com")
    make_user("admin", email="boss@staff.example.com", locale="it")
    make_user("support", email="gone@staff.example.com", is_active=False)
    survey_id = make_survey("nps", title="Acme NPS")

    _answer(client, make_link, survey_id, 6, "ok I guess")  # yellow: no alert
    assert smtp_server.messages == []
    _answer(client, make_link, survey_id, 1, SCRIPT)  # red

    assert sorted(m["To"] for m in smtp_server.messages) == [
        "boss@staff.example.com", "wants@staff.example.com"]
    alert = smtp_server.to("wants@staff.example.com")[0]
    assert alert["Subject"].startswith("Red case #") and "Acme NPS" in alert["Subject"]
    html, text = _html(alert), _text(alert)
    assert "<script>" not in html and "&lt;script&gt;alert(" in html
    assert "http://polso.test/followups/" in text and "person" not in text.lower()
    assert "@example.com" not in text  # no respondent address in staff e-mail
    assert smtp_server.to("boss@staff.example.com")[0]["Subject"].startswith("Caso rosso n.")
    with app.app_context():
        case_id = db.session.scalars(select(FollowUpMail.followup_id)).first()
        assert [e.kind for e in get_case(case_id).events] == ["opened", "alert"]
        assert db.session.get(User, wants).has_case_alerts


def test_hr_alerts_never_quote_the_employee(app, client, make_survey, make_link, make_user,
                                            smtp_server):
    make_user("hr", email="hr@staff.example.com")
    survey_id = make_survey("enps")
    token = make_link(survey_id)
    page = client.get(f"/s/{token}").get_data(as_text=True)
    client.post(f"/s/{token}", data={"score": "0", "comment": "My manager shouts at me",
                                     "contact": "y", "csrf_token": csrf_token(page)})
    [alert] = smtp_server.to("hr@staff.example.com")
    assert "shouts" not in _text(alert) and "shouts" not in _html(alert)
    assert "An employee asked to be contacted." in _text(alert)


T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_sla_warning_boundaries_and_once_a_day(app, app_ctx, make_case, make_user):
    agent = get_user(make_user("support", has_case_alerts=False))  # still warned: assignee
    make_user("support", email="team@staff.example.com")
    # red cases are due 24 h after opening; the warning window is 4 h
    inside = get_case(make_case(1, NEGATIVE_EN, now=T0 - timedelta(hours=20)))  # due T0+4h
    outside = get_case(make_case(1, NEGATIVE_EN,
                                 now=T0 - timedelta(hours=20) + timedelta(seconds=1)))
    overdue = get_case(make_case(1, NEGATIVE_EN, now=T0 - timedelta(days=3)))
    resolved = get_case(make_case(1, NEGATIVE_EN, now=T0 - timedelta(days=3)))
    services.claim(inside, agent)
    services.claim(resolved, agent)
    services.resolve(resolved, "fixed", by=agent)
    db.session.commit()

    mails = notify.queue_sla_warnings(T0)
    warned = {c for m in mails for c in m.case_ids}
    assert warned == {inside.id, overdue.id}
    by_user = {m.to_address: m.case_ids for m in mails}
    assert by_user[agent.email] == [inside.id]  # assigned: only the assignee
    assert by_user["team@staff.example.com"] == [overdue.id]  # unassigned: the team
    later = notify.queue_sla_warnings(T0 + timedelta(hours=23, minutes=59))
    assert {c for m in later for c in m.case_ids} == {outside.id}  # the others: not yet a day
    again = notify.queue_sla_warnings(T0 + timedelta(days=1))
    assert {c for m in again for c in m.case_ids} == {inside.id, overdue.id}
    assert [e.kind for e in get_case(inside.id).events].count("sla_warning") == 2


def test_sla_job_sends_one_email_per_person(app, app_ctx, make_case, make_user, smtp_server):
    agent = get_user(make_user("support", email="sam@staff.example.com"))
    cases = [get_case(make_case(1, NEGATIVE_EN, now=utcnow() - timedelta(hours=h)))
             for h in (21, 30)]
    for case in cases:
        services.claim(case, agent)
    db.session.commit()
    assert tasks.warn_due_cases.call_local() == 1
    [message] = smtp_server.messages
    text = _text(message)
    assert message["To"] == "sam@staff.example.com"
    assert "2 follow-up case(s) about to miss their due time" == message["Subject"]
    assert f"#{cases[0].id}" in text and f"#{cases[1].id}" in text and "overdue by 6" in text
    assert tasks.warn_due_cases.call_local() == 0  # not twice the same day


def test_daily_digest_once_a_day_from_its_hour_and_switchable(app, app_ctx, make_case,
                                                             make_user, smtp_server):
    sam = get_user(make_user("support", email="sam@staff.example.com"))
    make_user("support", email="off@staff.example.com", has_daily_digest=False)
    make_user("viewer", email="viewer@staff.example.com")
    make_user("hr", email="hr@staff.example.com")  # no HR case: nothing to report
    case = get_case(make_case(1, NEGATIVE_EN, now=utcnow() - timedelta(days=3)))
    services.claim(case, sam)
    db.session.commit()
    yesterday = utcnow() - timedelta(days=1)  # in the past whatever the hour the suite runs
    early = yesterday.replace(hour=6, minute=59)
    assert notify.queue_digests(early) == []
    on_time = yesterday.replace(hour=7, minute=5)
    ids = notify.queue_digests(on_time)
    db.session.commit()
    assert notify.queue_digests(on_time + timedelta(hours=3)) == []  # once a day
    addresses = set(db.session.scalars(select(FollowUpMail.to_address).where(
        FollowUpMail.id.in_(ids))))
    assert addresses == {"sam@staff.example.com", "hr@staff.example.com"}
    tasks.enqueue(ids)
    [message] = smtp_server.messages  # HR had nothing to report: cancelled, not sent
    assert message["To"] == "sam@staff.example.com"
    assert message["Subject"] == "Follow-ups: 0 new, 1 overdue, 0 resolved"
    assert f"#{case.id}" in _text(message) and "Switch them off" in _text(message)
    statuses = dict(db.session.execute(select(FollowUpMail.to_address, FollowUpMail.status)
                                       .where(FollowUpMail.id.in_(ids))).all())
    assert statuses["hr@staff.example.com"] == "cancelled"


def test_switched_off_alerts_are_not_sent_even_if_queued_before(app, app_ctx, make_case,
                                                               make_user, smtp_server):
    user_id = make_user("support", email="flip@staff.example.com")
    make_case(0, NEGATIVE_EN)  # red: an alert is queued for the user (not yet sent: no request)
    db.session.execute(sa.update(User).where(User.id == user_id).values(has_case_alerts=False))
    db.session.commit()
    ids = list(db.session.scalars(select(FollowUpMail.id)))
    tasks.enqueue(ids)
    assert smtp_server.messages == []
    assert db.session.scalars(select(FollowUpMail.status)).one() == "cancelled"


def test_replying_again_while_waiting_keeps_waiting(app, client, login, make_case, smtp_server):
    login(client, "support")
    case_id = make_case(email="twice@example.com")
    assert _draft_and_send(client, case_id)[0].status_code == 303
    assert _draft_and_send(client, case_id, "One more thing.")[0].status_code == 303
    with app.app_context():
        assert get_case(case_id).status == "waiting"
    assert len(smtp_server.to("twice@example.com")) == 2


def test_an_edit_that_turns_a_fresh_case_red_alerts_but_a_rescore_of_old_ones_does_not(
        app, app_ctx, make_case, make_user, smtp_server):
    from survey_app.followups.services import reprioritise

    make_user("support", email="sam@staff.example.com")
    fresh = get_case(make_case(6, None))
    old = get_case(make_case(6, None, now=utcnow() - timedelta(days=3)))
    for case in (fresh, old):
        assert case.priority == "yellow"
        case.response.sentiment_label = "negative"  # as an edit or a re-score would
        reprioritise(case)
        assert case.priority == "red"
    db.session.commit()
    alerted = set(db.session.scalars(select(FollowUpMail.followup_id).where(
        FollowUpMail.kind == "alert")))
    assert alerted == {fresh.id}
