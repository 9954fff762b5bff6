"""``/followups``: the queue, claim-next, the case page and its actions, e-mail settings."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_timedelta
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from survey_app.accounts.access import can_work_followups, followup_teams, role_required
from survey_app.accounts.models import User
from survey_app.audit import services as audit
from survey_app.core.db import db, utcnow
from survey_app.followups import emails, metrics, queries, services
from survey_app.followups.forms import (
    AssignForm,
    FilterForm,
    NoteForm,
    NotificationsForm,
    ReplyForm,
    StatusForm,
)
from survey_app.followups.models import CaseStatus, FollowUp
from survey_app.retention.health import health_of

bp = Blueprint("followups", __name__, url_prefix="/followups")

#: Roles that work a queue (each sees only its team's cases, admins both).
WORKERS = ("admin", "hr", "support")


def _me() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {"sla_state": sla_state, "status_label": services.status_label,
            "outcome_label": services.outcome_label}


def sla_state(case: FollowUp, now: datetime) -> tuple[str, str]:
    """(css state, text): time left, overdue, or how a finished case did against its SLA."""
    def span(delta: timedelta) -> str:
        return format_timedelta(delta, granularity="minute", threshold=1.1)

    if case.status == CaseStatus.CLOSED:
        return "closed", _("closed")
    if case.status == CaseStatus.RESOLVED:
        late = (case.ended_dt or now) - case.due_dt
        return ("met", _("resolved in time")) if late <= timedelta(0) else (
            "missed", _("resolved %(time)s late", time=span(late)))
    left = case.due_dt - now
    if left < timedelta(0):
        return "overdue", _("overdue by %(time)s", time=span(-left))
    soon = left <= timedelta(hours=current_app.config["SLA_WARNING_HOURS"])
    return ("soon" if soon else "ok"), _("%(time)s left", time=span(left))


# --- the queue ---------------------------------------------------------------------------------


@bp.get("")
@role_required(*WORKERS)
def index():
    me = _me()
    form = FilterForm(formdata=request.args)
    surveys = queries.queue_surveys(me)
    themes = queries.queue_themes(surveys)
    _filter_choices(form, me, surveys, themes)
    valid = form.validate()
    filters = _filters(form) if valid else queries.QueueFilters()
    now = utcnow()
    size = current_app.config["FOLLOWUPS_PER_PAGE"]
    cases, has_next = queries.queue_page(me, filters, now, size)
    return render_template(
        "followups/index.html", form=form, filters=filters, cases=cases, has_next=has_next,
        counts=queries.status_counts(me, filters, now), now=now, args=_args(form, valid),
        theme_names=themes,
        metrics=metrics.queue_metrics(followup_teams(me), now),
    ), 200 if valid else 400


def _filter_choices(form: FilterForm, me: User, surveys: list,
                    themes: dict[str, str]) -> None:
    form.assignee.choices = [SelectChoice("", _("Anyone")), SelectChoice("me", _("Me")),
                             SelectChoice("none", _("Unassigned"))] + [
        SelectChoice(str(u.id), u.display_name) for u in queries.agents(followup_teams(me))]
    form.survey.choices = [SelectChoice("", _("Any survey"))] + [
        SelectChoice(str(s.id), s.title) for s in surveys]
    form.theme.choices = [SelectChoice("", _("Any theme"))] + [
        SelectChoice(key, label) for key, label in themes.items()]


def _filters(form: FilterForm) -> queries.QueueFilters:
    assignee = form.assignee.data or None
    return queries.QueueFilters(
        status=form.status.data, priority=form.priority.data or None,
        assignee=int(assignee) if assignee and assignee.isdigit() else assignee,
        survey_id=int(form.survey.data) if form.survey.data else None,
        segment=form.segment_pair(), theme=form.theme.data or None,
        is_overdue=bool(form.overdue.data),
        page=form.page.data or 1)


def _args(form: FilterForm, valid: bool) -> dict[str, Any]:
    """The current filters as query arguments (for status tabs and the pager)."""
    if not valid:
        return {}
    args = {"status": form.status.data, "priority": form.priority.data,
            "assignee": form.assignee.data, "survey": form.survey.data,
            "segment": (form.segment.data or "").strip(), "theme": form.theme.data,
            "overdue": "y" if form.overdue.data else ""}
    return {k: v for k, v in args.items() if v}


@bp.post("/claim-next")
@role_required(*WORKERS)
def claim_next():
    case = services.claim_next(_me())
    if case is None:
        db.session.rollback()
        flash(_("No unassigned open case is waiting. Well done!"))
        return redirect(url_for(".index"), 303)
    db.session.commit()
    flash(_("Case #%(id)s is yours.", id=case.id))
    return redirect(url_for(".detail", case_id=case.id), 303)


@bp.get("/metrics")
@role_required(*WORKERS)
def metrics_page():
    teams, now = followup_teams(_me()), utcnow()
    return render_template("followups/metrics.html",
                           metrics=metrics.queue_metrics(teams, now),
                           months=metrics.recovered_detractors(teams, now, months=12))


# --- the case page -----------------------------------------------------------------------------


def _case_or_404(case_id: int) -> FollowUp:
    case = queries.load_case(case_id)
    if case is None or not can_work_followups(_me(), case.team):
        abort(404)
    return case


@bp.get("/<int:case_id>")
@role_required(*WORKERS)
def detail(case_id: int):
    return _detail_page(_case_or_404(case_id), 200)


def _detail_page(case: FollowUp, status: int, *, error: str | None = None,
                 forms: dict[str, Any] | None = None):
    me = _me()
    forms = forms or {}
    locale = services.reply_locale(case)
    if "reply" not in forms:
        draft = emails.reply_draft(case, me, locale)
        forms["reply"] = ReplyForm(formdata=None, subject=draft["subject"], message=draft["body"])
    forms.setdefault("note", NoteForm(formdata=None))
    forms.setdefault("status", StatusForm(formdata=None))
    if me.role == "admin":
        forms.setdefault("assign", _assign_form(case, formdata=None))
    events = queries.timeline(case)
    history, earlier = queries.history(case)
    return render_template(
        "followups/detail.html", case=case, response=case.response, now=utcnow(),
        error=error, forms=forms, events=events, history=history, earlier=earlier,
        notes=[e for e in events if e.kind == "note"], reply_locale=locale,
        themes=queries.case_themes(case),
        shows_history=queries.shows_history(case),
        health=health_of([case.person_id]).get(case.person_id) if case.person_id else None,
        transitions=services.allowed_transitions(case),
        users=queries.users_by_id({int(v) for e in events if e.kind == "assigned"
                                   for v in (e.old_value, e.new_value) if v}),
    ), status


def _assign_form(case: FollowUp, **kwargs: Any) -> AssignForm:
    form = AssignForm(assignee=str(case.assignee_id or ""), **kwargs)
    form.assignee.choices = [SelectChoice("", _("Nobody"))] + [
        SelectChoice(str(u.id), u.display_name) for u in queries.agents([case.team])]
    return form


def _refused(case_id: int, error: services.FollowUpError, forms: dict[str, Any]):
    """Roll back, show the case as it is now with the reason, keep what was typed; the field
    the reason is about is marked too."""
    db.session.rollback()
    for form in forms.values():
        if error.field is not None and error.field in form:
            form[error.field].errors = [*form[error.field].errors, str(error)]
    code = 409 if isinstance(error, services.CaseChangedError) else 422
    return _detail_page(_case_or_404(case_id), code, error=str(error), forms=forms)


def _done(case: FollowUp, message: str):
    db.session.commit()
    flash(message)
    return redirect(url_for(".detail", case_id=case.id), 303)


@bp.post("/<int:case_id>/claim")
@role_required(*WORKERS)
def claim(case_id: int):
    case = _case_or_404(case_id)
    try:
        services.claim(case, _me())
    except services.FollowUpError as error:
        return _refused(case_id, error, {})
    return _done(case, _("Case #%(id)s is yours.", id=case.id))


@bp.post("/<int:case_id>/assign")
@role_required("admin")
def assign(case_id: int):
    case = _case_or_404(case_id)
    form = _assign_form(case)
    if not form.validate_on_submit():
        return _detail_page(case, 422, forms={"assign": form})
    assignee = db.session.get(User, int(form.assignee.data)) if form.assignee.data else None
    try:
        services.assign(case, assignee, by=_me())
    except services.FollowUpError as error:
        return _refused(case_id, error, {"assign": form})
    return _done(case, _("Assigned to %(name)s.", name=assignee.display_name) if assignee
                 else _("The case is unassigned."))


@bp.post("/<int:case_id>/status")
@role_required(*WORKERS)
def change_status(case_id: int):
    case = _case_or_404(case_id)
    form = StatusForm()
    if not form.validate_on_submit():
        return _detail_page(case, 422, forms={"status": form})
    try:
        services.transition(case, form.to.data, by=_me(), outcome=form.outcome.data or None,
                            note=form.note.data)
    except services.FollowUpError as error:
        return _refused(case_id, error, {"status": form})
    return _done(case, _("The case is now %(status)s.",
                         status=services.status_label(case.status)))


@bp.post("/<int:case_id>/notes")
@role_required(*WORKERS)
def add_note(case_id: int):
    case = _case_or_404(case_id)
    form = NoteForm()
    if not form.validate_on_submit():
        return _detail_page(case, 422, forms={"note": form})
    try:
        services.add_note(case, form.text.data, by=_me())
    except services.FollowUpError as error:
        return _refused(case_id, error, {"note": form})
    return _done(case, _("Note added."))


@bp.post("/<int:case_id>/reply")
@role_required(*WORKERS)
def reply(case_id: int):
    case = _case_or_404(case_id)
    form = ReplyForm()
    if not form.validate_on_submit():
        return _detail_page(case, 422, forms={"reply": form})
    try:
        mail = services.reply(case, subject=form.subject.data, body=form.message.data, by=_me(),
                              wait=bool(form.wait.data))
    except services.FollowUpError as error:
        return _refused(case_id, error, {"reply": form})
    return _done(case, _("Your reply to %(email)s is on its way.", email=mail.to_address))


# --- my e-mail settings ------------------------------------------------------------------------


@bp.route("/notifications", methods=["GET", "POST"])
@role_required(*WORKERS)
def notifications():
    me = _me()
    form = NotificationsForm(obj=me)
    if not form.validate_on_submit():
        return render_template("followups/notifications.html", form=form), (
            422 if request.method == "POST" else 200)
    old = {"has_case_alerts": me.has_case_alerts, "has_daily_digest": me.has_daily_digest}
    me.has_case_alerts, me.has_daily_digest = bool(form.has_case_alerts.data), bool(
        form.has_daily_digest.data)
    audit.record(me, "user.notifications", me, old=old,
                 new={"has_case_alerts": me.has_case_alerts,
                      "has_daily_digest": me.has_daily_digest})
    db.session.commit()
    flash(_("Your e-mail settings are saved."))
    return redirect(url_for(".notifications"), 303)
