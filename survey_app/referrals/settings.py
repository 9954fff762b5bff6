"""A survey's promoter-loop settings: review links (https only) and the refer-a-friend offer."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from survey_app.core.db import db
from survey_app.core.errors import DomainError
from survey_app.referrals.models import MAX_REVIEW_LINKS, PromoterSettings, ReviewLink
from survey_app.surveys.models import Survey

#: Longest review address and offer text accepted.
MAX_URL_LENGTH = 500
MAX_OFFER_LENGTH = 500
MAX_LABEL_LENGTH = 60


class PromoterSettingsError(DomainError):
    """A setting is not acceptable; ``field`` names the form field when there is one."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class PromoterSpec:
    """Validated settings: ``links`` as (label, url) pairs in order, ``offer`` per language."""

    links: list[tuple[str, str]] = field(default_factory=list)
    offer: dict[str, str] = field(default_factory=dict)
    is_email_enabled: bool = False


def review_url_problem(url: str) -> str | None:
    """Why ``url`` may not be a review link (``None``: it may): absolute https with a host,
    no user name or password, no spaces or control characters, at most 500 characters."""
    if len(url) > MAX_URL_LENGTH:
        return str(_l("At most %(n)s characters.", n=MAX_URL_LENGTH))
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        return str(_l("An address has no spaces or line breaks."))
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return str(_l("This is not a valid web address."))
    if parts.scheme != "https" or not parts.hostname or "." not in parts.hostname:
        return str(_l("Give a full https:// address, e.g. https://g.page/r/…/review."))
    if parts.username is not None or parts.password is not None or port == 0:
        return str(_l("The address may not contain a user name, a password or port 0."))
    return None


def settings_for(survey: Survey) -> PromoterSettings | None:
    return db.session.scalar(select(PromoterSettings)
                             .where(PromoterSettings.survey_id == survey.id))


def save_settings(survey: Survey, spec: PromoterSpec) -> bool:
    """Store ``spec`` as ``survey``'s promoter loop; returns whether anything changed.

    A review link whose address changes starts counting clicks again from zero.

    :raises PromoterSettingsError: not a customer survey, too many links, or a bad address.
    """
    _check(survey, spec)
    settings = settings_for(survey)
    if settings is None:
        settings = PromoterSettings(survey_id=survey.id, offer={})
        db.session.add(settings)
    offer = {lang: text for lang, text in spec.offer.items() if text}
    changed = settings.offer != offer or settings.is_email_enabled != spec.is_email_enabled
    settings.offer, settings.is_email_enabled = offer, spec.is_email_enabled
    old = {link.position: link for link in db.session.scalars(
        select(ReviewLink).where(ReviewLink.survey_id == survey.id))}
    for position, (label, url) in enumerate(spec.links, start=1):
        link = old.pop(position, None)
        if link is None:
            db.session.add(ReviewLink(survey_id=survey.id, position=position, label=label,
                                      url=url, clicks=0))
            changed = True
        elif (link.label, link.url) != (label, url):
            link.clicks = 0 if link.url != url else link.clicks
            link.label, link.url = label, url
            changed = True
    if old:
        gone = [link.id for link in old.values()]
        db.session.execute(delete(ReviewLink).where(ReviewLink.id.in_(gone)))
        changed = True
    db.session.flush()
    db.session.expire(settings, ["links"])
    return changed


def _check(survey: Survey, spec: PromoterSpec) -> None:
    if survey.audience != "customers":
        raise PromoterSettingsError(str(_l("Only customer surveys ask promoters for reviews "
                                           "and referrals.")))
    if len(spec.links) > MAX_REVIEW_LINKS:
        raise PromoterSettingsError(str(_l("At most %(n)s review links.", n=MAX_REVIEW_LINKS)))
    for index, (label, url) in enumerate(spec.links, start=1):
        problem = review_url_problem(url)
        if problem:
            raise PromoterSettingsError(problem, f"url_{index}")
        if not label or len(label) > MAX_LABEL_LENGTH:
            raise PromoterSettingsError(str(_l("Give a name of 1 to %(n)s characters.",
                                               n=MAX_LABEL_LENGTH)), f"label_{index}")
    for text in spec.offer.values():
        if len(text) > MAX_OFFER_LENGTH:
            raise PromoterSettingsError(str(_l("At most %(n)s characters.", n=MAX_OFFER_LENGTH)))
