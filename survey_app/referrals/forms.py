"""Promoter-loop forms: the survey's settings, the referral sign-up, "what would make it a 10?"."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, StringField, ValidationError
from wtforms.validators import DataRequired, Length, Optional

from survey_app.core.fields import StrictBooleanField, StrictTextAreaField
from survey_app.core.forms import BaseForm
from survey_app.people.services import InvalidPersonError, normalise_email
from survey_app.referrals.models import MAX_REVIEW_LINKS, PromoterSettings
from survey_app.referrals.settings import (
    MAX_LABEL_LENGTH,
    MAX_OFFER_LENGTH,
    MAX_URL_LENGTH,
    PromoterSpec,
    review_url_problem,
)

_LABEL = _l("Review site name")
_URL = _l("Review page address (https://…)")


class PromoterSettingsForm(BaseForm):
    """Review links (name + https address, up to three), the offer, the e-mail a day later."""

    label_1 = StringField(_LABEL, validators=[Optional(), Length(max=MAX_LABEL_LENGTH)])
    url_1 = StringField(_URL, validators=[Optional(), Length(max=MAX_URL_LENGTH)])
    label_2 = StringField(_LABEL, validators=[Optional(), Length(max=MAX_LABEL_LENGTH)])
    url_2 = StringField(_URL, validators=[Optional(), Length(max=MAX_URL_LENGTH)])
    label_3 = StringField(_LABEL, validators=[Optional(), Length(max=MAX_LABEL_LENGTH)])
    url_3 = StringField(_URL, validators=[Optional(), Length(max=MAX_URL_LENGTH)])
    offer_en = StrictTextAreaField(_l("Refer-a-friend offer (English)"),
                                   validators=[Optional(), Length(max=MAX_OFFER_LENGTH)])
    offer_it = StrictTextAreaField(_l("Refer-a-friend offer (Italian)"),
                                   validators=[Optional(), Length(max=MAX_OFFER_LENGTH)])
    is_email_enabled = StrictBooleanField(_l("E-mail promoters these links a day after they "
                                             "answer"))

    def pairs(self) -> list[tuple[StringField, StringField]]:
        return [(self[f"label_{n}"], self[f"url_{n}"]) for n in range(1, MAX_REVIEW_LINKS + 1)]

    def validate(self, extra_validators=None) -> bool:  # type: ignore[no-untyped-def]
        valid = super().validate(extra_validators)
        for label, url in self.pairs():
            if label.errors or url.errors:
                continue
            if url.data and not label.data:
                label.errors = [_l("Name the review site, e.g. Google.")]
            elif label.data and not url.data:
                url.errors = [_l("Give the review page's address.")]
            elif url.data and (problem := review_url_problem(url.data.strip())):
                url.errors = [problem]
            else:
                continue
            valid = False
        return valid

    def to_spec(self) -> PromoterSpec:
        links = [(label.data.strip(), url.data.strip()) for label, url in self.pairs()
                 if url.data and label.data]
        return PromoterSpec(links=links,
                            offer={"en": (self.offer_en.data or "").strip(),
                                   "it": (self.offer_it.data or "").strip()},
                            is_email_enabled=bool(self.is_email_enabled.data))


def settings_data(settings: PromoterSettings | None) -> dict[str, object]:
    """The settings form's values for a survey (empty when it has no promoter loop)."""
    if settings is None:
        return {}
    data: dict[str, object] = {f"offer_{lang}": text for lang, text in settings.offer.items()}
    data["is_email_enabled"] = settings.is_email_enabled
    for link in settings.links:
        data[f"label_{link.position}"], data[f"url_{link.position}"] = link.label, link.url
    return data


class JoinForm(BaseForm):
    """Sign up through a promoter's referral link."""

    name = StringField(_l("Your name"), validators=[DataRequired(_l("Please give your name.")),
                                                    Length(max=200)])
    email = EmailField(_l("Your e-mail address"),
                       validators=[DataRequired(_l("Please give your e-mail address.")),
                                   Length(max=254)])
    consent = StrictBooleanField(
        _l("I agree to be contacted by e-mail about this offer and to the processing of my "
           "name and address for it."),
        validators=[DataRequired(_l("Please tick the box to agree, or leave the page."))])

    def validate_email(self, field: EmailField) -> None:
        try:
            field.data = normalise_email(field.data)
        except InvalidPersonError:
            raise ValidationError(_l("This is not a valid e-mail address.")) from None


class ImprovementForm(BaseForm):
    """A passive's answer to "what would make it a 10?"."""

    improvement = StrictTextAreaField(_l("What would make it a 10?"),
                                      validators=[DataRequired(_l("Please write a few words.")),
                                                  Length(max=5000)])
