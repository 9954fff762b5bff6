"""Forms of the follow-up queue: filters, status change, note, reply, assignment, settings."""

from __future__ import annotations

import re

from flask import current_app
from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField, ValidationError
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from survey_app.core.fields import StrictBooleanField, StrictIntegerField, StrictTextAreaField
from survey_app.core.forms import BaseForm
from survey_app.followups.models import CaseStatus, Priority
from survey_app.followups.queries import ALL, OPEN
from survey_app.followups.services import NOTE_MAX_LENGTH, REPLY_MAX_LENGTH, outcome_label

#: ``key=value``: an attribute name, then any value.
SEGMENT = re.compile(r"\s*([A-Za-z0-9_.\- ]{1,64}?)\s*=\s*(.{1,200}?)\s*")


def status_choices() -> list[SelectChoice]:
    return [SelectChoice(OPEN, _l("Open (new, in progress, waiting)")),
            SelectChoice(CaseStatus.NEW.value, _l("New")),
            SelectChoice(CaseStatus.IN_PROGRESS.value, _l("In progress")),
            SelectChoice(CaseStatus.WAITING.value, _l("Waiting for customer")),
            SelectChoice(CaseStatus.RESOLVED.value, _l("Resolved")),
            SelectChoice(CaseStatus.CLOSED.value, _l("Closed without action")),
            SelectChoice(ALL, _l("All"))]


def priority_choices() -> list[SelectChoice]:
    return [SelectChoice("", _l("Any priority")), SelectChoice(Priority.RED.value, _l("Red")),
            SelectChoice(Priority.YELLOW.value, _l("Yellow")),
            SelectChoice(Priority.GREEN.value, _l("Green"))]


def outcome_choices() -> list[SelectChoice]:
    return [SelectChoice("", _l("Choose an outcome…"))] + [
        SelectChoice(o, outcome_label(o)) for o in current_app.config["FOLLOWUP_OUTCOMES"]]


class FilterForm(BaseForm):
    """The queue's filters (a GET form: no CSRF token). Choices of assignee and survey are set
    by the view from what the user may see."""

    class Meta:
        csrf = False

    status = SelectField(_l("Status"), choices=status_choices, default=OPEN)
    priority = SelectField(_l("Priority"), choices=priority_choices, default="")
    assignee = SelectField(_l("Assignee"), default="")
    survey = SelectField(_l("Survey"), default="")
    segment = StringField(_l("Segment"), validators=[Optional(), Length(max=270)],
                          description=_l("attribute=value, e.g. plan=pro"))
    theme = SelectField(_l("Theme"), default="")
    overdue = StrictBooleanField(_l("Overdue only"))
    page = StrictIntegerField(default=1)

    def validate_segment(self, field: StringField) -> None:
        if field.data and not SEGMENT.fullmatch(field.data):
            raise ValidationError(_l("Write the segment as attribute=value, e.g. plan=pro."))

    def validate_page(self, field: StrictIntegerField) -> None:
        if field.data is not None and not 1 <= field.data <= 100_000:
            raise ValidationError(_l("There is no such page."))

    def segment_pair(self) -> tuple[str, str] | None:
        match = SEGMENT.fullmatch(self.segment.data or "")
        return (match.group(1), match.group(2)) if match else None


class StatusForm(BaseForm):
    to = SelectField(choices=[SelectChoice(s.value, s.value) for s in CaseStatus])
    outcome = SelectField(_l("Outcome"), choices=outcome_choices, default="")
    note = StrictTextAreaField(_l("Note"), validators=[Optional(), Length(max=NOTE_MAX_LENGTH)])


class NoteForm(BaseForm):
    text = StrictTextAreaField(_l("Internal note"), validators=[
        DataRequired(message=_l("Write the note first.")), Length(max=NOTE_MAX_LENGTH)])


class ReplyForm(BaseForm):
    subject = StringField(_l("Subject"), validators=[DataRequired(), Length(max=200)])
    message = StrictTextAreaField(_l("Message"), validators=[DataRequired(),
                                                          Length(max=REPLY_MAX_LENGTH)])
    wait = StrictBooleanField(_l("Then set the case to “waiting for customer”"), default=True)

    def validate_subject(self, field: StringField) -> None:
        if any(c in (field.data or "") for c in "\r\n\x00"):
            raise ValidationError(_l("The subject must fit on one line."))


class AssignForm(BaseForm):
    """Admins only; the choices (nobody + the team's agents) are set by the view."""

    assignee = SelectField(_l("Assign to"))


class NotificationsForm(BaseForm):
    has_case_alerts = StrictBooleanField(
        _l("E-mail me at once when a red case is opened, and when cases are about to miss "
           "their due time"))
    has_daily_digest = StrictBooleanField(
        _l("E-mail me a daily digest: new, overdue and resolved cases"))
