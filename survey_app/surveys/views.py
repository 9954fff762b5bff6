"""Staff survey pages: the list with live scores, the editor, preview, activate and close."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from survey_app.accounts.access import (
    STAFF,
    can_manage_survey,
    get_visible_survey_or_404,
    manageable_audiences,
    role_required,
    visible_surveys,
)
from survey_app.accounts.models import User
from survey_app.audit import services as audit
from survey_app.core.db import db
from survey_app.core.forms import BaseForm
from survey_app.core.i18n import supported, use_locale
from survey_app.dashboards.overview import surveys_with_scores
from survey_app.referrals import settings as promoter_settings
from survey_app.referrals.forms import PromoterSettingsForm, settings_data
from survey_app.surveys import services
from survey_app.surveys.forms import RetentionForm, SurveyForm, form_data
from survey_app.surveys.models import MAX_EXTRA_QUESTIONS, Survey, SurveyStatus

bp = Blueprint("surveys", __name__)

#: Roles that may create and edit surveys (HR only employee ones: see ``access``).
MANAGERS = ("admin", "hr")


def _me() -> User:
    return current_user._get_current_object()


def _managed_survey_or_404(survey_id: int) -> Survey:
    survey = get_visible_survey_or_404(survey_id)
    if not can_manage_survey(_me(), survey):
        abort(404)
    return survey


def survey_url(survey: Survey) -> str:
    """The survey's dashboard when that page exists, else its editor (if allowed)."""
    if "dashboards.survey" in current_app.view_functions:
        return url_for("dashboards.survey", survey_id=survey.id)
    if can_manage_survey(_me(), survey):
        return url_for("surveys.edit", survey_id=survey.id)
    return ""


@bp.get("/surveys")
@role_required(*STAFF)
def index():
    rows = surveys_with_scores(visible_surveys(_me()))
    return render_template("surveys/index.html", rows=rows, survey_url=survey_url,
                           can_create=bool(manageable_audiences(_me())),
                           can_manage=lambda s: can_manage_survey(_me(), s))


@bp.route("/surveys/new", methods=["GET", "POST"])
@role_required(*MANAGERS)
def create():
    form = SurveyForm()
    form.set_kinds(manageable_audiences(_me()))
    if request.method == "GET":
        _defaults(form)
    if _wants_another_question(form) or not form.validate_on_submit():
        return _editor(form, None, 422 if _failed(form) else 200)
    try:
        survey = services.create_survey_from_spec(form.to_spec())
    except services.SurveyEditError as error:
        return _editor(_field_error(form, error), None, 422)
    audit.record(_me(), "survey.create", survey, kind=survey.kind, title=survey.title)
    db.session.commit()
    flash(_("Survey created as a draft. Preview it, then activate it."))
    return redirect(url_for(".edit", survey_id=survey.id), 303)


@bp.route("/surveys/<int:survey_id>/edit", methods=["GET", "POST"])
@role_required(*MANAGERS)
def edit(survey_id: int):
    survey = _managed_survey_or_404(survey_id)
    # A POST is read from the request alone: a field the browser left out stays empty.
    form = SurveyForm() if request.method == "POST" else SurveyForm(data=form_data(survey))
    form.set_kinds(manageable_audiences(_me()))
    if _wants_another_question(form) or not form.validate_on_submit():
        return _editor(form, survey, 422 if _failed(form) else 200)
    try:
        changed = services.update_survey(survey, form.to_spec())
    except services.SurveyEditError as error:
        db.session.rollback()
        return _editor(_field_error(form, error), db.session.get(Survey, survey_id), 422)
    if changed:
        audit.record(_me(), "survey.edit", survey, changed=changed)
    db.session.commit()
    flash(_("Survey saved.") if changed else _("Nothing to save: no changes."))
    return redirect(url_for(".edit", survey_id=survey.id), 303)


def _defaults(form: SurveyForm) -> None:
    config = current_app.config
    form.kind.data = form.kind.choices[0].value
    form.anonymity.data = "anonymous" if form.kind.data in ("enps", "pulse") else "identified"
    form.default_locale.data = supported(_me().locale) or "en"
    form.min_group_size.data = config["MIN_GROUP_SIZE"]
    form.link_lifetime_days.data = config["LINK_LIFETIME_DAYS"]
    form.edit_window_hours.data = config["EDIT_WINDOW_HOURS"]


def _wants_another_question(form: SurveyForm) -> bool:
    """The "add a question" button: one more empty slot, nothing saved (works without JS)."""
    if request.method != "POST" or "add_question" not in request.form:
        return False
    if len(form.questions) < MAX_EXTRA_QUESTIONS:
        form.questions.append_entry()
    return True


def _failed(form: SurveyForm) -> bool:
    return form.is_submitted() and "add_question" not in request.form


