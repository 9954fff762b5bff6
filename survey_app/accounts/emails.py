"""The e-mails with a link to set a password: invitation and password reset, in the user's
language, sent by a job so that the page answers alike whether an account exists or not."""

from __future__ import annotations

import logging

from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_mail import Message

from survey_app.accounts.links import Purpose, lifetime, make_url
from survey_app.accounts.models import User
from survey_app.core import jobs, mail
from survey_app.core.db import db

logger = logging.getLogger(__name__)


def build(user: User, purpose: Purpose) -> Message:
    """The message for ``user`` with a fresh link."""
    hours = lifetime(purpose).total_seconds() / 3600
    with force_locale(user.locale):
        subject = (_("You are invited to Polso") if purpose == Purpose.INVITATION
                   else _("Set a new Polso password"))
        context = {"user": user, "url": make_url(user, purpose), "subject": subject,
                   "is_invitation": purpose == Purpose.INVITATION, "locale": user.locale,
                   "valid_for": (_("%(n)s hours", n=round(hours)) if hours >= 2
                                 else _("%(n)s minutes", n=round(hours * 60)))}
        return mail.build_message(to=user.email, subject=subject,
                                  text=render_template("emails/accounts/link.txt", **context),
                                  html=render_template("emails/accounts/link.html", **context))


@jobs.task(retries=3, retry_delay=60)
def send_link(user_id: int, purpose: str) -> bool:
    """E-mail ``user_id`` a link for ``purpose``; nothing if the user is gone meanwhile."""
    user = db.session.get(User, user_id)
    if user is None:
        return False
    mail.send_email(build(user, Purpose(purpose)))
    logger.info("%s e-mail sent to user %s", purpose, user_id)
    return True
