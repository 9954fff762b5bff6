"""Respondent pages of e-mailed links: unsubscribe (``/u/<token>``) and the scanner honeypot."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request, url_for

from survey_app.core.db import db, set_write_intent
from survey_app.core.i18n import use_locale
from survey_app.extensions import csrf, limiter
from survey_app.invitations import tracking
from survey_app.invitations.services import UnknownLinkError
from survey_app.people.services import unsubscribe as unsubscribe_person

bp = Blueprint("invitations", __name__)


@bp.errorhandler(UnknownLinkError)
def _unknown_link(_error: Exception):
    return render_template("respond/link_problem.html", problem="unknown"), 404


def _respond_limit() -> str:
    return current_app.config["RATELIMIT_RESPOND"]


# RFC 8058 one-click: the mail provider POSTs "List-Unsubscribe=One-Click" without a CSRF token
# or cookie; the unguessable token in the URL is the authorization, so CSRF is not a risk here.
@bp.route("/u/<token>", methods=["GET", "POST"])
@csrf.exempt
@limiter.limit(_respond_limit, methods=["POST"])
def unsubscribe(token: str):
    """GET: a confirmation button, nothing changes. POST: unsubscribed from every survey."""
    set_write_intent(request.method == "POST")
    invitation = tracking.find_by_token(token)
    person = invitation.person
    use_locale(person.locale, invitation.survey.default_locale)
    if request.method == "POST":
        unsubscribe_person(person)
        db.session.commit()
    return render_template("invitations/unsubscribe.html", survey=invitation.survey,
                           done=person.unsubscribed_dt is not None,
                           action=url_for(".unsubscribe", token=token))


@bp.get("/s/<token>/x")
def honeypot(token: str):
    """The hidden link of the e-mail: only scanners follow it. Remembered, then a plain page."""
    set_write_intent(True)
    invitation = tracking.find_by_token(token)
    tracking.record_open(invitation, honeypot=True)
    db.session.commit()
    use_locale(invitation.person.locale, invitation.survey.default_locale)
    return render_template("invitations/honeypot.html",
                           survey_url=url_for("respond.personal", token=token))
