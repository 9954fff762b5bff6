"""The survey themes page: the built-in themes, and the terms and themes admins add."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from survey_app.accounts.access import can_manage_survey, get_visible_survey_or_404, role_required
from survey_app.audit import services as audit
from survey_app.core.db import db
from survey_app.responses.tagging import retag_survey
from survey_app.surveys.models import Survey
from survey_app.themes import services
from survey_app.themes.forms import RemoveForm, TermForm, ThemeForm

bp = Blueprint("themes", __name__)

#: Roles that may change a survey's themes (HR only employee surveys: see ``access``).
MANAGERS = ("admin", "hr")


def _survey_or_404(survey_id: int) -> Survey:
    survey = get_visible_survey_or_404(survey_id)
    if not can_manage_survey(current_user, survey):
        abort(404)
    return survey


def _term_form(survey: Survey, **kwargs: object) -> TermForm:
    form = TermForm(**kwargs)
    form.theme.choices = [SelectChoice(t.key, t.label) for t in services.survey_themes(survey)]
    return form


def _page(survey: Survey, status: int = 200, *, term_form: TermForm | None = None,
          theme_form: ThemeForm | None = None):
    own = {t.key for t in services.survey_themes(survey)} - set(services.builtin_keys(survey))
    return render_template(
        "themes/survey.html", survey=survey, themes=services.survey_themes(survey), own=own,
        terms=services.list_terms(survey), labels=services.theme_labels(survey),
        term_form=term_form or _term_form(survey, formdata=None),
        theme_form=theme_form or ThemeForm(formdata=None), remove_form=RemoveForm(formdata=None),
    ), status


def _saved(survey: Survey, message: str):
    """Commit, re-tag the survey's stored answers in the background, back to the page."""
    db.session.commit()
    retag_survey(survey.id)  # after the commit: the job must find the new terms
    flash(message)
    return redirect(url_for(".survey", survey_id=survey.id), 303)


@bp.get("/surveys/<int:survey_id>/themes")
@role_required(*MANAGERS)
def survey(survey_id: int):
    return _page(_survey_or_404(survey_id))


@bp.post("/surveys/<int:survey_id>/themes/terms")
@role_required(*MANAGERS)
def add_term(survey_id: int):
    survey = _survey_or_404(survey_id)
    form = _term_form(survey)
    if not form.validate_on_submit():
        return _page(survey, 422, term_form=form)
    try:
        row = services.add_term(survey, form.theme.data, form.lang.data, form.term.data)
    except services.ThemeError as error:
        db.session.rollback()
        form.term.errors = [str(error)]
        return _page(survey, 422, term_form=form)
    audit.record(current_user, "themes.term_added", survey, theme=row.theme, lang=row.lang,
                 term=row.term)
    return _saved(survey, _("Term added. Stored answers are being tagged again."))


@bp.post("/surveys/<int:survey_id>/themes/terms/<int:term_id>/delete")
@role_required(*MANAGERS)
def remove_term(survey_id: int, term_id: int):
    survey = _survey_or_404(survey_id)
    if not RemoveForm().validate_on_submit():
        return _page(survey, 422)
    try:
        row = services.remove_term(survey, term_id)
    except services.ThemeError:
        abort(404)
    audit.record(current_user, "themes.term_removed", survey, theme=row.theme, lang=row.lang,
                 term=row.term)
    return _saved(survey, _("Term removed. Stored answers are being tagged again."))


@bp.post("/surveys/<int:survey_id>/themes")
@role_required(*MANAGERS)
def add_theme(survey_id: int):
    survey = _survey_or_404(survey_id)
    form = ThemeForm()
    if not form.validate_on_submit():
        return _page(survey, 422, theme_form=form)
    try:
        theme = services.add_theme(survey, form.label.data)
    except services.ThemeError as error:
        db.session.rollback()
        form.label.errors = [str(error)]
        return _page(survey, 422, theme_form=form)
    audit.record(current_user, "themes.theme_added", survey, theme=theme.key)
    db.session.commit()
    flash(_("Theme added. Give it words or phrases below."))
    return redirect(url_for(".survey", survey_id=survey.id), 303)


@bp.post("/surveys/<int:survey_id>/themes/<key>/delete")
@role_required(*MANAGERS)
def remove_theme(survey_id: int, key: str):
    survey = _survey_or_404(survey_id)
    if not RemoveForm().validate_on_submit():
        return _page(survey, 422)
    try:
        theme = services.remove_theme(survey, key)
    except services.ThemeError:
        abort(404)
    audit.record(current_user, "themes.theme_removed", survey, theme=theme.key)
    return _saved(survey, _("Theme removed."))
