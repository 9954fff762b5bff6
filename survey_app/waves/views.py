"""Staff pages: send a wave (with a preview), repeat it, delivery settings, wave summary."""

from __future__ import annotations

from datetime import UTC, datetime, time

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from survey_app.accounts.access import (
    STAFF,
    can_manage_survey,
    get_visible_survey_or_404,
    role_required,
)
from survey_app.audit.services import record
from survey_app.core.db import db, utcnow
from survey_app.core.errors import DomainError
from survey_app.core.inputs import page_arg
from survey_app.dashboards.anonymity import Policy
from survey_app.responses.models import Response
from survey_app.responses.review import confirm_human, discard
from survey_app.surveys.models import Survey, Wave
from survey_app.waves import queries, services, tasks
from survey_app.waves.audience import Audience, kind_for, preview
from survey_app.waves.forms import DeliverySettingsForm, RepeatForm, SendForm

bp = Blueprint("waves", __name__)
bp.add_app_template_filter(services.round_name, "round_name")


def get_manageable_survey_or_404(survey_id: int) -> Survey:
    survey = get_visible_survey_or_404(survey_id)
    if not can_manage_survey(current_user, survey):
        abort(404)
    return survey


@bp.route("/surveys/<int:survey_id>/send", methods=["GET", "POST"])
@role_required("admin", "hr")
def send(survey_id: int):
    """GET: the form. POST ``action=preview``: counts. POST ``action=send``: the wave."""
    survey = get_manageable_survey_or_404(survey_id)
    form = SendForm()
    if not form.validate_on_submit():
        return _send_page(survey, form, status=422 if form.is_submitted() else 200)
    audience = Audience(kind_for(survey), form.parsed_where)
    counts = preview(survey, audience, utcnow())
    if request.form.get("action") != "send":
        return _send_page(survey, form, counts=counts)
    if counts.invited == 0:
        form.where.errors = [_("Nobody would be invited: change the conditions.")]
        return _send_page(survey, form, counts=counts, status=422)
    try:
        wave = services.send_wave(survey, audience, label=form.label.data or None)
    except DomainError as error:
        db.session.rollback()
        form.where.errors = [str(error)]
        return _send_page(survey, form, counts=counts, status=422)
    wave_id = wave.id
    record(current_user, "wave.sent", wave, survey_id=survey.id, audience=audience.describe())
    db.session.commit()
    tasks.deliver_wave(wave_id)
    flash(_("The wave is on its way: %(n)s invitations.", n=counts.invited))
    return redirect(url_for(".summary", wave_id=wave_id), 303)


def _send_page(survey: Survey, form: SendForm, *, counts=None, status: int = 200):  # type: ignore[no-untyped-def]
    repeat = RepeatForm(formdata=None, cadence=survey.cadence or "",
                        where="\n".join(f"{k}={v}" for k, vs in (
                            (survey.cadence_audience or {}).get("where") or {}).items()
                                        for v in vs))
    settings = DeliverySettingsForm(formdata=None, obj=survey,
                                    reminder_count=str(survey.reminder_count))
    return _page(survey, form, repeat, settings, counts=counts, status=status)


def _page(survey, form, repeat, settings, *, counts=None, status=200):  # type: ignore[no-untyped-def]
    waves = db.session.scalars(select(Wave).where(Wave.survey_id == survey.id)
                               .order_by(Wave.started_dt.desc()).limit(20)).all()
    policy = Policy.for_survey(survey)
    return render_template("waves/send.html", survey=survey, form=form, repeat=repeat,
                           settings=settings, counts=counts, kind=kind_for(survey),
                           waves=[(w, queries.wave_summary(w).masked(policy)) for w in waves]
                           ), status


@bp.post("/surveys/<int:survey_id>/repeat")
@role_required("admin", "hr")
def repeat(survey_id: int):
    survey = get_manageable_survey_or_404(survey_id)
    form = RepeatForm()
    if not form.validate_on_submit():
        settings = DeliverySettingsForm(formdata=None, obj=survey,
                                        reminder_count=str(survey.reminder_count))
        return _page(survey, SendForm(formdata=None), form, settings, status=422)
    first = (datetime.combine(form.first_round.data, time(9), tzinfo=UTC)
             if form.first_round.data else None)
    services.set_cadence(survey, form.cadence.data or None,
                         Audience(kind_for(survey), form.parsed_where), first_round_dt=first)
    record(current_user, "survey.cadence_set", survey, cadence=form.cadence.data or "off")
    db.session.commit()
    flash(_("Saved.") if form.cadence.data else _("The survey no longer repeats."))
    return redirect(url_for(".send", survey_id=survey.id), 303)


