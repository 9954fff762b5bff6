"""The retention page and the activity upload (admin, support): customers only."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request
from flask_babel import format_currency, format_decimal
from flask_babel import gettext as _
from flask_login import current_user

from survey_app.accounts.access import role_required
from survey_app.audit.services import record
from survey_app.core.db import db
from survey_app.people.importer import ImportFileError, decode
from survey_app.retention import charts, services
from survey_app.retention.forms import ActivityImportForm, ReportForm, default_end, default_start
from survey_app.retention.importer import import_activity

bp = Blueprint("retention", __name__, url_prefix="/retention")

#: Refused rows listed on the result page (all are counted).
SHOWN_ERRORS = 500


@bp.context_processor
def formatters() -> dict[str, object]:
    """``number(v, "0.0")`` and ``money(v)`` in the page's language; "—" for no figure."""

    def number(value: float | int | None, pattern: str = "#,##0.#") -> str:
        return "—" if value is None else format_decimal(value, pattern)

    def money(value: float | None) -> str:
        if value is None:
            return "—"
        return format_currency(value, current_app.config["RETENTION_CURRENCY"])

    return {"number": number, "money": money}


def category_names() -> dict[str | None, str]:
    return {"promoter": _("Promoters"), "passive": _("Passives"), "detractor": _("Detractors"),
            None: _("No answer yet")}


@bp.get("")
@role_required("admin", "support")
def index():
    form = ReportForm(request.args)
    if not form.validate():
        return render_template("retention/report.html", form=form, report=None), 400
    scope = services.scope(form.start.data or default_start(), form.end.data or default_end(),
                           form.parsed_segment)
    report = services.report(scope)
    categories = [(key, report.by_category[key]) for key in ("promoter", "passive", "detractor")]
    names = category_names()
    churn = charts.interval_chart([
        (names[key], f"bar-{key}", figures.churn_rate, figures.churn_low, figures.churn_high)
        for key, figures in categories if figures.start])
    return render_template("retention/report.html", form=form, report=report,
                           categories=categories, churn_chart=churn, names=names,
                           active_chart=charts.active_chart(report.months),
                           currency=scope.currency, active_days=scope.active_days)


@bp.route("/activity", methods=["GET", "POST"])
@role_required("admin", "support")
def import_activity_():
    request.max_content_length = current_app.config["ACTIVITY_IMPORT_MAX_BYTES"]
    form = ActivityImportForm()
    if not form.validate_on_submit():
        return _import_page(form, status=422 if form.is_submitted() else 200)
    try:
        text = decode(form.file.data.read())
        result = import_activity(text.splitlines(keepends=True),
                                 on_batch=lambda _rows: db.session.commit())
    except ImportFileError as error:
        db.session.rollback()
        form.file.errors = [str(error)]
        return _import_page(form, status=422)
    record(current_user, "activity.imported", None, rows=result.rows, created=result.created,
           unchanged=result.unchanged, refused=len(result.errors))
    db.session.commit()
    return _import_page(ActivityImportForm(formdata=None), result=result)


def _import_page(form: ActivityImportForm, *, result=None, status: int = 200):  # type: ignore[no-untyped-def]
    return render_template("retention/import.html", form=form, result=result,
                           shown_errors=SHOWN_ERRORS,
                           max_mb=current_app.config["ACTIVITY_IMPORT_MAX_BYTES"] // 2**20
                           ), status
