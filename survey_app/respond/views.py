"""Respondent pages. A GET never records anything (mail scanners open every link)."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask import Response as FlaskResponse
from sqlalchemy import select
from werkzeug.exceptions import NotFound

from survey_app.core.db import commit_keeping_loaded, db, set_write_intent
from survey_app.core.forms import LinkBoundCSRF
from survey_app.core.i18n import use_locale
from survey_app.core.tokens import new_token
from survey_app.extensions import csrf, limiter
from survey_app.invitations import services as invitations
from survey_app.invitations import tracking
from survey_app.invitations.models import Invitation
from survey_app.referrals import services as referrals
from survey_app.referrals.forms import ImprovementForm
from survey_app.respond.forms import build_form, field_name
from survey_app.responses import flood, provisional
from survey_app.responses import services as responses
from survey_app.responses.models import Channel, Response
from survey_app.surveys.models import Survey, SurveyStatus

bp = Blueprint("respond", __name__)


@bp.errorhandler(NotFound)  # e.g. a control character in the path (core.inputs)
@bp.errorhandler(invitations.UnknownLinkError)
def _unknown_link(_error: Exception):
    return render_template("respond/link_problem.html", problem="unknown"), 404


@bp.errorhandler(invitations.LinkExpiredError)
def _expired_link(_error: Exception):
    return render_template("respond/link_problem.html", problem="expired"), 410


@bp.errorhandler(invitations.SurveyClosedError)
def _closed_survey(_error: Exception):
    return render_template("respond/link_problem.html", problem="closed"), 410


@bp.after_request
def _never_cached(response):
    """Respondent pages can show answers: no browser or proxy may keep a copy."""
    response.headers["Cache-Control"] = "no-store"
    return response


def _respond_limit() -> str:
    return current_app.config["RATELIMIT_RESPOND"]


def _public_limit() -> str:
    return current_app.config["RATELIMIT_PUBLIC"]


def _unknown_link_opened(response: FlaskResponse) -> bool:
    return response.status_code == 404


#: Opening unknown links (guessing tokens) counts against the respondent limit; the people who
#: open their own link are never counted.
_guesses_limited = limiter.shared_limit(_respond_limit, scope="respond-unknown-link",
                                        methods=["GET"], deduct_when=_unknown_link_opened)


# The response form checks its own CSRF token (Flask-WTF), after the rate limit and with the
# typed answers kept; the global before-request check would run before the limit and lose them.
@bp.route("/s/<token>", methods=["GET", "POST"])
@csrf.exempt
@limiter.limit(_respond_limit, methods=["POST"])
@_guesses_limited
def personal(token: str):
    set_write_intent(True)  # a GET records the open (scanner detection), a POST the answer
    invitation, response = responses.open_link(token)
    if request.method == "GET":
        score = _preselected_score(invitation.survey)
        tracking.record_open(invitation, score=score)
        if score is not None and response is None:
            provisional.record_click(invitation, score)
        db.session.commit()
    locale = use_locale(invitation.person.locale, invitation.survey.default_locale)
    place = _FormPlace(".personal", token=token, lang=locale, csrf=invitation.token_hash)
    return _answer_page(invitation.survey, token, locale, Channel.EMAIL, invitation, response,
                        place)


@bp.route("/s/<token>/thanks", methods=["GET", "POST"])
@csrf.exempt  # the passive's form checks its link-bound token itself (as ``personal``)
@limiter.limit(_respond_limit, methods=["POST"])
@_guesses_limited
def personal_thanks(token: str):
    set_write_intent(True)  # a promoter's referral code is created here, a passive's reply kept
    invitation = invitations.find_invitation(token)
    locale = use_locale(invitation.person.locale, invitation.survey.default_locale)
    place = _FormPlace(".personal", token=token, lang=locale, csrf=invitation.token_hash)
    return _thanks_page(invitation.survey, token, locale, place)


@bp.route("/p/<slug>", methods=["GET", "POST"])
@csrf.exempt
@limiter.limit(_public_limit, methods=["POST"])
def public(slug: str):
    survey = _public_survey(slug)
    locale = use_locale(request.accept_languages.best_match(current_app.config["LANGUAGES"]),
                        survey.default_locale)
    tokens = session.get("public_tokens", {})
    token = tokens.get(survey.slug) or new_token()
    if request.method == "POST" and survey.slug not in tokens:
        # The browser's own token: one response per browser, editable from the same browser.
        session["public_tokens"] = {**tokens, survey.slug: token}
    return _answer_page(survey, token, locale, Channel.PUBLIC, None,
                        responses.find_response(token),
                        _FormPlace(".public", slug=slug, lang=locale))


@bp.route("/p/<slug>/thanks", methods=["GET", "POST"])
@limiter.limit(_public_limit, methods=["POST"])
def public_thanks(slug: str):
    set_write_intent(True)
    survey = _public_survey(slug)
    locale = use_locale(survey.default_locale)
    token = session.get("public_tokens", {}).get(survey.slug)
    if token is None:
        return redirect(url_for(".public", slug=slug))
    return _thanks_page(survey, token, locale, _FormPlace(".public", slug=slug))


def _public_survey(slug: str) -> Survey:
    survey = db.session.scalar(select(Survey).where(Survey.slug == slug, Survey.is_public))
    if survey is None or survey.status == SurveyStatus.DRAFT:
        raise invitations.UnknownLinkError()
    if survey.status == SurveyStatus.CLOSED:
        raise invitations.SurveyClosedError()
    return survey


class _FormPlace:
    """Where an answer form lives: its own address and its thank-you page (built only when
    needed) and, on a personal link, the link's hash its CSRF token is bound to (``csrf``)."""

    def __init__(self, endpoint: str, csrf: str | None = None, **values: str) -> None:
        self.endpoint, self.values, self.csrf = endpoint, values, csrf

    @property
    def form(self) -> str:
        return url_for(self.endpoint, **self.values)

    @property
    def thanks(self) -> str:
        return url_for(f"{self.endpoint}_thanks", **self.values)


