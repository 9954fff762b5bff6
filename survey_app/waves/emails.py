"""The invitation e-mail (HTML + text, in the person's language) and its delivery rules."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app, render_template
from flask_babel import force_locale, format_date
from flask_babel import gettext as _
from flask_mail import Message
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from survey_app.core import mail
from survey_app.core.db import db
from survey_app.core.delivery import Cancel, Deliverer
from survey_app.invitations.models import Invitation, InvitationStatus
from survey_app.invitations.tracking import LinkKeyChangedError, link_token
from survey_app.people.services import mark_bounced
from survey_app.surveys.models import Survey, SurveyKind, SurveyStatus
from survey_app.waves.models import InvitationEmail

#: Survey kinds whose e-mail carries the score buttons.
BUTTON_KINDS = (SurveyKind.NPS, SurveyKind.ENPS, SurveyKind.CSAT)


def links(token: str) -> dict[str, str]:
    """The survey, unsubscribe and honeypot addresses for ``token``."""
    base = current_app.config["BASE_URL"].rstrip("/")
    return {"survey_url": f"{base}/s/{token}", "unsubscribe_url": f"{base}/u/{token}",
            "honeypot_url": f"{base}/s/{token}/x"}


def render_invitation(invitation: Invitation, token: str, *, is_reminder: bool = False
                      ) -> dict[str, str]:
    """``subject``, ``text`` and ``html`` of the e-mail, in the person's language."""
    survey, person = invitation.survey, invitation.person
    locale = person.locale if person.locale in current_app.config["LANGUAGES"] else (
        survey.default_locale)
    with force_locale(locale):
        context = _context(survey, invitation, locale, is_reminder) | links(token)
        subject = (_("Reminder: %(title)s", title=survey.title) if is_reminder
                   else survey.title)
        context["subject"] = subject
        return {"subject": subject,
                "text": render_template("emails/invitations/invitation.txt", **context),
                "html": render_template("emails/invitations/invitation.html", **context)}


def _context(survey: Survey, invitation: Invitation, locale: str, is_reminder: bool
             ) -> dict[str, Any]:
    csat = survey.kind == SurveyKind.CSAT
    return {
        "locale": locale,
        "name": invitation.person.name,
        "title": survey.title,
        "question": survey.score_question.wording(locale),
        "scores": list(survey.score_range) if survey.kind in BUTTON_KINDS else None,
        "low_label": _("Very dissatisfied") if csat else _("Not at all likely"),
        "high_label": _("Very satisfied") if csat else _("Extremely likely"),
        "is_reminder": is_reminder,
        "is_anonymous": survey.is_anonymous,
        "expires": format_date(invitation.expires_dt, "long"),
        "footer": _("You receive this e-mail because we ask our employees for their opinion "
                    "from time to time.") if survey.audience == "employees"
        else _("You receive this e-mail because we ask our customers for their opinion from "
               "time to time."),
    }


def build_message(invitation: Invitation, token: str, *, is_reminder: bool = False) -> Message:
    """The multipart message with RFC 8058 one-click ``List-Unsubscribe`` headers."""
    content = render_invitation(invitation, token, is_reminder=is_reminder)
    unsubscribe = links(token)["unsubscribe_url"]
    return mail.build_message(
        to=invitation.person.email, to_name=invitation.person.name, subject=content["subject"],
        text=content["text"], html=content["html"],
        headers={"List-Unsubscribe": f"<{unsubscribe}>",
                 "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                 "Auto-Submitted": "auto-generated"})


class InvitationDeliverer(Deliverer):
    """Delivers :class:`InvitationEmail` rows; keeps invitation and person state in step."""

    model = InvitationEmail

    def load(self, ids: list[int]) -> list[InvitationEmail]:  # type: ignore[override]
        return list(db.session.scalars(
            select(InvitationEmail).where(InvitationEmail.id.in_(ids))
            .options(joinedload(InvitationEmail.invitation).joinedload(Invitation.person),
                     joinedload(InvitationEmail.invitation).joinedload(Invitation.survey)
                     .selectinload(Survey.questions))
            .order_by(InvitationEmail.id)))

    def build(self, row: InvitationEmail) -> Message:
        invitation = row.invitation
        person, survey = invitation.person, invitation.survey
        if survey.status != SurveyStatus.ACTIVE:
            raise Cancel(f"survey is {survey.status}")
        if person.unsubscribed_dt is not None:
            raise Cancel("unsubscribed")
        if person.bounced_dt is not None:
            raise Cancel("address bounced earlier")
        if row.is_reminder and invitation.status == InvitationStatus.RESPONDED:
            raise Cancel("already answered")
        try:
            token = link_token(invitation)
        except LinkKeyChangedError as error:
            raise Cancel(str(error)) from None
        return build_message(invitation, token, is_reminder=row.is_reminder)

    def on_sent(self, row: InvitationEmail, now: datetime) -> None:
        invitation = row.invitation
        invitation.sent_dt = invitation.sent_dt or now
        if invitation.status == InvitationStatus.QUEUED:
            invitation.status = InvitationStatus.SENT

    def on_bounced(self, row: InvitationEmail, reason: str, now: datetime) -> None:
        invitation = row.invitation
        invitation.bounced_dt = now
        if invitation.status != InvitationStatus.RESPONDED:
            invitation.status = InvitationStatus.BOUNCED
        mark_bounced(invitation.person, now)

    def on_failed(self, row: InvitationEmail, reason: str, now: datetime) -> None:
        invitation = row.invitation
        if row.sequence == 0 and invitation.status == InvitationStatus.QUEUED:
            invitation.status = InvitationStatus.FAILED
            invitation.failed_dt = now
