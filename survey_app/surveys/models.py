"""Survey, Question and Wave models."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey_app.core.db import db, utcnow


class SurveyKind(StrEnum):
    NPS = "nps"
    CSAT = "csat"
    ENPS = "enps"
    PULSE = "pulse"


class SurveyStatus(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    CLOSED = "closed"


class QuestionKind(StrEnum):
    #: The first question: 0–10 (NPS, eNPS, pulse) or 1–5 (CSAT).
    SCORE = "score"
    #: 1–5 agreement scale.
    AGREEMENT = "agreement"
    CHOICE = "choice"
    TEXT = "text"


#: Texts a survey may give per language: what respondents read on the page and in the e-mail.
TEXT_FIELDS = ("title", "intro", "thanks", "email_subject", "email_body")

#: A survey has the score question plus at most this many more.
MAX_EXTRA_QUESTIONS = 9
#: Shortest retention period: time enough to answer, edit and work the follow-up case.
MIN_RETENTION_DAYS = 30


class Survey(db.Model):
    """What is asked, of whom, and how its answers are protected."""

    __tablename__ = "surveys"
    __table_args__ = (
        sa.CheckConstraint("kind IN ('nps', 'csat', 'enps', 'pulse')", "kind_valid"),
        sa.CheckConstraint("audience IN ('customers', 'employees')", "audience_valid"),
        sa.CheckConstraint("anonymity IN ('identified', 'anonymous')", "anonymity_valid"),
        sa.CheckConstraint("status IN ('draft', 'active', 'closed')", "status_valid"),
        sa.CheckConstraint("min_group_size >= 3", "min_group_size_valid"),
        sa.CheckConstraint("link_lifetime_days > 0", "link_lifetime_valid"),
        sa.CheckConstraint("edit_window_hours >= 0", "edit_window_valid"),
        sa.CheckConstraint("throttle_days >= 0", "throttle_days_valid"),
        sa.CheckConstraint("reminder_count >= 0 AND reminder_count <= 2", "reminder_count_valid"),
        sa.CheckConstraint("reminder_after_days >= 1", "reminder_after_days_valid"),
        sa.CheckConstraint("cadence IN ('weekly', 'monthly', 'quarterly')", "cadence_valid"),
        sa.CheckConstraint(f"retention_days >= {MIN_RETENTION_DAYS}", "retention_days_valid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: URL name, used by ``/p/<slug>`` and the CLI.
    slug: Mapped[str] = mapped_column(sa.String(64), unique=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[str] = mapped_column(sa.String(8))
    audience: Mapped[str] = mapped_column(sa.String(16))
    anonymity: Mapped[str] = mapped_column(sa.String(16))
    status: Mapped[str] = mapped_column(sa.String(8), default=SurveyStatus.ACTIVE)
    #: Language of pages when the respondent's own is not offered.
    default_locale: Mapped[str] = mapped_column(sa.String(8), default="en")
    #: Whether ``/p/<slug>`` serves the survey to anyone.
    is_public: Mapped[bool] = mapped_column(default=False)
    link_lifetime_days: Mapped[int] = mapped_column(default=30)
    #: How long after answering a respondent may still change the answer.
    edit_window_hours: Mapped[int] = mapped_column(default=24)
    #: Groups smaller than this never show numbers or comments (anonymous surveys).
    min_group_size: Mapped[int] = mapped_column(default=5)
    #: Do not invite people asked by any survey within this many days (0: no limit).
    throttle_days: Mapped[int] = mapped_column(default=30, server_default="30")
    #: Reminders to people who have not answered: how many (0–2), and days between e-mails.
    reminder_count: Mapped[int] = mapped_column(default=1, server_default="1")
    reminder_after_days: Mapped[int] = mapped_column(default=3, server_default="3")
    #: Recurring rounds: ``weekly``, ``monthly`` or ``quarterly``; NULL = waves sent by hand.
    cadence: Mapped[str | None] = mapped_column(sa.String(10))
    #: Audience of recurring rounds, as a wave's ``audience_filter``.
    cadence_audience: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    #: When the next recurring round is due.
    next_round_dt: Mapped[datetime | None]
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)
    #: Respondent-facing texts by language and name (see :data:`TEXT_FIELDS`), e.g.
    #: ``{"it": {"title": "…", "intro": "…"}}``; a missing one falls back to the default language.
    texts: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")
    #: Answers older than this many days are anonymised (docs/surveys.md); NULL: kept as given.
    retention_days: Mapped[int | None]
    #: A new random value whenever an admin changes the survey's own themes or terms
    #: (``themes``); NULL while there never were any, so tagging an answer and drawing the
    #: dashboard read none, otherwise each process caches the terms under the value it read.
    themes_stamp: Mapped[str | None] = mapped_column(sa.String(16))

    questions: Mapped[list[Question]] = relationship(
        back_populates="survey", order_by="Question.position", cascade="all, delete-orphan"
    )

    def text(self, name: str, locale: str) -> str:
        """Text ``name`` in ``locale``, else in the survey's default language, else ``""``."""
        return ((self.texts.get(locale) or {}).get(name)
                or (self.texts.get(self.default_locale) or {}).get(name) or "")

    def title_in(self, locale: str) -> str:
        """The title respondents see in ``locale`` (the staff title when none is written)."""
        return self.text("title", locale) or self.title

    @property
    def is_anonymous(self) -> bool:
        return self.anonymity == "anonymous"

    @property
    def score_range(self) -> range:
        """Allowed scores of the first question."""
        return range(1, 6) if self.kind == SurveyKind.CSAT else range(0, 11)

    @property
    def score_question(self) -> Question:
        return self.questions[0]

    @property
    def extra_questions(self) -> list[Question]:
        return self.questions[1:]

    def __repr__(self) -> str:
        return f"<Survey {self.slug}>"


