"""Sign in and out, my password and language, and the start page."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from survey_app.accounts import emails, links, services, throttle
from survey_app.accounts.access import STAFF, role_required, safe_next
from survey_app.accounts.forms import (
    ForgotPasswordForm,
    LanguageForm,
    LoginForm,
    PasswordForm,
    TimezoneForm,
    UserPasswordForm,
)
from survey_app.audit import services as audit
from survey_app.core.db import db
from survey_app.core.i18n import use_locale
from survey_app.extensions import limiter

bp = Blueprint("accounts", __name__)


def _login_limit() -> str:
    return current_app.config["RATELIMIT_LOGIN"]


def _login_pair_limit() -> str:
    return current_app.config["RATELIMIT_LOGIN_PAIR"]


def _login_pair_key() -> str:
    """Rate-limit key per client address and e-mail typed."""
    return f"login-pair:{request.remote_addr}:{throttle.login_email(request.form.get('email'))}"


#: Password-reset e-mails per e-mail typed: more requests get 429, whoever owns the e-mail.
RESET_PER_EMAIL = "3 per hour"


def _forgot_email_key() -> str:
    return f"forgot-email:{throttle.login_email(request.form.get('email'))}"


def _failed(response: Response) -> bool:
    """Only failed sign-ins count toward the limits (a success answers 303)."""
    return response.status_code != 303


@bp.app_context_processor
def _staff_helpers() -> dict:
    return {"has_endpoint": lambda name: name in current_app.view_functions,
            "here_without_lang": here_without_lang}


def here_without_lang() -> str:
    """This page's path and query minus ``lang=`` (the language switch's way back)."""
    args = [(k, v) for k, v in request.args.items(multi=True) if k != "lang"]
    if not args or request.method != "GET":
        return request.path
    return f"{request.path}?{urlencode(args)}"


def home_url() -> str:
    if "surveys.index" in current_app.view_functions:
        return url_for("surveys.index")
    return url_for("accounts.password")


@bp.get("/")
def home():
    if not current_user.is_authenticated:
        return redirect(url_for(".login"))
    return redirect(home_url())


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"], deduct_when=_failed)
@limiter.limit(_login_pair_limit, key_func=_login_pair_key, methods=["POST"],
               deduct_when=_failed)
def login():
    form = LoginForm(next=request.args.get("next", ""))
    locale = use_locale()
    if request.method == "GET" and current_user.is_authenticated:
        return redirect(safe_next(form.next.data) or home_url())
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return render_template("accounts/login.html", form=form, locale=locale), status
    user = services.authenticate(form.email.data, form.password.data)
    email = throttle.login_email(form.email.data)
    throttle.slow_down(email, request.remote_addr, succeeded=user is not None)
    if user is None:
        throttle.record_failure(email, request.remote_addr)
        audit.record(None, "login.failed", email=_typed_email(form.email.data))
        db.session.commit()
        return render_template("accounts/login.html", form=form, locale=locale,
                               failed=True), 422
    session.clear()  # no session fixation: nothing from before signing in survives
    login_user(user)
    audit.record(user, "login", user)
    db.session.commit()
    return redirect(safe_next(form.next.data) or home_url(), 303)


def _typed_email(raw: str) -> str:
    """What was typed as e-mail, only if it looks like one (not a password typed by mistake)."""
    raw = (raw or "").strip().lower()[:254]
    return raw if "@" in raw and not any(c.isspace() for c in raw) else "(not an e-mail)"


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        user = current_user._get_current_object()
        services.end_sessions(user)  # every session of this user ends, on every device
        audit.record(user, "logout", user)
        db.session.commit()
    logout_user()
    session.clear()
    flash(_("You are signed out."))
    return redirect(url_for(".login"), 303)


@bp.route("/account/password", methods=["GET", "POST"])
@role_required(*STAFF)
def password():
    form = PasswordForm()
    if not form.validate_on_submit():
        return _password_page(form, 422 if form.is_submitted() else 200)
    user = current_user._get_current_object()
    try:
        services.change_own_password(user, current=form.current.data, new=form.new.data)
    except services.AccountError as error:
        form.current.errors = [str(error)]
        return _password_page(form, 422)
    audit.record(user, "password.change", user)
    db.session.commit()
    session.clear()
    login_user(user)  # this session goes on with the new version; every other one ends
    flash(_("Your password has been changed. Other sessions have been signed out."))
    return redirect(url_for(".password"), 303)


def _password_page(form: PasswordForm, status: int):
    return render_template("accounts/password.html", form=form), status


@bp.route("/account/timezone", methods=["GET", "POST"])
@role_required(*STAFF)
def timezone():
    user = current_user._get_current_object()
    form = TimezoneForm(data={"timezone": user.timezone or ""})
    form.set_choices(current_app.config["TIMEZONE"])
    if not form.validate_on_submit():
        return _timezone_page(form, 422 if form.is_submitted() else 200)
    try:
        services.set_timezone(user, form.timezone.data)
    except services.AccountError as error:
        form.timezone.errors = [str(error)]
        return _timezone_page(form, 422)
    db.session.commit()
    flash(_("Times are now shown in %(zone)s.",
            zone=user.timezone or current_app.config["TIMEZONE"]))
    return redirect(url_for(".timezone"), 303)


def _timezone_page(form: TimezoneForm, status: int):
    return render_template("accounts/timezone.html", form=form), status


@bp.post("/account/language")
@role_required(*STAFF)
def language():
    form = LanguageForm()
    if form.validate_on_submit():
        services.set_locale(current_user._get_current_object(), form.locale.data)
        db.session.commit()
    return redirect(safe_next(form.next.data) or home_url(), 303)


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@limiter.limit(RESET_PER_EMAIL, key_func=_forgot_email_key, methods=["POST"])
def forgot_password():
    """Same answer whether the e-mail has an account or not; the e-mail goes out by a job."""
    form = ForgotPasswordForm()
    locale = use_locale()
    if not form.validate_on_submit():
        return render_template("accounts/forgot.html", form=form, locale=locale), (
            422 if form.is_submitted() else 200)
    user = services.reset_candidate(form.email.data)
    if user is not None:
        audit.record(None, "password.reset_requested", user)
        db.session.commit()
        emails.send_link(user.id, links.Purpose.RESET)
    flash(_("If %(email)s has a Polso account, a link to choose a new password is on its way "
            "there.", email=throttle.login_email(form.email.data)))
    return redirect(url_for(".login"), 303)


@bp.route("/password/set/<token>", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def set_password(token: str):
    """An invitation or reset link: GET shows the form (mail scanners open links), POST uses it."""
    try:
        user, purpose = links.user_for(token)
    except links.LinkInvalidError as error:
        return render_template("accounts/link_invalid.html", error=str(error),
                               locale=use_locale()), 410
    use_locale(user.locale)
    form = UserPasswordForm()
    if not form.validate_on_submit():
        return _set_password_page(form, user, purpose, 422 if form.is_submitted() else 200)
    try:
        services.set_password_by_link(user, form.password.data)
    except services.AccountError as error:
        form.password.errors = [str(error)]
        return _set_password_page(form, user, purpose, 422)
    audit.record(user, "invitation.accept" if purpose == links.Purpose.INVITATION
                 else "password.reset", user)
    db.session.commit()
    flash(_("Your password is set. Sign in with it now."))
    return redirect(url_for(".login"), 303)


def _set_password_page(form: UserPasswordForm, user, purpose: links.Purpose, status: int):
    return render_template("accounts/set_password.html", form=form, user=user,
                           is_invitation=purpose == links.Purpose.INVITATION), status
