"""Send-a-wave, recurring rounds and delivery settings forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    ValidationError,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from survey_app.core.forms import BaseForm
from survey_app.waves.audience import InvalidAudienceError, parse_where


class AudienceMixin:
    where = TextAreaField(_l("Only people with these attributes"),
                          validators=[Length(max=5000)],
                          description=_l("One condition per line, e.g. team=Support. The same "
                                         "name twice means either value; different names must "
                                         "all match. Empty: everybody."))

    def validate_where(self, field: TextAreaField) -> None:
        try:
            self.parsed_where = parse_where((field.data or "").splitlines())
        except InvalidAudienceError as error:
            raise ValidationError(str(error)) from None


class SendForm(AudienceMixin, BaseForm):
    label = StringField(_l("Name of the wave"), validators=[Optional(), Length(max=100)],
                        description=_l("Optional, e.g. “Spring 2026”; default: date and time."))


def cadence_choices() -> list[SelectChoice]:
    return [SelectChoice("", _l("Does not repeat")), SelectChoice("weekly", _l("Every week")),
            SelectChoice("monthly", _l("Every month")),
            SelectChoice("quarterly", _l("Every quarter"))]


class RepeatForm(AudienceMixin, BaseForm):
    cadence = SelectField(_l("Repeat"), choices=cadence_choices)
    first_round = DateField(_l("First round on"), validators=[Optional()],
                            description=_l("Default: today. Rounds start at 09:00 UTC."))


class DeliverySettingsForm(BaseForm):
    throttle_days = IntegerField(
        _l("Do not ask anyone asked in the last … days"),
        validators=[InputRequired(), NumberRange(min=0, max=365)],
        description=_l("Counts invitations of every survey. 0: no limit."))
    reminder_count = SelectField(_l("Reminders to people who have not answered"), choices=[
        SelectChoice("0", _l("None")), SelectChoice("1", "1"), SelectChoice("2", "2")])
    reminder_after_days = IntegerField(_l("Days between e-mails"),
                                       validators=[InputRequired(), NumberRange(min=1, max=60)])
