"""Retention: answers older than their survey's period are anonymised by a daily job."""

from __future__ import annotations

import getpass
from datetime import timedelta

from sqlalchemy import select

from survey_app.accounts.models import User
from survey_app.audit.models import AuditEvent
from survey_app.core import jobs
from survey_app.core.db import db, utcnow
from survey_app.followups import services as followups
from survey_app.followups.models import FollowUp, FollowUpEvent
from survey_app.invitations.services import create_invitation
from survey_app.people.services import get_or_create_person
from survey_app.privacy.retention import anonymise_expired, apply_retention
from survey_app.responses.models import Answer, Response
from survey_app.responses.services import Submission, record_response
from survey_app.surveys.models import Survey


def _answer(survey, email, *, days_ago, score=3, comment="Call me, I am Ann", answers=None,
            kind="customer"):
    person = get_or_create_person(email, kind=kind, attributes={"team": "Support"})
    moment = utcnow() - timedelta(days=days_ago)
    invitation, token = create_invitation(survey, person, now=moment - timedelta(hours=1))
    return record_response(survey, Submission(score=score, comment=comment,
                                              answers=answers or {}),
                           token=token, channel="email", invitation=invitation, now=moment)


def test_old_answers_lose_identity_segment_and_free_text(app_ctx, make_survey, make_user):
    survey = db.session.get(Survey, make_survey("nps", settings={"retention_days": 90}))
    old = _answer(survey, "ann@example.com", days_ago=91)
    recent = _answer(survey, "bob@example.com", days_ago=89)
    agent = db.session.get(User, make_user("support"))
    followups.add_note(old.followup, "Ann Smith, +39 333 1234567", by=agent)
    db.session.commit()
    old_digest = old.token_digest

    assert anonymise_expired(survey, now=utcnow()) == 1
    db.session.commit()

    kept = db.session.get(Response, old.id)
    assert (kept.score, kept.category, kept.sentiment_label) == (
        3, "detractor", old.sentiment_label)
    assert (kept.person_id, kept.invitation_id, kept.comment, kept.segment) == (
        None, None, None, {})
    assert kept.token_digest != old_digest and kept.anonymised_dt is not None
    case = db.session.scalars(select(FollowUp).where(FollowUp.response_id == old.id)).one()
    assert (case.person_id, case.status) == (None, "closed")
    assert db.session.scalars(select(FollowUpEvent.body).where(
        FollowUpEvent.followup_id == case.id, FollowUpEvent.body.is_not(None))).all() == []
    untouched = db.session.get(Response, recent.id)
    assert (untouched.comment, untouched.segment, untouched.anonymised_dt) == (
        "Call me, I am Ann", {"team": "Support"}, None)
    assert untouched.person_id is not None
    # once done, never again
    assert anonymise_expired(survey, now=utcnow()) == 0


def test_free_text_answers_go_and_numbers_stay(app_ctx, make_survey):
    survey = db.session.get(Survey, make_survey("pulse", settings={"retention_days": 30}))
    text = next(q for q in survey.extra_questions if q.kind == "text")
    agreement = next(q for q in survey.extra_questions if q.kind == "agreement")
    old = _answer(survey, "emp@example.com", days_ago=31, score=8, kind="employee",
                  answers={text.id: "my manager is X", agreement.id: 4})
    db.session.commit()
    assert anonymise_expired(survey, now=utcnow()) == 1
    answers = db.session.scalars(select(Answer).where(Answer.response_id == old.id)).all()
    assert [(a.question_id, a.value_int, a.value_text) for a in answers] == [
        (agreement.id, 4, None)]


def test_surveys_without_retention_keep_everything(app_ctx, make_survey):
    survey = db.session.get(Survey, make_survey("nps"))
    old = _answer(survey, "cy@example.com", days_ago=4000)
    db.session.commit()
    assert apply_retention(now=utcnow()) == {}
    assert db.session.get(Response, old.id).comment == "Call me, I am Ann"


def test_batches_are_committed_until_done(app_ctx, make_survey):
    survey = db.session.get(Survey, make_survey("nps", settings={"retention_days": 30}))
    for i in range(5):
        _answer(survey, f"p{i}@example.com", days_ago=40 + i)
    db.session.commit()
    batches = []
    done = apply_retention(now=utcnow(), batch_size=2, on_batch=batches.append)
    assert done == {survey.slug: 5} and batches == [2, 2, 1]
    assert db.session.scalar(select(Response.id).where(Response.anonymised_dt.is_(None))) is None


def test_daily_job_is_registered_and_audits(app, make_survey):
    assert "survey_app.privacy.tasks.apply_retention_policies" in {
        t.name for t in jobs.get_huey(app)._registry.periodic_tasks}
    survey_id = make_survey("nps", settings={"retention_days": 30})
    with app.app_context():
        _answer(db.session.get(Survey, survey_id), "dee@example.com", days_ago=31)
        db.session.commit()
    with app.app_context():
        from survey_app.privacy import tasks

        assert tasks.apply_retention_policies.call_local() == 1
        [event] = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "responses.anonymised")).all()
        assert (event.actor_id, event.target_id, event.details) == (
            None, survey_id, {"count": 1, "via": "job", "retention_days": 30})


def test_cli_runs_it_now_with_a_dry_run(app, make_survey):
    survey_id = make_survey("nps", settings={"retention_days": 60}, slug="kept-60")
    with app.app_context():
        _answer(db.session.get(Survey, survey_id), "eve@example.com", days_ago=61)
        db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["people", "retention", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "kept-60: 1 answers older than 60 days" in result.output
    with app.app_context():
        assert db.session.scalar(select(Response.anonymised_dt)) is None
    result = runner.invoke(args=["people", "retention"])
    assert result.exit_code == 0, result.output
    assert "kept-60: 1 answers anonymised" in result.output
    with app.app_context():
        assert db.session.scalar(select(Response.anonymised_dt)) is not None
        [event] = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "responses.anonymised")).all()
        assert event.details == {"count": 1, "via": "cli", "os_user": getpass.getuser(),
                                 "retention_days": 60}
