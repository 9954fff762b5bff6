"""The retention page's period and segment, and the activity upload."""

from __future__ import annotations

from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, StringField, ValidationError
from wtforms.validators import Length, Optional

from survey_app.core.db import utcnow
from survey_app.core.forms import BaseForm
from survey_app.retention.services import MAX_DAYS


def parse_segment(text: str) -> tuple[str, str] | None:
    """``plan=pro`` as ``("plan", "pro")``; ``""`` as ``None``.

    :raises ValueError: no ``=``, an empty or too long name, or a too long value.
    """
    text = text.strip()
    if not text:
        return None
    name, sep, value = text.partition("=")
    name, value = name.strip(), value.strip()
    if not sep or not name or len(name) > 64 or len(value) > 200:
        raise ValueError(_l("Write the segment as name=value, e.g. plan=pro."))
    return name, value


def default_end() -> date:
    return utcnow().date()


def default_start() -> date:
    """The first day of the month eleven months ago: a year of whole months up to today."""
    today = default_end()
    month = today.month - 11
    return date(today.year + (month - 1) // 12, (month - 1) % 12 + 1, 1)


class ReportForm(BaseForm):
    """The page's GET filters (no CSRF: they change nothing)."""

    class Meta:
        csrf = False

    #: The segment as ``(name, value)`` once validated; ``None``: every customer.
    parsed_segment: tuple[str, str] | None = None
    start = DateField(_l("From"), name="from", default=default_start, validators=[Optional()])
    end = DateField(_l("To"), name="to", default=default_end, validators=[Optional()])
    segment = StringField(_l("Segment"), validators=[Optional(), Length(max=265)],
                          description=_l("Customers with this attribute, e.g. plan=pro"))

    def validate_end(self, field: DateField) -> None:
        start, end = self.start.data or default_start(), field.data or default_end()
        if end < start:
            raise ValidationError(_l("The period ends before it starts."))
        if end - start > timedelta(days=MAX_DAYS):
            raise ValidationError(_l("The period may cover at most five years."))

    def validate_segment(self, field: StringField) -> None:
        try:
            self.parsed_segment = parse_segment(field.data or "")
        except ValueError as error:
            raise ValidationError(str(error)) from None


class ActivityImportForm(BaseForm):
    file = FileField(_l("CSV file"), validators=[FileRequired(_l("Choose a CSV file."))])