def _field_error(form: BaseForm,
                 error: services.SurveyEditError | promoter_settings.PromoterSettingsError
                 ) -> BaseForm:
    """Show a service's refusal on its field (``error.field``), else above the form."""
    field = form._fields.get(error.field) if error.field else None
    if field is not None:
        field.errors = [*(field.errors or []), str(error)]
    else:
        form.form_errors.append(str(error))
    return form


def _editor(form: SurveyForm, survey: Survey | None, status: int,
            retention_form: RetentionForm | None = None,
            promoter_form: PromoterSettingsForm | None = None):
    has_responses = bool(survey and services.response_count(survey))
    question_errors = [e for e in form.questions.errors if not isinstance(e, list | dict)]
    if survey and retention_form is None:
        retention_form = RetentionForm(formdata=None, retention_days=survey.retention_days)
    if survey and survey.audience == "customers" and promoter_form is None:
        promoter_form = PromoterSettingsForm(
            formdata=None, data=settings_data(promoter_settings.settings_for(survey)))
    return render_template("surveys/edit.html", form=form, survey=survey,
                           has_responses=has_responses, question_errors=question_errors,
                           max_questions=MAX_EXTRA_QUESTIONS + 1,
                           retention_form=retention_form, promoter_form=promoter_form), status


@bp.get("/surveys/<int:survey_id>/preview")
@role_required(*MANAGERS)
def preview(survey_id: int):
    """Exactly the respondent page (same form and template), read-only."""
    from survey_app.respond.forms import build_form, field_name

    survey = _managed_survey_or_404(survey_id)
    locale = use_locale(request.args.get("lang"), survey.default_locale)
    form = build_form(survey, formdata=None, meta={"csrf": False})
    return render_template("respond/form.html", form=form, survey=survey, action="",
                           locale=locale, field_name=field_name, deadline=None, preview=True,
                           back_url=url_for(".edit", survey_id=survey.id))


@bp.post("/surveys/<int:survey_id>/activate")
@role_required(*MANAGERS)
def activate(survey_id: int):
    return _set_status(survey_id, SurveyStatus.ACTIVE)


@bp.post("/surveys/<int:survey_id>/close")
@role_required(*MANAGERS)
def close(survey_id: int):
    return _set_status(survey_id, SurveyStatus.CLOSED)


def _set_status(survey_id: int, status: str):
    survey = _managed_survey_or_404(survey_id)
    if survey.status != status:
        if status == SurveyStatus.ACTIVE:
            services.activate_survey(survey)
            audit.record(_me(), "survey.activate", survey)
        else:
            services.close_survey(survey)
            audit.record(_me(), "survey.close", survey)
        db.session.commit()
    flash(_("The survey is active: its links and public page accept answers.")
          if status == SurveyStatus.ACTIVE else
          _("The survey is closed: its links and public page no longer accept answers."))
    return redirect(request.form.get("back") == "list" and url_for(".index")
                    or url_for(".edit", survey_id=survey.id), 303)


@bp.post("/surveys/<int:survey_id>/retention")
@role_required(*MANAGERS)
def retention(survey_id: int):
    """The retention period (docs/surveys.md); its own form, so an edit in progress is kept."""
    survey = _managed_survey_or_404(survey_id)
    form = RetentionForm()
    if not form.validate_on_submit():
        return _editor(SurveyForm(data=form_data(survey)), survey, 422, retention_form=form)
    old = survey.retention_days
    services.set_retention(survey, form.days)
    audit.record(_me(), "survey.retention", survey, old=old, new=survey.retention_days)
    db.session.commit()
    flash(_("Retention saved."))
    return redirect(url_for(".edit", survey_id=survey.id), 303)


@bp.post("/surveys/<int:survey_id>/promoters")
@role_required(*MANAGERS)
def promoters(survey_id: int):
    """A customer survey's promoter loop (docs/referrals.md); its own form, like retention."""
    survey = _managed_survey_or_404(survey_id)
    if survey.audience != "customers":
        abort(404)
    form = PromoterSettingsForm()
    if not form.validate_on_submit():
        return _editor(SurveyForm(data=form_data(survey)), survey, 422, promoter_form=form)
    try:
        changed = promoter_settings.save_settings(survey, form.to_spec())
    except promoter_settings.PromoterSettingsError as error:
        db.session.rollback()
        _field_error(form, error)
        survey = db.session.get(Survey, survey_id)
        return _editor(SurveyForm(data=form_data(survey)), survey, 422, promoter_form=form)
    if changed:
        audit.record(_me(), "survey.promoters", survey, review_links=len(form.to_spec().links),
                     email=bool(form.is_email_enabled.data))
    db.session.commit()
    flash(_("Promoter settings saved.") if changed else _("Nothing to save: no changes."))
    return redirect(url_for(".edit", survey_id=survey.id) + "#promoters", 303)