def _answer_page(survey: Survey, token: str, locale: str, channel: str,
                 invitation: Invitation | None, response: Response | None, place: _FormPlace):
    """Show, validate and store the answer form for a personal or public link."""
    if response is not None:
        return _edit_page(response, locale, place)
    if survey.status == SurveyStatus.CLOSED:
        raise invitations.SurveyClosedError()
    if invitation is not None:
        invitations.check_open(invitation)
    form = build_form(survey, link=place.csrf, score=_preselected_score(survey))
    if not form.validate_on_submit():
        return _render_form(form, place.form, locale, status=422 if form.is_submitted() else 200)
    suspected = responses.suspicion(honeypot=form.website.data,
                                    seconds_on_page=form.seconds_on_page())
    try:
        if channel == Channel.PUBLIC:
            suspected = flood.count_public_answer(survey, request.remote_addr or "") or suspected
        responses.record_response(survey, form.to_submission(locale), token=token,
                                  channel=channel, invitation=invitation, suspected=suspected)
    except flood.TooManyAnswersError:
        db.session.rollback()
        return _render_form(form, place.form, locale, notice="cap", status=429)
    except responses.AlreadyAnsweredError:
        db.session.rollback()
        return render_template("respond/answered.html", survey=survey), 409
    commit_keeping_loaded()
    return redirect(place.thanks, 303)


