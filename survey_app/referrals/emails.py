"""The promoter e-mail a day after a promoter answered: review links and referral link.

Sent by the hourly sweep (:mod:`survey_app.referrals.tasks`), never twice: a
:class:`PromoterEmail` row (unique per answer) is committed before the message leaves. Only to
people who can unsubscribe from it (an e-mailed invitation whose link can be derived again) and
who have not unsubscribed or bounced.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_mail import Message
from sqlalchemy import delete, exists, select
from sqlalchemy.exc import IntegrityError

from survey_app.core import mail
from survey_app.core.db import db, utcnow
from survey_app.core.i18n import use_timezone
from survey_app.invitations.models import Invitation
from survey_app.invitations.tracking import LinkKeyChangedError, link_token
from survey_app.people.models import Person
from survey_app.referrals.models import PromoterEmail, PromoterSettings
from survey_app.referrals.services import offer_for
from survey_app.responses.models import Response
from survey_app.surveys.models import Survey

logger = logging.getLogger(__name__)

#: The e-mail goes this long after the answer …
EMAIL_DELAY = timedelta(days=1)
#: … and no later than this (a sweep that was down for weeks sends nothing stale).
EMAIL_WINDOW = timedelta(days=7)

_INDENT = re.compile(r"\n[ \t]+")


def due_responses(now: datetime) -> list[int]:
    """Promoter answers whose e-mail is due: identified, a day old (at most a week), on a
    survey that sends it, by someone reachable, and not e-mailed yet."""
    emailed = exists().where(PromoterEmail.response_id == Response.id)
    return list(db.session.scalars(
        select(Response.id)
        .join(PromoterSettings, PromoterSettings.survey_id == Response.survey_id)
        .join(Survey, Survey.id == Response.survey_id)
        .join(Person, Person.id == Response.person_id)
        .where(PromoterSettings.is_email_enabled, Survey.audience == "customers",
               Survey.anonymity == "identified", Response.category == "promoter",
               Response.invitation_id.is_not(None), Response.is_suspected_automated.is_(False),
               Response.submitted_dt <= now - EMAIL_DELAY,
               Response.submitted_dt > now - EMAIL_WINDOW,
               Person.unsubscribed_dt.is_(None), Person.bounced_dt.is_(None), ~emailed)
        .order_by(Response.id)))


def take(response: Response, now: datetime) -> bool:
    """Claim ``response``'s e-mail; ``False`` if another run already did (flushes)."""
    try:
        with db.session.begin_nested():
            db.session.add(PromoterEmail(response_id=response.id, taken_dt=now))
    except IntegrityError:
        return False
    return True


def build(response: Response) -> Message | None:
    """The multipart message for ``response``'s author (creates the referral code; flushes), or
    ``None`` when there is nothing to offer or it cannot carry a working unsubscribe link."""
    invitation = db.session.get(Invitation, response.invitation_id)
    try:
        token = link_token(invitation)
    except LinkKeyChangedError:
        return None
    person, survey = invitation.person, response.survey
    settings = db.session.scalar(select(PromoterSettings)
                                 .where(PromoterSettings.survey_id == survey.id))
    locale = person.locale if person.locale in current_app.config["LANGUAGES"] else "en"
    base = current_app.config["BASE_URL"].rstrip("/")
    unsubscribe = f"{base}/u/{token}"
    with force_locale(locale), use_timezone(None):
        offer = offer_for(response, settings, locale)
        if not offer:
            return None
        context = {
            "subject": _("Thank you for recommending us"), "name": person.name,
            "title": survey.title_in(locale), "offer": offer, "locale": locale,
            "reviews": [(b.label, f"{base}/r/{survey.slug}/{b.position}") for b in offer.reviews],
            "join_url": f"{base}/join/{offer.code}" if offer.code else None,
            "unsubscribe_url": unsubscribe,
        }
        text = render_template("emails/referrals/promoter.txt", **context)
        html = _INDENT.sub("\n", render_template("emails/referrals/promoter.html", **context))
    return mail.build_message(
        to=person.email, to_name=person.name, subject=context["subject"], text=text, html=html,
        headers={"List-Unsubscribe": f"<{unsubscribe}>",
                 "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                 "Auto-Submitted": "auto-generated"})


def send_due(now: datetime | None = None) -> int:
    """Send every due promoter e-mail; commits per message. Returns how many were sent."""
    now = now or utcnow()
    sent = 0
    for response_id in due_responses(now):
        response = db.session.get(Response, response_id)
        message = build(response)
        if message is None or not take(response, now):
            db.session.rollback()
            continue
        db.session.commit()
        try:
            mail.send_email(message)
        except Exception as error:  # noqa: BLE001 — classified; a temporary one is retried
            if mail.classify(error).permanent:
                logger.warning("promoter e-mail for response %s refused", response_id)
            else:
                _release(response_id)
            continue
        sent += 1
        logger.info("promoter e-mail sent for response %s", response_id)
    return sent


def _release(response_id: int) -> None:
    """A temporary failure: the next sweep tries again (within :data:`EMAIL_WINDOW`)."""
    db.session.execute(delete(PromoterEmail).where(PromoterEmail.response_id == response_id))
    db.session.commit()
    logger.info("promoter e-mail for response %s will be retried", response_id)
