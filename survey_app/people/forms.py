"""People pages: import, filter, edit, erase."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, SelectField, StringField, TextAreaField, ValidationError
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from survey_app.core.forms import BaseForm
from survey_app.people.services import InvalidPersonError, clean_attributes


def kind_choices() -> list[SelectChoice]:
    return [SelectChoice("customer", _l("Customer")), SelectChoice("employee", _l("Employee"))]


LOCALE_CHOICES = [SelectChoice("en", "English"), SelectChoice("it", "Italiano")]


def parse_attribute_lines(text: str) -> dict[str, str]:
    """``team=Support`` lines as a dict; :raises ValueError: a line without ``=``."""
    attributes: dict[str, str] = {}
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        name, sep, value = line.partition("=")
        if not sep or not name.strip():
            raise ValueError(_l("Line %(n)s: write name=value, e.g. team=Support.", n=number))
        attributes[name.strip()] = value.strip()
    return attributes


class ImportForm(BaseForm):
    file = FileField(_l("CSV file"), validators=[FileRequired(_l("Choose a CSV file."))])


class PersonForm(BaseForm):
    name = StringField(_l("Name"), validators=[Optional(), Length(max=200)])
    kind = SelectField(_l("Kind"), choices=kind_choices)
    locale = SelectField(_l("Language"), choices=LOCALE_CHOICES)
    attributes = TextAreaField(_l("Segment attributes"), validators=[Length(max=10_000)])
    unsubscribe = BooleanField(_l("Unsubscribe from all surveys (at their request)"))
    clear_bounce = BooleanField(_l("The address works again: clear the bounce"))

    def validate_attributes(self, field: TextAreaField) -> None:
        try:
            self.parsed_attributes = clean_attributes(parse_attribute_lines(field.data))
        except (ValueError, InvalidPersonError) as error:
            raise ValidationError(str(error)) from None


class EraseForm(BaseForm):
    confirm = BooleanField(_l("I understand: this person's identity, invitations and comments "
                              "are deleted for good; only anonymous scores remain."),
                           validators=[DataRequired(_l("Tick the box to confirm."))])


class FilterForm(BaseForm):
    """The list's GET filters (no CSRF: they change nothing)."""

    class Meta:
        csrf = False

    q = StringField(_l("Name or e-mail contains"), validators=[Optional(), Length(max=254)])
    kind = SelectField(_l("Kind"), choices=lambda: [SelectChoice("", _l("All")),
                                                     *kind_choices()])
    status = SelectField(_l("Status"), choices=lambda: [
        SelectChoice("", _l("All")), SelectChoice("active", _l("Receives e-mails")),
        SelectChoice("unsubscribed", _l("Unsubscribed")),
        SelectChoice("bounced", _l("Bounced"))])
    where = StringField(_l("Attribute"), validators=[Optional(), Length(max=265)],
                        description=_l("e.g. team=Support"))
    light = SelectField(_l("Health"), choices=lambda: [
        SelectChoice("", _l("All")), SelectChoice("red", _l("Red")),
        SelectChoice("yellow", _l("Yellow")), SelectChoice("green", _l("Green"))])


class OpenCasesForm(BaseForm):
    """The one-step button: red customers without an open case get one (CSRF only)."""