class Question(db.Model):
    """One question of a survey, its wording per language."""

    __tablename__ = "questions"
    __table_args__ = (
        sa.UniqueConstraint("survey_id", "position"),
        sa.CheckConstraint("kind IN ('score', 'agreement', 'choice', 'text')", "kind_valid"),
        sa.CheckConstraint("position >= 0 AND position <= 9", "position_valid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(sa.ForeignKey("surveys.id", ondelete="CASCADE"))
    #: 0 is the score question.
    position: Mapped[int]
    kind: Mapped[str] = mapped_column(sa.String(16))
    #: Wording by language, e.g. ``{"en": "…", "it": "…"}``.
    text: Mapped[dict[str, Any]]
    #: For ``choice``: the options, each ``{"en": "…", "it": "…"}``.
    choices: Mapped[list[dict[str, str]] | None] = mapped_column(sa.JSON)
    is_required: Mapped[bool] = mapped_column(default=False)

    survey: Mapped[Survey] = relationship(back_populates="questions")

    def wording(self, locale: str) -> str:
        """The question in ``locale``, else English, else any language it has."""
        return self.text.get(locale) or self.text.get("en") or next(iter(self.text.values()), "")

    def choice_labels(self, locale: str) -> list[str]:
        return [o.get(locale) or o.get("en") or "" for o in self.choices or []]


class Wave(db.Model):
    """One sending of a survey to an audience (a pulse round)."""

    __tablename__ = "waves"
    #: One round per survey and period: two schedulers racing create it once.
    __table_args__ = (sa.UniqueConstraint("survey_id", "scheduled_dt"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(sa.ForeignKey("surveys.id"), index=True)
    #: Name given when sending; empty: pages show the start time in the reader's zone and format.
    label: Mapped[str] = mapped_column(sa.String(100))
    started_dt: Mapped[datetime] = mapped_column(default=utcnow)
    #: Who was asked: ``{"kind": "customer", "where": {"team": ["Support", "Sales"]}}``.
    audience_filter: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")
    #: Recurring rounds only: the due time of the round (NULL for waves sent by hand).
    scheduled_dt: Mapped[datetime | None]
