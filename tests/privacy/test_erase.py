"""Erasing a person: identity, invitations and links go; aggregate scores stay."""

from __future__ import annotations

from sqlalchemy import func, select

from survey_app.accounts.models import User
from survey_app.core.db import db
from survey_app.followups import services as followups
from survey_app.followups.models import FollowUp, FollowUpEvent, FollowUpMail
from survey_app.invitations.models import Invitation, LinkOpen
from survey_app.invitations.services import create_invitation
from survey_app.people.models import Person
from survey_app.people.services import get_or_create_person
from survey_app.privacy.erasure import erase_person, person_erased
from survey_app.responses.models import Answer, Response
from survey_app.responses.services import Submission, record_response
from survey_app.surveys.models import Survey
from survey_app.waves import services
from survey_app.waves.audience import Audience
from survey_app.waves.models import InvitationEmail


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_erase_removes_identity_and_keeps_scores(app_ctx, make_survey, make_user, client):
    nps = db.session.get(Survey, make_survey("nps"))
    pulse = db.session.get(Survey, make_survey("pulse"))
    ann = get_or_create_person("ann@example.com", name="Ann", attributes={"plan": "pro"})
    other = get_or_create_person("other@example.com")
    # a wave (invitation + e-mail + link history) and an identified detractor with a case
    services.send_wave(nps, Audience("customer"))
    invitation = db.session.scalar(select(Invitation).where(Invitation.person_id == ann.id))
    invitation_id = invitation.id
    db.session.add(LinkOpen(invitation_id=invitation_id, score=3))
    response = record_response(nps, Submission(score=3, comment="I am Ann from Acme, call me"),
                               token="a" * 22, channel="email", invitation=invitation)
    # an anonymous pulse where Ann asked to be contacted, with a free-text answer
    employee = get_or_create_person("emp@example.com", kind="employee")
    pulse_invitation, _ = create_invitation(pulse, employee)
    text_question = next(q for q in pulse.extra_questions if q.kind == "text")
    agreement = next(q for q in pulse.extra_questions if q.kind == "agreement")
    anonymous = record_response(
        pulse, Submission(score=4, comment="my manager", contact_requested=True,
                          answers={text_question.id: "it's me, Emp", agreement.id: 2}),
        token="b" * 22, channel="email", invitation=pulse_invitation)
    agent = db.session.get(User, make_user("support"))
    followups.add_note(response.followup, "Ann Smith, Acme, +39 333 1234567", by=agent)
    followups.reply(response.followup, subject="Hello Ann", body="Dear Ann, sorry.", by=agent)
    db.session.commit()
    old_digest = response.token_digest
    received = []
    person_erased.connect(lambda _app, person_id: received.append(person_id), weak=False)

    result = erase_person(ann)
    erase_person(employee)
    db.session.commit()

    assert received[:2] == [ann.id, employee.id]
    assert (result.invitations, result.responses_anonymised, result.cases_anonymised) == (1, 1, 1)
    assert db.session.scalars(select(Person.email)).all() == ["other@example.com"]
    assert _count(Invitation, Invitation.person_id != other.id) == 0
    assert _count(LinkOpen) == 0
    assert _count(InvitationEmail, InvitationEmail.invitation_id == invitation_id) == 0
    kept = db.session.get(Response, response.id)
    assert (kept.score, kept.category, kept.segment, kept.sentiment_label) == (
        3, "detractor", {"plan": "pro"}, response.sentiment_label)
    assert (kept.person_id, kept.invitation_id, kept.comment) == (None, None, None)
    assert kept.token_digest != old_digest
    case = db.session.scalars(select(FollowUp).where(FollowUp.response_id == kept.id)).one()
    assert (case.person_id, case.status) == (None, "closed")
    assert db.session.scalars(select(FollowUpEvent.body).where(
        FollowUpEvent.followup_id == case.id, FollowUpEvent.body.is_not(None))).all() == []
    replies = db.session.execute(select(FollowUpMail.to_address, FollowUpMail.subject,
                                        FollowUpMail.body).where(
        FollowUpMail.followup_id == case.id, FollowUpMail.kind == "reply")).all()
    assert replies == [("erased", None, None)]
    pulse_kept = db.session.get(Response, anonymous.id)
    assert (pulse_kept.score, pulse_kept.person_id, pulse_kept.comment) == (4, None, None)
    answers = db.session.scalars(select(Answer).where(Answer.response_id == anonymous.id)).all()
    assert [(a.question_id, a.value_int, a.value_text) for a in answers] == [
        (agreement.id, 2, None)]
    # the old link finds nothing any more
    assert client.get(f"/s/{'a' * 22}").status_code == 404


def test_cli_erase(app, make_survey):
    runner = app.test_cli_runner()
    with app.app_context():
        get_or_create_person("zed@example.com")
        db.session.commit()
    result = runner.invoke(args=["people", "erase", "ZED@example.com", "--yes"])
    assert result.exit_code == 0, result.output
    assert "Erased: 0 invitations deleted" in result.output
    result = runner.invoke(args=["people", "erase", "zed@example.com", "--yes"])
    assert result.exit_code == 2 and "nobody has the e-mail address" in result.output
