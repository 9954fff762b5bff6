"""Who is asked and when: throttle, open cases, filters, reminders, recurring rounds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from survey_app.core.db import db
from survey_app.followups.models import FollowUp
from survey_app.invitations.models import Invitation
from survey_app.people.models import Person
from survey_app.responses.services import Submission, record_response
from survey_app.surveys.models import Survey, SurveyStatus, Wave
from survey_app.waves import services
from survey_app.waves.audience import Audience, InvalidAudienceError, parse_where, preview
from survey_app.waves.models import InvitationEmail
from tests.waves.conftest import T0


@pytest.fixture
def deliver(app):
    """Send every queued e-mail, as of ``now`` (to the outbox)."""
    from survey_app.waves.emails import InvitationDeliverer

    def run(now):
        ids = list(db.session.scalars(select(InvitationEmail.id)
                                      .where(InvitationEmail.status == "queued")))
        return InvitationDeliverer().run(ids, now)

    return run


def _survey(survey_id: int) -> Survey:
    return db.session.get(Survey, survey_id)


def _wave(survey_id, now, *where):
    wave = services.send_wave(_survey(survey_id), Audience("customer", parse_where(where)),
                              now=now)
    db.session.commit()
    return wave


def _invited(wave) -> int:
    return db.session.scalar(select(func.count()).select_from(Invitation)
                             .where(Invitation.wave_id == wave.id))


def test_attribute_filters_or_within_a_name_and_across_names(app_ctx, make_survey, make_people):
    make_people(2, prefix="sup-n", team="Support", region="north")
    make_people(2, prefix="sup-s", team="Support", region="south")
    make_people(3, prefix="sal-n", team="Sales", region="north")
    make_people(1, prefix="emp", kind="employee", team="Support", region="north")
    survey = _survey(make_survey("nps"))
    count = lambda *w: preview(survey, Audience("customer", parse_where(w)), T0).invited  # noqa: E731
    assert count() == 7
    assert count("team=Support") == 4
    assert count("team=Support", "team=Sales") == 7
    assert count("team=Support", "region=north") == 2
    assert count("team=Nobody") == 0


@pytest.mark.parametrize("bad", ["team", "=Support", "team=", "a" * 65 + "=x", "team=a\nb"])
def test_bad_conditions_are_refused_with_their_number(bad):
    with pytest.raises(InvalidAudienceError, match="condition 2"):
        parse_where(["region=north", bad])


def test_throttle_across_surveys_at_the_exact_boundary(app_ctx, make_survey, make_people,
                                                        deliver):
    make_people(3)
    first = _wave(make_survey("nps"), T0)
    assert _invited(first) == 3
    other = _survey(make_survey("csat"))  # throttle 30 days by default
    just_before = preview(other, Audience("customer"), T0 + timedelta(days=30, seconds=-1))
    assert (just_before.invited, just_before.skipped["throttled"]) == (0, 3)
    at_boundary = preview(other, Audience("customer"), T0 + timedelta(days=30))
    assert (at_boundary.invited, at_boundary.skipped["throttled"]) == (3, 0)
    other.throttle_days = 0  # a survey may switch the throttle off
    assert preview(other, Audience("customer"), T0 + timedelta(days=1)).invited == 3


def test_open_follow_up_case_skips_until_closed(app_ctx, make_survey, make_people):
    make_people(2)
    survey_id = make_survey("nps", settings={"throttle_days": 0})
    wave = _wave(survey_id, T0)
    invitation = db.session.scalars(select(Invitation).where(Invitation.wave_id == wave.id)
                                    .order_by(Invitation.id)).first()
    record_response(_survey(survey_id), Submission(score=2, comment="bad"), token="t" * 22,
                    channel="email", invitation=invitation, now=T0)
    db.session.commit()
    result = preview(_survey(survey_id), Audience("customer"), T0 + timedelta(hours=1))
    assert (result.invited, result.skipped["open_case"]) == (1, 1)
    case = db.session.scalars(select(FollowUp)).one()
    case.status = "resolved"
    assert preview(_survey(survey_id), Audience("customer"), T0 + timedelta(hours=1)).invited == 2


def test_unsubscribed_and_bounced_are_skipped_first(app_ctx, make_survey, make_people):
    ids = make_people(3)
    db.session.get(Person, ids[0]).unsubscribed_dt = T0
    db.session.get(Person, ids[1]).bounced_dt = T0
    result = preview(_survey(make_survey("nps")), Audience("customer"), T0)
    assert (result.invited, result.skipped["unsubscribed"], result.skipped["bounced"]) == (1, 1, 1)


def test_closed_or_draft_survey_cannot_be_sent(app_ctx, make_survey):
    survey = _survey(make_survey("nps"))
    survey.status = SurveyStatus.CLOSED
    with pytest.raises(services.WaveError, match="closed"):
        services.send_wave(survey, Audience("customer"), now=T0)


# --- reminders ------------------------------------------------------------------------------


def _reminders(now) -> int:
    ids = services.queue_due_reminders(now)
    db.session.commit()
    return len(ids)


def test_one_reminder_after_three_days_exactly_and_only_once(app_ctx, make_survey, make_people,
                                                             deliver):
    make_people(2)
    survey_id = make_survey("nps")
    _wave(survey_id, T0)
    deliver(T0)
    assert _reminders(T0 + timedelta(days=3, seconds=-1)) == 0
    assert _reminders(T0 + timedelta(days=3)) == 2
    assert _reminders(T0 + timedelta(days=3)) == 0  # idempotent
    deliver(T0 + timedelta(days=3))
    assert _reminders(T0 + timedelta(days=9)) == 0  # default: at most one
    invitation = db.session.scalars(select(Invitation)).first()
    assert invitation.reminder_count == 1
    assert invitation.expires_dt == T0 + timedelta(days=3 + 30)  # lifetime extended


def test_two_reminders_at_most_and_never_to_respondents(app_ctx, make_survey, make_people,
                                                        deliver):
    make_people(3)
    survey_id = make_survey("nps", settings={"reminder_count": 2, "reminder_after_days": 2})
    wave = _wave(survey_id, T0)
    deliver(T0)
    answered = db.session.scalars(select(Invitation).where(Invitation.wave_id == wave.id)
                                  .order_by(Invitation.id)).first()
    record_response(_survey(survey_id), Submission(score=10), token="r" * 22, channel="email",
                    invitation=answered, now=T0 + timedelta(days=1))
    db.session.commit()
    assert _reminders(T0 + timedelta(days=2)) == 2
    deliver(T0 + timedelta(days=2))
    assert _reminders(T0 + timedelta(days=4) - timedelta(seconds=1)) == 0
    assert _reminders(T0 + timedelta(days=4)) == 2
    deliver(T0 + timedelta(days=4))
    assert _reminders(T0 + timedelta(days=30)) == 0
    assert db.session.scalar(select(func.count()).select_from(InvitationEmail)
                             .where(InvitationEmail.invitation_id == answered.id)) == 1


def test_no_reminder_after_the_survey_closes_nor_before_delivery(app_ctx, make_survey,
                                                                 make_people, deliver):
    make_people(1)
    survey_id = make_survey("nps")
    _wave(survey_id, T0)
    assert _reminders(T0 + timedelta(days=5)) == 0  # the invitation itself was never delivered
    deliver(T0)
    _survey(survey_id).status = SurveyStatus.CLOSED
    db.session.commit()
    assert _reminders(T0 + timedelta(days=5)) == 0


def test_queued_reminder_is_cancelled_if_the_survey_closes_before_it_goes(
        app_ctx, make_survey, make_people, deliver):
    make_people(1)
    survey_id = make_survey("nps")
    _wave(survey_id, T0)
    deliver(T0)
    assert _reminders(T0 + timedelta(days=3)) == 1
    _survey(survey_id).status = SurveyStatus.CLOSED
    db.session.commit()
    assert deliver(T0 + timedelta(days=3)).cancelled == 1


def test_reminder_email_says_reminder(app, smtp_server, make_survey, make_people):
    from survey_app.waves.emails import InvitationDeliverer

    make_people(1, name="Ann")
    survey_id = make_survey("nps", title="Acme NPS")
    now = datetime.now(UTC)
    with app.app_context():
        _wave(survey_id, now - timedelta(days=3))
        ids = list(db.session.scalars(select(InvitationEmail.id)))
        InvitationDeliverer().run(ids, now - timedelta(days=3))
        new = services.queue_due_reminders(now)
        db.session.commit()
        InvitationDeliverer().run(new, now)
    first, reminder = smtp_server.messages
    assert reminder["Subject"] == "Reminder: Acme NPS"
    assert "A quick reminder" in reminder.get_body(("plain",)).get_content()
    link = lambda m: [ln for ln in m.get_body(("plain",)).get_content().split() if "/s/" in ln]  # noqa: E731
    assert link(first) == link(reminder)  # the same personal link


# --- recurring rounds -----------------------------------------------------------------------


def test_weekly_rounds_with_an_injected_clock(app_ctx, make_survey, make_people):
    make_people(2, kind="employee", team="Support")
    make_people(1, kind="employee", prefix="s", team="Sales")
    survey = _survey(make_survey("pulse"))
    services.set_cadence(survey, "weekly", Audience("employee", {"team": ("Support",)}),
                         first_round_dt=T0)
    db.session.commit()
    assert survey.throttle_days == 6  # lowered below the period
    assert services.start_due_rounds(T0 - timedelta(seconds=1)) == []
    [first] = services.start_due_rounds(T0)
    db.session.commit()
    assert (first.label, _invited(first)) == ("2026-W10", 2)
    assert services.start_due_rounds(T0 + timedelta(days=6, hours=23)) == []
    [second] = services.start_due_rounds(T0 + timedelta(days=7))
    db.session.commit()
    assert (second.label, _invited(second), second.scheduled_dt) == (
        "2026-W11", 2, T0 + timedelta(days=7))
    # the scheduler was down for three weeks: one round, not three
    late = services.start_due_rounds(T0 + timedelta(days=29))
    db.session.commit()
    assert [w.label for w in late] == ["2026-W14"]
    assert survey.next_round_dt == T0 + timedelta(days=35)


def test_monthly_and_quarterly_keep_the_calendar(app_ctx, make_survey):
    jan31 = datetime(2026, 1, 31, 8, tzinfo=UTC)
    assert services.next_round(jan31, "monthly") == datetime(2026, 2, 28, 8, tzinfo=UTC)
    assert services.next_round(datetime(2026, 11, 15, tzinfo=UTC), "quarterly") == datetime(
        2027, 2, 15, tzinfo=UTC)
    assert services.round_label(jan31, "monthly") == "2026-01"
    assert services.round_label(datetime(2026, 11, 15, tzinfo=UTC), "quarterly") == "2026-Q4"


def test_two_schedulers_racing_start_a_round_once(app_ctx, make_survey, make_people):
    make_people(2)
    survey = _survey(make_survey("nps"))
    services.set_cadence(survey, "monthly", Audience("customer"), first_round_dt=T0)
    db.session.commit()
    stale_copy_due = survey.next_round_dt
    assert len(services.start_due_rounds(T0)) == 1
    db.session.commit()
    # a second scheduler that read the survey before the first moved it: compare-and-set fails
    moved = db.session.execute(
        services.update(Survey).where(Survey.id == survey.id,
                                      Survey.next_round_dt == stale_copy_due)
        .values(next_round_dt=T0)).rowcount
    assert moved == 0
    assert services.start_due_rounds(T0) == []
    assert db.session.scalar(select(func.count()).select_from(Wave)) == 1


def test_stopping_and_closed_surveys_start_no_round(app_ctx, make_survey):
    survey = _survey(make_survey("nps"))
    services.set_cadence(survey, "weekly", Audience("customer"), first_round_dt=T0)
    survey.status = SurveyStatus.CLOSED
    db.session.commit()
    assert services.start_due_rounds(T0 + timedelta(days=1)) == []
    survey.status = SurveyStatus.ACTIVE
    services.set_cadence(survey, None)
    db.session.commit()
    assert services.start_due_rounds(T0 + timedelta(days=1)) == []
    with pytest.raises(services.WaveError):
        services.set_cadence(survey, "daily", Audience("customer"))


def test_new_surveys_take_throttle_and_reminders_from_the_settings(app, make_survey):
    app.config.update(THROTTLE_DAYS=14, REMINDER_COUNT=2, REMINDER_AFTER_DAYS=5)
    try:
        survey_id = make_survey("csat")
    finally:
        app.config.update(THROTTLE_DAYS=30, REMINDER_COUNT=1, REMINDER_AFTER_DAYS=3)
    with app.app_context():
        survey = db.session.get(Survey, survey_id)
        assert (survey.throttle_days, survey.reminder_count, survey.reminder_after_days) == (
            14, 2, 5)


@pytest.mark.parametrize(("label", "en", "it"), [
    ("2026-11", "November 2026", "novembre 2026"),
    ("2026-W48", "week 48, 2026", "settimana 48, 2026"),
    ("2026-Q4", "Q4 2026", "4° trimestre 2026"),
    ("Spring survey", "Spring survey", "Spring survey"),  # written by a person: as written
    ("2026-13", "2026-13", "2026-13"),
])
def test_an_automatic_rounds_name_is_in_the_readers_language(app, label, en, it):
    from flask_babel import force_locale

    from survey_app.waves.services import round_name

    with app.test_request_context():
        with force_locale("en"):
            assert round_name(label) == en
        with force_locale("it"):
            assert round_name(label) == it