@bp.post("/surveys/<int:survey_id>/delivery")
@role_required("admin", "hr")
def delivery_settings(survey_id: int):
    survey = get_manageable_survey_or_404(survey_id)
    form = DeliverySettingsForm()
    if not form.validate_on_submit():
        return _page(survey, SendForm(formdata=None), RepeatForm(formdata=None), form,
                     status=422)
    survey.throttle_days = form.throttle_days.data
    survey.reminder_count = int(form.reminder_count.data)
    survey.reminder_after_days = form.reminder_after_days.data
    record(current_user, "survey.delivery_settings", survey, throttle_days=survey.throttle_days,
           reminder_count=survey.reminder_count, reminder_after_days=survey.reminder_after_days)
    db.session.commit()
    flash(_("Saved."))
    return redirect(url_for(".send", survey_id=survey.id), 303)


@bp.get("/waves/<int:wave_id>")
@role_required(*STAFF)
def summary(wave_id: int):
    wave = db.session.get(Wave, wave_id) or abort(404)
    survey = get_visible_survey_or_404(wave.survey_id)
    status = request.args.get("status") or None
    if status not in (None, "queued", "sent", "opened", "responded", "failed", "bounced"):
        status = None
    page = page_arg(request.args)
    # Who opened or answered an anonymous survey is not shown: delivery only.
    rows, total = queries.invitation_rows(wave, status=status, page=page,
                                          delivery_only=survey.is_anonymous)
    suspected = db.session.scalars(
        select(Response).where(Response.wave_id == wave.id, Response.is_suspected_automated)
        .order_by(Response.id).limit(50)).all()
    return render_template("waves/summary.html", wave=wave, survey=survey,
                           summary=queries.wave_summary(wave).masked(Policy.for_survey(survey)),
                           rows=rows, total=total,
                           page=page, page_size=queries.PAGE_SIZE, status=status,
                           suspected=suspected,
                           can_manage=can_manage_survey(current_user, survey))


@bp.post("/waves/<int:wave_id>/responses/<int:response_id>/<any(confirm, discard):decision>")
@role_required("admin", "hr")
def review(wave_id: int, response_id: int, decision: str):
    """A person decides on a response of the wave flagged "suspected automated"."""
    response = db.session.get(Response, response_id)
    if response is None or response.wave_id != wave_id:
        abort(404)
    return _decide(response, decision, url_for(".summary", wave_id=wave_id))


@bp.get("/surveys/<int:survey_id>/suspected")
@role_required(*STAFF)
def suspected(survey_id: int):
    """Every response of the survey flagged "suspected automated" (public links have no wave)."""
    survey = get_visible_survey_or_404(survey_id)
    flagged = db.session.scalars(
        select(Response).where(Response.survey_id == survey.id, Response.is_suspected_automated)
        .order_by(Response.id).limit(100)).all()
    return render_template("waves/suspected.html", survey=survey, suspected=flagged,
                           can_manage=can_manage_survey(current_user, survey))


@bp.post("/surveys/<int:survey_id>/responses/<int:response_id>/<any(confirm, discard):decision>")
@role_required("admin", "hr")
def review_in_survey(survey_id: int, response_id: int, decision: str):
    """A person decides on a response of the survey flagged "suspected automated"."""
    response = db.session.get(Response, response_id)
    if response is None or response.survey_id != survey_id:
        abort(404)
    return _decide(response, decision, url_for(".suspected", survey_id=survey_id))


def _decide(response: Response, decision: str, back: str):
    """Count or discard a suspected response, audited; then back to the page it was on."""
    if not response.is_suspected_automated:
        abort(404)
    survey = get_manageable_survey_or_404(response.survey_id)
    response_id = response.id
    if decision == "confirm":
        confirm_human(response)
    else:
        discard(response)
    record(current_user, f"response.automated_{decision}", ("response", response_id),
           survey_id=survey.id)
    db.session.commit()
    flash(_("Counted.") if decision == "confirm" else _("Discarded."))
    return redirect(back, 303)
