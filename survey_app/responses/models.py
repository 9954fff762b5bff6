"""Response and Answer models."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey_app.core.db import IDS_NEVER_REUSED, db, utcnow
from survey_app.invitations.models import Invitation
from survey_app.surveys.models import Question, Survey
from survey_app.themes.models import ResponseTheme

if TYPE_CHECKING:
    from survey_app.followups.models import FollowUp


class Channel(StrEnum):
    EMAIL = "email"
    LINK = "link"
    PUBLIC = "public"
    API = "api"


class Suspicion(StrEnum):
    """What a submission itself shows that a person would not do (docs/distribution.md)."""

    #: The form's hidden field, which no person sees, was filled in.
    HONEYPOT = "honeypot"
    #: Sent sooner after the page was rendered than anyone can read it.
    TOO_FAST = "too_fast"
    #: One of many public-link answers from one network address within a few minutes.
    BURST = "burst"


def _written_dt(context: Any) -> datetime | None:
    """Default of ``updated_dt`` for an ORM insert: the submission time, unless anonymous.

    (``core.db.insert_loaded`` passes no context; its one caller sets the value itself.)
    """
    if context is None:
        return None
    row = context.get_current_parameters()
    return None if row.get("is_anonymous") else row.get("submitted_dt")


class Response(db.Model):
    """One submitted answer to a survey.

    ``token_digest`` is a hash of the link (or public-browser) token distinct from the
    invitation's, so the row can be found again by whoever holds the link (to edit it) but never
    joined to the invitation or person by anyone who does not. It is NOT NULL and unique: the
    database itself guarantees one response per link, also for anonymous responses.
    """

    __tablename__ = "responses"
    __table_args__ = (
        sa.CheckConstraint("score >= 0 AND score <= 10", "score_range"),
        sa.CheckConstraint(
            "category IN ('promoter', 'passive', 'detractor', 'satisfied', 'neutral', "
            "'dissatisfied')",
            "category_valid",
        ),
        sa.CheckConstraint(
            "sentiment_label IN ('negative', 'neutral', 'positive', 'unknown')",
            "sentiment_label_valid",
        ),
        sa.CheckConstraint("channel IN ('email', 'link', 'public', 'api')", "channel_valid"),
        sa.CheckConstraint(
            "suspected_reason IS NULL OR suspected_reason IN ('honeypot', 'too_fast', 'burst')",
            "suspected_reason_valid",
        ),
        sa.CheckConstraint(
            "is_anonymous = false OR invitation_id IS NULL", "anonymous_has_no_invitation"
        ),
        #: Dashboards: score and flag included, so counting a period's scores reads the index only.
        sa.Index("ix_responses_survey_submitted", "survey_id", "submitted_dt", "score",
                 "is_suspected_automated"),
        sa.Index("ix_responses_survey_category", "survey_id", "category", "submitted_dt"),
        #: Dashboards: anonymous comments and exports come in this (hash, not time) order.
        sa.Index("ix_responses_survey_token", "survey_id", "token_digest"),
        #: Survey list: the flagged answers per survey, counted without reading the others.
        sa.Index("ix_responses_survey_suspected", "survey_id",
                 postgresql_where=sa.text("is_suspected_automated"),
                 sqlite_where=sa.text("is_suspected_automated = 1")),
        #: Follow-ups: a person's answers in time order (case history, recovered detractors).
        sa.Index("ix_responses_person_submitted", "person_id", "submitted_dt"),
        #: The API: a survey's identified answers in the order they were last written.
        sa.Index("ix_responses_survey_updated", "survey_id", "updated_dt", "id"),
        IDS_NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(sa.ForeignKey("surveys.id"))
    wave_id: Mapped[int | None] = mapped_column(sa.ForeignKey("waves.id"), index=True)
    #: Identified responses only; NULL for anonymous and public ones.
    invitation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("invitations.id"), unique=True)
    #: Identified responses, or an anonymous respondent who asked to be contacted.
    person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id"), index=True)
    #: Hash of the token that submitted it: one response per link, enforced here.
    token_digest: Mapped[str] = mapped_column(sa.String(64), unique=True)
    is_anonymous: Mapped[bool] = mapped_column(default=False)
    score: Mapped[int]
    category: Mapped[str] = mapped_column(sa.String(16))
    comment: Mapped[str | None] = mapped_column(sa.Text)
    #: Language the respondent answered in; selects the sentiment analyzer.
    locale: Mapped[str] = mapped_column(sa.String(8))
    sentiment_polarity: Mapped[float | None]
    sentiment_label: Mapped[str] = mapped_column(sa.String(8), default="unknown")
    #: Name and version of the analyzer that scored the comment.
    sentiment_analyzer: Mapped[str] = mapped_column(sa.String(32), default="none")
    #: A promoter or passive whose comment is clearly negative.
    is_mismatch: Mapped[bool] = mapped_column(default=False)
    #: The submission itself looks automated (``suspected_reason``, docs/distribution.md):
    #: left out of scores (``responses.queries.countable()``) until a person confirms it.
    is_suspected_automated: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    #: Why it is suspected (a :class:`Suspicion`); NULL when it is not, or once confirmed.
    suspected_reason: Mapped[str | None] = mapped_column(sa.String(16))
    #: A note, not a flag: the link's opens showed a mail scanner shortly before this answer.
    #: The answer counts all the same (a sent form is a person's act). Identified only.
    is_after_scanner: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    #: An anonymous respondent ticked "contact me" and so attached their identity.
    is_contact_requested: Mapped[bool] = mapped_column(default=False)
    #: A passive's answer to "what would make it a 10?", asked on the thank-you page (free
    #: text like the comment: erased and anonymised with it).
    improvement: Mapped[str | None] = mapped_column(sa.Text)
    #: Segment attributes of the person when they answered (department, team, plan …).
    segment: Mapped[dict[str, Any]] = mapped_column(default=dict)
    channel: Mapped[str] = mapped_column(sa.String(8))
    #: Anonymous responses keep only the day, so they cannot be matched by time.
    submitted_dt: Mapped[datetime] = mapped_column(default=utcnow)
    #: When the answer was last written — first sent, or changed by the respondent: the API's
    #: incremental sync reads by it. NULL for anonymous answers, which keep no time.
    updated_dt: Mapped[datetime | None] = mapped_column(default=_written_dt)
    #: When the retention policy removed its identity, segment and free text (NULL: not yet).
    anonymised_dt: Mapped[datetime | None]
    #: Optimistic lock: an edit based on an older version is refused.
    version: Mapped[int] = mapped_column(default=1)

    survey: Mapped[Survey] = relationship()
    answers: Mapped[list[Answer]] = relationship(
        back_populates="response", cascade="all, delete-orphan"
    )
    followup: Mapped[FollowUp | None] = relationship(back_populates="response")
    #: Themes its comment and free-text answers mention (kept in step by every write).
    themes: Mapped[list[ResponseTheme]] = relationship(
        back_populates="response", cascade="all, delete-orphan", passive_deletes=True)

    __mapper_args__ = {"version_id_col": version}

    def __repr__(self) -> str:
        return f"<Response {self.id}>"


class Answer(db.Model):
    """The answer to one extra question of a response (1–5, a choice index, or text)."""

    __tablename__ = "answers"
    __table_args__ = (
        sa.UniqueConstraint("response_id", "question_id"),
        sa.CheckConstraint("value_int IS NULL OR value_int >= 0", "value_int_valid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(sa.ForeignKey("responses.id", ondelete="CASCADE"))
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("questions.id"), index=True)
    value_int: Mapped[int | None]
    value_text: Mapped[str | None] = mapped_column(sa.Text)

    response: Mapped[Response] = relationship(back_populates="answers")
    question: Mapped[Question] = relationship()


class ProvisionalAnswer(db.Model):
    """A score clicked in an e-mail and not followed by a sent form (yet).

    It becomes the person's answer after ``PROVISIONAL_MINUTES`` unless a form is sent first or
    the link's opens look like a scanner's (several score buttons, or the honeypot). Identified
    surveys only: for anonymous ones it would tie the score to the person's invitation.
    """

    __tablename__ = "provisional_answers"
    __table_args__ = (sa.CheckConstraint("score >= 0 AND score <= 10", "score_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: One per link: a later click of another button replaces the score.
    invitation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("invitations.id", ondelete="CASCADE"), unique=True)
    score: Mapped[int]
    #: The latest click; the periodic job promotes or drops the answer a while after it.
    clicked_dt: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    invitation: Mapped[Invitation] = relationship()


class PublicAnswerCount(db.Model):
    """Answers given through a survey's public link from one network address on one day.

    Only a keyed digest of the address (with the survey and the day) is kept, so the rows
    neither reveal addresses nor link one day's answers to another's; the periodic job deletes
    the rows of past days.
    """

    __tablename__ = "public_answer_counts"
    __table_args__ = (sa.UniqueConstraint("survey_id", "address_digest", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(sa.ForeignKey("surveys.id", ondelete="CASCADE"))
    #: HMAC-SHA256 of survey, day and address keyed by the secret key (hex).
    address_digest: Mapped[str] = mapped_column(sa.String(64))
    day: Mapped[date] = mapped_column(index=True)
    #: Answers counted today (refused ones are not).
    answers: Mapped[int]
    #: Start of the current burst window and the answers within it.
    burst_start_dt: Mapped[datetime]
    burst_answers: Mapped[int]
