"""Staff dashboard pages: a survey's results and its CSV export."""

from __future__ import annotations

from babel.numbers import get_decimal_symbol
from flask import Blueprint, Response, abort, render_template, request, stream_with_context
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from survey_app.accounts.access import (
    STAFF,
    can_export_survey,
    get_visible_survey_or_404,
    role_required,
)
from survey_app.audit.services import record
from survey_app.core.db import commit_keeping_loaded
from survey_app.dashboards import charts
from survey_app.dashboards.anonymity import GroupHiddenError, NarrowingRefusedError
from survey_app.dashboards.export import Spreadsheet, prepare_export
from survey_app.dashboards.filters import InvalidFilterError, parse_filters
from survey_app.dashboards.metrics import MIN_TEST_N
from survey_app.dashboards.overview import surveys_with_scores
from survey_app.dashboards.services import build_dashboard
from survey_app.referrals.metrics import survey_figures
from survey_app.surveys.models import Survey

bp = Blueprint("dashboards", __name__)


@bp.errorhandler(InvalidFilterError)
def _bad_filter(error: InvalidFilterError):
    return _problem(_("This filter is not valid"), str(error)), 400


@bp.errorhandler(NarrowingRefusedError)
@bp.errorhandler(GroupHiddenError)
def _refused(error: Exception):
    return _problem(_("Filter refused to protect anonymity"), str(error)), 422


def _problem(title: str, message: str) -> str:
    survey_id = (request.view_args or {}).get("survey_id")
    return render_template("dashboards/problem.html", title=title, message=message,
                           survey_id=survey_id)


@bp.get("/surveys/<int:survey_id>")
@role_required(*STAFF)
def survey(survey_id: int):
    survey = get_visible_survey_or_404(survey_id)
    filters = parse_filters(request.args, survey)
    # Respondents' e-mails go to those who may export them, not to read-only viewers.
    can_export = can_export_survey(current_user, survey)
    board = build_dashboard(survey, filters, show_identity=can_export)
    # Flagged answers are counted apart, as on the survey list: say so next to the counts.
    [listed] = surveys_with_scores(select(Survey).where(Survey.id == survey.id))
    figures = survey_figures(survey) if survey.audience == "customers" else None
    return render_template("dashboards/survey.html", board=board, charts=charts,
                           can_export=can_export, flagged=listed.flagged,
                           theme_names={t.key: t.label for t in board.theme_list},
                           promoter_figures=figures, min_test_n=MIN_TEST_N)


@bp.get("/surveys/<int:survey_id>/export.csv")
@role_required("admin", "hr", "support")
def export(survey_id: int):
    survey = get_visible_survey_or_404(survey_id)
    if not can_export_survey(current_user, survey):
        abort(404)
    filters = parse_filters(request.args, survey)
    prepared = prepare_export(survey, filters)
    record(current_user, "responses.export", survey, filters=filters.query_args())
    # The stream runs after this request's session is gone: what it reads (the survey, its
    # questions) must stay loaded, not expired by the commit.
    commit_keeping_loaded()
    spreadsheet = request.args.get("format") == "spreadsheet"
    locale = get_locale()
    sheet = Spreadsheet(str(locale), get_decimal_symbol(locale)) if spreadsheet else None
    filename = f"{survey.slug}-responses{'-spreadsheet' if sheet else ''}.csv"
    return Response(stream_with_context(prepared.lines(sheet)), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"',
                             "Cache-Control": "no-store"})
