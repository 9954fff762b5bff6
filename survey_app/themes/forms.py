"""Forms of the survey themes page: a term for a theme, a theme of the survey's own."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from survey_app.core.forms import BaseForm
from survey_app.themes.models import TERM_MAX_LENGTH


def language_choices() -> list[SelectChoice]:
    return [SelectChoice("en", _l("English")), SelectChoice("it", _l("Italian"))]


class TermForm(BaseForm):
    """A word or phrase to add to a theme; the view sets the theme choices."""

    theme = SelectField(_l("Theme"), validators=[DataRequired()])
    lang = SelectField(_l("Language of the comments"), choices=language_choices, default="en")
    term = StringField(_l("Word or phrase"), validators=[DataRequired(),
                                                         Length(max=TERM_MAX_LENGTH)],
                       description=_l("Up to 4 words; end a word with * for every word it "
                                      "begins, e.g. rimbors* or late deliver*."))


class ThemeForm(BaseForm):
    """A theme of the survey's own."""

    label = StringField(_l("Name of the new theme"), validators=[DataRequired(),
                                                                 Length(max=80)])


class RemoveForm(BaseForm):
    """A remove button: nothing but the CSRF token."""
