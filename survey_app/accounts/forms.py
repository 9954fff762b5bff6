"""Sign-in, password and user-management forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional

from survey_app.accounts.models import Role
from survey_app.accounts.services import PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH
from survey_app.core.forms import BaseForm
from survey_app.core.i18n import time_zones


def role_choices() -> list[SelectChoice]:
    labels = {Role.ADMIN: _l("Admin — everything"),
              Role.HR: _l("HR — employee surveys"),
              Role.SUPPORT: _l("Support — customer surveys and follow-ups"),
              Role.VIEWER: _l("Viewer — read-only customer dashboards")}
    return [SelectChoice(role.value, labels[role]) for role in Role]


#: Preselected for a new account: a forgotten Role field must not hand out admin rights.
NEW_ACCOUNT_ROLE = Role.VIEWER.value

LANGUAGE_CHOICES = [SelectChoice("en", "English"), SelectChoice("it", "Italiano")]


def _new_password_validators() -> list:
    return [DataRequired(), Length(min=PASSWORD_MIN_LENGTH, max=PASSWORD_MAX_LENGTH)]


class LoginForm(BaseForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(),
                                                         Length(max=PASSWORD_MAX_LENGTH)])
    #: Where to go after signing in; checked by ``access.safe_next`` before use.
    next = HiddenField()


class PasswordForm(BaseForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired()])
    new = PasswordField(_l("New password"), validators=_new_password_validators())
    confirm = PasswordField(_l("New password again"), validators=[
        DataRequired(), EqualTo("new", message=_l("The two new passwords differ."))])


class LanguageForm(BaseForm):
    locale = SelectField(choices=LANGUAGE_CHOICES)
    next = HiddenField()


#: Offered first, before the other 600 or so names (our users' zones first).
COMMON_TIME_ZONES = ("Europe/Rome", "Europe/London", "Europe/Berlin", "Europe/Paris",
                     "Europe/Madrid", "UTC", "America/New_York", "America/Chicago",
                     "America/Los_Angeles", "Asia/Tokyo", "Australia/Sydney")


class TimezoneForm(BaseForm):
    """The signed-in user's time zone; the service checks the name."""

    timezone = SelectField(_l("Time zone"), validate_choice=False)

    def set_choices(self, default: str) -> None:
        known = time_zones()
        common, every = _l("Common"), _l("All time zones")
        self.timezone.choices = [
            SelectChoice("", _l("Same as the service (%(zone)s)", zone=default)),
            *(SelectChoice(name, name, optgroup=common) for name in COMMON_TIME_ZONES
              if name in known),
            *(SelectChoice(name, name, optgroup=every)
              for name in sorted(known - set(COMMON_TIME_ZONES)))]


class UserCreateForm(BaseForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(), Length(max=254)])
    name = StringField(_l("Name"), validators=[Optional(), Length(max=200)])
    role = SelectField(_l("Role"), choices=role_choices, default=NEW_ACCOUNT_ROLE)
    locale = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)
    password = PasswordField(_l("Password"), validators=_new_password_validators())
    confirm = PasswordField(_l("Password again"), validators=[
        DataRequired(), EqualTo("password", message=_l("The two passwords differ."))])


class UserRoleForm(BaseForm):
    role = SelectField(_l("Role"), choices=role_choices)


class UserActiveForm(BaseForm):
    is_active = BooleanField()


class UserPasswordForm(BaseForm):
    password = PasswordField(_l("New password"), validators=_new_password_validators())
    confirm = PasswordField(_l("New password again"), validators=[
        DataRequired(), EqualTo("password", message=_l("The two passwords differ."))])


class ForgotPasswordForm(BaseForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])


class InviteForm(BaseForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(), Length(max=254)])
    name = StringField(_l("Name"), validators=[Optional(), Length(max=200)])
    role = SelectField(_l("Role"), choices=role_choices, default=NEW_ACCOUNT_ROLE)
    locale = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)


class ApiTokenForm(BaseForm):
    """A new API token: what it is for and the role it acts as."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=64)])
    role = SelectField(_l("Role"), choices=role_choices, default=NEW_ACCOUNT_ROLE)
