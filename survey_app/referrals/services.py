"""The promoter loop at work: what the thank-you page offers, referral codes, review redirects,
sign-ups and imports attributed to the promoter who referred them."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from sqlalchemy import exists, insert, select, update
from sqlalchemy.exc import IntegrityError

from survey_app.core.db import db, utcnow
from survey_app.core.errors import NotFoundError
from survey_app.core.tokens import TOKEN_PATTERN, derive_token
from survey_app.people.models import Person, PersonKind
from survey_app.people.services import get_or_create_person, normalise_email
from survey_app.referrals.models import PromoterSettings, Referral, ReferralCode, ReviewLink
from survey_app.referrals.settings import settings_for
from survey_app.responses.models import Response
from survey_app.surveys.models import Survey, SurveyStatus

logger = logging.getLogger(__name__)

#: Where a referred person came from (``Referral.channel``).
CHANNELS = ("form", "import", "api")


class UnknownCodeError(NotFoundError):
    """No referral code is that string (or its promoter was erased)."""


class UnknownReviewLinkError(NotFoundError):
    """The survey has no such review link: the redirect goes nowhere else."""


@dataclass(frozen=True)
class ReviewButton:
    label: str
    #: Our own redirect (``/r/<slug>/<n>``), never the review site's address itself.
    position: int


@dataclass(frozen=True)
class PromoterOffer:
    """What a promoter is shown (page and e-mail): review buttons, referral code and offer."""

    reviews: list[ReviewButton] = field(default_factory=list)
    code: str | None = None
    offer: str = ""

    def __bool__(self) -> bool:
        return bool(self.reviews or self.code)


def code_hash(code: str) -> str:
    return hashlib.sha256(b"referral:" + code.encode()).hexdigest()


def _code(salt: str) -> str:
    return derive_token(current_app.config["SECRET_KEY"], "referral:" + salt)


def is_referral_survey(survey: Survey) -> bool:
    """Referral links go to identified customer surveys only: on an anonymous one a personal
    link would tie the answer to the person."""
    return survey.audience == "customers" and not survey.is_anonymous


def promoter_offer(response: Response, locale: str) -> PromoterOffer:
    """What the thank-you page offers the author of ``response`` (empty unless a promoter of a
    customer survey with a promoter loop); creates their referral code on first use (flushes)."""
    survey = response.survey
    if response.category != "promoter" or survey.audience != "customers":
        return PromoterOffer()
    settings = settings_for(survey)
    if settings is None:
        return PromoterOffer()
    return offer_for(response, settings, locale)


def offer_for(response: Response, settings: PromoterSettings, locale: str) -> PromoterOffer:
    survey = response.survey
    reviews = [ReviewButton(link.label, link.position) for link in settings.links]
    text = settings.offer_in(locale, survey.default_locale)
    code = None
    if text and is_referral_survey(survey) and response.person_id is not None:
        code = code_for(response)
    return PromoterOffer(reviews, code, text)


def code_for(response: Response) -> str:
    """The referral code of ``response``'s author, created on first use (flushes)."""
    row = db.session.scalar(select(ReferralCode).where(ReferralCode.response_id == response.id))
    if row is None:
        salt = secrets.token_hex(16)
        try:
            with db.session.begin_nested():
                db.session.add(ReferralCode(response_id=response.id, survey_id=response.survey_id,
                                            person_id=response.person_id, code_salt=salt,
                                            code_hash=code_hash(_code(salt))))
        except IntegrityError:  # a second tab created it meanwhile
            row = db.session.scalar(select(ReferralCode)
                                    .where(ReferralCode.response_id == response.id))
            if row is None:
                raise
            return _code(row.code_salt)
        return _code(salt)
    return _code(row.code_salt)


def find_code(code: str) -> ReferralCode:
    """The code row behind ``code`` (its survey must not be a draft).

    :raises UnknownCodeError: malformed or unknown code.
    """
    if TOKEN_PATTERN.fullmatch(code) is None:
        raise UnknownCodeError()
    row = db.session.scalar(select(ReferralCode).where(ReferralCode.code_hash == code_hash(code)))
    if row is None or not hmac.compare_digest(_code(row.code_salt), code):
        raise UnknownCodeError()
    return row


