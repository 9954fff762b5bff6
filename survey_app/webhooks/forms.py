"""The endpoint form of ``/settings/webhooks`` (the service checks URL, scope and surveys)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from survey_app.core.forms import BaseForm
from survey_app.webhooks.ssrf import MAX_URL_LENGTH


class CheckboxesField(SelectMultipleField):
    """A list of checkboxes instead of a multiple select (usable without JS, on phones)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def event_choices() -> list[SelectChoice]:
    labels = {
        "response.created": _l("An answer is received (response.created)"),
        "response.updated": _l("An answer is changed (response.updated)"),
        "followup.opened": _l("A case is opened (followup.opened)"),
        "followup.updated": _l("A case is claimed, assigned, noted, replied to or changes "
                               "status (followup.updated)"),
        "followup.resolved": _l("A case is resolved (followup.resolved)"),
        "person.unsubscribed": _l("Someone unsubscribes (person.unsubscribed)"),
        "invitation.bounced": _l("An invitation bounces (invitation.bounced)"),
    }
    return [SelectChoice(value, label) for value, label in labels.items()]


def rule_choices() -> list[SelectChoice]:
    return [SelectChoice("case.red", _l("New red case")),
            SelectChoice("response.detractor", _l("Any detractor (or dissatisfied) answer")),
            SelectChoice("survey.daily_summary", _l("Each survey's daily summary"))]


def kind_choices() -> list[SelectChoice]:
    return [SelectChoice("webhook", _l("Webhook (signed JSON)")),
            SelectChoice("slack", _l("Slack channel (incoming webhook)")),
            SelectChoice("teams", _l("Microsoft Teams channel (incoming webhook)"))]


def scope_choices(scopes: list[str]) -> list[SelectChoice]:
    labels = {"customers": _l("Customer surveys"), "employees": _l("Employee surveys")}
    return [SelectChoice(scope, labels[scope]) for scope in scopes]


class EndpointForm(BaseForm):
    """Create (kind and scope chosen once) or edit an endpoint."""

    kind = SelectField(_l("Kind"), choices=kind_choices)
    scope = SelectField(_l("Surveys it is about"))
    url = StringField(_l("URL"), validators=[
        DataRequired(), Length(max=MAX_URL_LENGTH, message=_l(
            "Give a URL of at most %(max)d characters."))])
    description = StringField(_l("Description"), validators=[Length(max=200)])
    events = CheckboxesField(_l("Events (webhooks)"), choices=event_choices)
    rules = CheckboxesField(_l("Alerts (Slack and Teams)"), choices=rule_choices)
    surveys = CheckboxesField(_l("Only these surveys (none ticked: all of them)"), coerce=int)
    locale = SelectField(_l("Language of the messages (Slack and Teams)"),
                         choices=[SelectChoice("en", "English"), SelectChoice("it", "Italiano")])
    is_active = BooleanField(_l("Active"), default=True)
    #: The add form's one-time id: the same form sent again (a reload of the secret page)
    #: adds nothing.
    nonce = HiddenField()


class DeleteForm(BaseForm):
    """Deleting an endpoint: a ticked box, so a stray press deletes nothing."""

    confirm = BooleanField(_l("I understand: nothing more is sent to this endpoint and its "
                              "delivery log is deleted."),
                           validators=[DataRequired(_l("Tick the box to confirm."))])

