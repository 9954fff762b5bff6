"""Promoter-loop pages: the review redirect and the referral sign-up (the settings form is on
the survey's edit page, ``surveys.promoters``)."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request
from flask import Response as FlaskResponse
from werkzeug.exceptions import NotFound

from survey_app.core.db import db, set_write_intent
from survey_app.core.i18n import use_locale
from survey_app.extensions import limiter
from survey_app.referrals import services, settings
from survey_app.referrals.forms import JoinForm
from survey_app.surveys.models import Survey

bp = Blueprint("referrals", __name__)


@bp.errorhandler(NotFound)
@bp.errorhandler(services.UnknownCodeError)
@bp.errorhandler(services.UnknownReviewLinkError)
def _unknown(_error: Exception):
    return render_template("respond/link_problem.html", problem="unknown"), 404


@bp.after_request
def _never_cached(response: FlaskResponse) -> FlaskResponse:
    response.headers["Cache-Control"] = "no-store"
    return response


def _respond_limit() -> str:
    return current_app.config["RATELIMIT_RESPOND"]


def _public_limit() -> str:
    return current_app.config["RATELIMIT_PUBLIC"]


def _not_found(response: FlaskResponse) -> bool:
    return response.status_code == 404


#: Guessing codes or positions counts against the respondent limit; real links do not.
_guesses_limited = limiter.shared_limit(_respond_limit, scope="referrals-unknown",
                                        deduct_when=_not_found)


@bp.get("/r/<slug>/<int:position>")
@_guesses_limited
def review(slug: str, position: int):
    """To the survey's review link ``position``, counted; nothing else is ever a target."""
    set_write_intent(True)
    url = services.follow_review_link(slug, position)
    db.session.commit()
    return redirect(url, 303)


@bp.route("/join/<code>", methods=["GET", "POST"])
@limiter.limit(_public_limit, methods=["POST"])
@_guesses_limited
def join(code: str):
    """The sign-up form of a promoter's referral link; a GET counts an opening."""
    set_write_intent(True)
    row = services.find_code(code)
    survey = db.session.get(Survey, row.survey_id)
    locale = use_locale(request.accept_languages.best_match(current_app.config["LANGUAGES"]),
                        survey.default_locale)
    form = JoinForm()
    if request.method == "GET":
        services.count_open(row)
        db.session.commit()
    if not form.validate_on_submit():
        return _join_page(survey, form, locale, 422 if form.is_submitted() else 200)
    services.sign_up(row, email=form.email.data, name=form.name.data.strip(), locale=locale)
    db.session.commit()
    return render_template("referrals/joined.html", survey=survey)


def _join_page(survey: Survey, form: JoinForm, locale: str, status: int):  # type: ignore[no-untyped-def]
    promoter = settings.settings_for(survey)
    offer = promoter.offer_in(locale, survey.default_locale) if promoter else ""
    return render_template("referrals/join.html", survey=survey, form=form, offer=offer,
                           locale=locale, action=request.path), status