def count_open(row: ReferralCode) -> None:
    """One more opening of the sign-up page (one UPDATE: concurrent openings all count)."""
    db.session.execute(update(ReferralCode).where(ReferralCode.id == row.id)
                       .values(opens=ReferralCode.opens + 1))


def follow_review_link(slug: str, position: int) -> str:
    """The address of review link ``position`` of survey ``slug``, its click counted.

    :raises UnknownReviewLinkError: no such survey (or a draft) or no such link.
    """
    url = db.session.scalar(
        select(ReviewLink.url).join(Survey, Survey.id == ReviewLink.survey_id)
        .where(Survey.slug == slug, Survey.status != SurveyStatus.DRAFT,
               ReviewLink.position == position))
    if url is None:
        raise UnknownReviewLinkError()
    db.session.execute(
        update(ReviewLink).where(ReviewLink.position == position,
                                 ReviewLink.survey_id == select(Survey.id)
                                 .where(Survey.slug == slug).scalar_subquery())
        .values(clicks=ReviewLink.clicks + 1))
    return url


def sign_up(row: ReferralCode, *, email: str, name: str, locale: str,
            now: datetime | None = None) -> Person | None:
    """Create the customer ``email`` attributed to ``row``'s promoter (flushes).

    Someone already known is left as they are and attributed to nobody (``None``): a referral
    brings a *new* customer, and the page must not tell who is already one.

    :raises survey_app.people.services.InvalidPersonError: not an e-mail address.
    """
    email = normalise_email(email)
    if db.session.scalar(select(exists().where(Person.email == email))):
        return None
    try:
        with db.session.begin_nested():
            person = get_or_create_person(email, name=name, kind=PersonKind.CUSTOMER,
                                          locale=locale)
            db.session.add(Referral(code_id=row.id, person_id=person.id, channel="form",
                                    created_dt=now or utcnow()))
    except IntegrityError:  # the same address signed up at the same moment
        return None
    logger.info("referral: person %s signed up with code %s", person.id, row.id)
    return person


def known_codes(codes: Iterable[str]) -> dict[str, int]:
    """``{code: code id}`` for the codes that exist (unknown and malformed ones are left out)."""
    wanted = {code_hash(c): c for c in set(codes) if TOKEN_PATTERN.fullmatch(c)}
    found = {}
    for row in db.session.scalars(select(ReferralCode)
                                  .where(ReferralCode.code_hash.in_(list(wanted)))):
        code = wanted[row.code_hash]
        if hmac.compare_digest(_code(row.code_salt), code):
            found[code] = row.id
    return found


def attribute(pairs: Iterable[tuple[str, int]], *, channel: str,
              now: datetime | None = None) -> int:
    """Attribute each (e-mail, code id) person to that code unless already attributed, and
    never a person to their own code; returns how many were attributed (flushes)."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    pairs = dict(pairs)
    if not pairs:
        return 0
    people = {email: person_id for email, person_id in db.session.execute(
        select(Person.email, Person.id).where(Person.email.in_(list(pairs))))}
    taken = set(db.session.scalars(select(Referral.person_id)
                                   .where(Referral.person_id.in_(list(people.values())))))
    owners = {code_id: owner for code_id, owner in db.session.execute(
        select(ReferralCode.id, ReferralCode.person_id)
        .where(ReferralCode.id.in_(list(pairs.values()))))}
    rows = [{"code_id": code_id, "person_id": people[email], "channel": channel,
             "created_dt": now or utcnow()}
            for email, code_id in pairs.items()
            if email in people and people[email] not in taken
            and owners.get(code_id) != people[email]]
    if rows:
        db.session.execute(insert(Referral), rows)
        db.session.flush()
    return len(rows)


class ImportReferrals:
    """The people importer's ``referrals``: codes resolved here, people attributed here."""

    def __init__(self, channel: str = "import") -> None:
        self.channel = channel

    def known(self, codes: list[str]) -> dict[str, int]:
        return known_codes(codes)

    def attribute(self, pairs: list[tuple[str, int]]) -> int:
        return attribute(pairs, channel=self.channel)