def _edit_page(response: Response, locale: str, place: _FormPlace):
    """Within the edit window: change the answer (an anonymous one is answered again, never
    shown); afterwards: already answered, without the answer."""
    survey = response.survey
    if survey.status == SurveyStatus.CLOSED:
        raise invitations.SurveyClosedError()
    if not responses.can_edit(response):
        status = 409 if request.method == "POST" else 200
        return render_template("respond/answered.html", survey=survey, response=response), status
    if response.is_anonymous:
        return _answer_again(response, locale, place)
    form = build_form(survey, link=place.csrf, obj=_FormValues(response), version=response.version)
    if not form.validate_on_submit():
        return _render_form(form, place.form, locale, response=response,
                            status=422 if form.is_submitted() else 200)
    if form.version.data != response.version:  # a second tab, the back button, a stale page
        return _offer_update(form, response, locale, place)
    try:
        responses.update_response(response, form.to_submission(locale),
                                  version=form.version.data)
    except responses.StaleEditError:
        db.session.rollback()
        return _offer_update(form, response, locale, place)
    commit_keeping_loaded()
    return redirect(place.thanks, 303)


def _offer_update(form, response: Response, locale: str, place: _FormPlace):
    """Keep what was typed, set against the answer on record, with one button to apply it."""
    notice = "answered" if form.version.data is None else "stale"
    form.version.data = response.version
    return _render_form(form, place.form, locale, response=response, notice=notice, status=409)


def _answer_again(response: Response, locale: str, place: _FormPlace):
    """An anonymous link reopened: an empty form whose answer replaces the earlier one."""
    form = build_form(response.survey, link=place.csrf)
    if not form.validate_on_submit():
        return _render_form(form, place.form, locale, response=response, notice="replace",
                            status=422 if form.is_submitted() else 200)
    try:
        responses.replace_anonymous(response, form.to_submission(locale))
    except responses.StaleEditError:
        db.session.rollback()
        return _render_form(form, place.form, locale, response=response, notice="replace",
                            status=409)
    commit_keeping_loaded()
    return redirect(place.thanks, 303)


def _thanks_page(survey: Survey, token: str, locale: str, place: _FormPlace):
    """Thanks, and per category: a promoter's review and referral links, a passive's "what
    would make it a 10?" (POSTed here), a detractor's "someone will be in touch"."""
    response = responses.find_response(token)
    if response is None:
        abort(404)
    can_edit = responses.can_edit(response)
    form = None
    if response.category == "passive" and response.improvement is None and can_edit:
        meta = {"csrf_class": LinkBoundCSRF, "csrf_context": place.csrf} if place.csrf else {}
        form = ImprovementForm(meta=meta)
        if form.validate_on_submit():
            return _store_improvement(response, form, place)
    elif request.method == "POST":
        abort(409)
    offer = referrals.promoter_offer(response, locale)
    if offer.code:
        db.session.commit()  # the referral code, created on first view
    deadline = responses.edit_deadline(response) if can_edit else None
    status = 422 if form is not None and form.is_submitted() else 200
    return render_template("respond/thanks.html", survey=survey, response=response,
                           deadline=deadline, edit_url=place.form, offer=offer,
                           improvement_form=form, action=place.thanks), status


def _store_improvement(response: Response, form: ImprovementForm, place: _FormPlace):
    try:
        responses.add_improvement(response, form.improvement.data)
    except (responses.AlreadyAnsweredError, responses.InvalidSubmissionError):
        db.session.rollback()
        abort(409)
    db.session.commit()
    return redirect(place.thanks, 303)


def _render_form(form, action: str, locale: str, *, response: Response | None = None,
                 notice: str | None = None, status: int = 200):
    deadline = responses.edit_deadline(response) if response else None
    return render_template("respond/form.html", form=form, survey=form.survey, action=action,
                           locale=locale, field_name=field_name, deadline=deadline,
                           notice=notice), status


def _preselected_score(survey: Survey) -> int | None:
    """``?score=N`` from an e-mail button, if it is a valid score (otherwise ignored)."""
    raw = request.args.get("score", "")
    if raw.isascii() and raw.isdigit() and int(raw) in survey.score_range:
        return int(raw)
    return None


class _FormValues:
    """A response seen as form values, to pre-fill the edit form."""

    def __init__(self, response: Response) -> None:
        self.score = response.score
        self.comment = response.comment
        self.contact = response.is_contact_requested
        for answer in response.answers:
            value = answer.value_text if answer.value_int is None else answer.value_int
            setattr(self, field_name(answer.question), value)
