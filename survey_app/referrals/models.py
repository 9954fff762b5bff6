"""Promoter-loop models: a survey's settings and review links, referral codes, referrals."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey_app.core.db import db, utcnow
from survey_app.people.models import Person

#: A survey offers at most this many review links.
MAX_REVIEW_LINKS = 3


class PromoterSettings(db.Model):
    """What a customer survey asks of its promoters (one row per survey, none: nothing)."""

    __tablename__ = "promoter_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(
        sa.ForeignKey("surveys.id", ondelete="CASCADE"), unique=True)
    #: The refer-a-friend offer by language, e.g. ``{"en": "10 % off …", "it": "…"}``; an
    #: empty one means no referral link is offered.
    offer: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")
    #: E-mail promoters the review and referral links a day after they answered.
    is_email_enabled: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    links: Mapped[list[ReviewLink]] = relationship(
        primaryjoin="PromoterSettings.survey_id == foreign(ReviewLink.survey_id)",
        order_by="ReviewLink.position", viewonly=True)

    def offer_in(self, locale: str, default_locale: str) -> str:
        """The offer in ``locale``, else in the survey's default language, else ``""``."""
        return self.offer.get(locale) or self.offer.get(default_locale) or ""


class ReviewLink(db.Model):
    """A review page promoters are asked to visit; reached only through ``/r/<slug>/<n>``."""

    __tablename__ = "review_links"
    __table_args__ = (
        sa.UniqueConstraint("survey_id", "position"),
        sa.CheckConstraint(f"position >= 1 AND position <= {MAX_REVIEW_LINKS}", "position_valid"),
        sa.CheckConstraint("url LIKE 'https://%'", "url_https"),
        sa.CheckConstraint("clicks >= 0", "clicks_valid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(sa.ForeignKey("surveys.id", ondelete="CASCADE"))
    #: 1-based: the ``<n>`` of the redirect address.
    position: Mapped[int]
    #: What the button says, e.g. "Google" or "Trustpilot".
    label: Mapped[str] = mapped_column(sa.String(60))
    #: The only address the redirect sends to (https, validated when saved).
    url: Mapped[str] = mapped_column(sa.String(500))
    #: Redirects followed (a count only: nobody's click is recorded).
    clicks: Mapped[int] = mapped_column(default=0, server_default="0")


class ReferralCode(db.Model):
    """A promoter's personal referral link for one answer; only its hash and salt are stored."""

    __tablename__ = "referral_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The promoter's answer: one code per answer. NULL once the answer is anonymised (its
    #: survey's retention), so the code no longer ties it to the person.
    response_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("responses.id", ondelete="SET NULL"), unique=True)
    survey_id: Mapped[int] = mapped_column(sa.ForeignKey("surveys.id", ondelete="CASCADE"),
                                           index=True)
    #: The promoter; erasing them deletes the code (and so the link stops working).
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id", ondelete="CASCADE"),
                                           index=True)
    #: The code is HMAC(``SECRET_KEY``, salt), shown again from the salt (page, e-mail).
    code_salt: Mapped[str] = mapped_column(sa.String(32))
    #: SHA-256 of the code: what ``/join/<code>`` looks up.
    code_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)
    #: Times the sign-up page was opened through it (previews included).
    opens: Mapped[int] = mapped_column(default=0, server_default="0")

    person: Mapped[Person] = relationship()


class Referral(db.Model):
    """A person brought in by a promoter's referral link."""

    __tablename__ = "referrals"
    __table_args__ = (
        sa.CheckConstraint("channel IN ('form', 'import', 'api')", "channel_valid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code_id: Mapped[int] = mapped_column(
        sa.ForeignKey("referral_codes.id", ondelete="CASCADE"), index=True)
    #: The new person: attributed once, to the first code they came with.
    person_id: Mapped[int] = mapped_column(
        sa.ForeignKey("people.id", ondelete="CASCADE"), unique=True)
    #: How they came: the sign-up form, a people import or the API.
    channel: Mapped[str] = mapped_column(sa.String(8))
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)


class PromoterEmail(db.Model):
    """The e-mail a day after a promoter's answer, taken for sending: the row is inserted (and
    committed) before the message leaves, so a second sweep never sends it twice."""

    __tablename__ = "promoter_emails"

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(
        sa.ForeignKey("responses.id", ondelete="CASCADE"), unique=True)
    taken_dt: Mapped[datetime] = mapped_column(default=utcnow)
