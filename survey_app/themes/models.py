"""ResponseTheme (the stored tags) and a survey's own themes and terms."""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey_app.core.db import db

if TYPE_CHECKING:
    from survey_app.responses.models import Response

#: Longest theme key and term (characters).
KEY_MAX_LENGTH = 40
TERM_MAX_LENGTH = 60


class ResponseTheme(db.Model):
    """A theme one response's comment (or one of its free-text answers) mentions.

    Written in the answer's transaction and replaced on every edit, so the dashboard and the
    queue count and filter themes in SQL. Like the sentiment label it is derived, not personal:
    erasure and retention, which drop the texts, keep it.
    """

    __tablename__ = "response_themes"
    __table_args__ = (
        sa.UniqueConstraint("response_id", "theme", "question_id"),
        #: Dashboard and queue: a survey's responses mentioning a theme.
        sa.Index("ix_response_themes_survey_theme", "survey_id", "theme", "response_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(
        sa.ForeignKey("responses.id", ondelete="CASCADE"), index=True)
    #: The response's survey, repeated so a survey's themes are counted from this index alone.
    survey_id: Mapped[int] = mapped_column(sa.ForeignKey("surveys.id", ondelete="CASCADE"))
    #: A built-in theme key of the survey's audience, or one of the survey's own themes.
    theme: Mapped[str] = mapped_column(sa.String(KEY_MAX_LENGTH))
    #: The free-text question whose answer mentions it; NULL: the comment.
    question_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("questions.id", ondelete="CASCADE"))

    response: Mapped[Response] = relationship(back_populates="themes")


class SurveyTheme(db.Model):
    """A theme an admin added to one survey, beside its audience's built-in ones."""

    __tablename__ = "survey_themes"
    __table_args__ = (sa.UniqueConstraint("survey_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(sa.ForeignKey("surveys.id", ondelete="CASCADE"))
    #: Lower-case letters, digits and ``_``; never a built-in key of the audience.
    key: Mapped[str] = mapped_column(sa.String(KEY_MAX_LENGTH))
    #: The name shown on the dashboard and the queue, as the admin wrote it.
    label: Mapped[str] = mapped_column(sa.String(80))


class SurveyThemeTerm(db.Model):
    """A word or phrase an admin added to a theme (built-in or the survey's own) of a survey."""

    __tablename__ = "survey_theme_terms"
    __table_args__ = (
        sa.UniqueConstraint("survey_id", "theme", "lang", "term"),
        sa.CheckConstraint("lang IN ('en', 'it')", "lang_valid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(sa.ForeignKey("surveys.id", ondelete="CASCADE"),
                                           index=True)
    theme: Mapped[str] = mapped_column(sa.String(KEY_MAX_LENGTH))
    #: The language of the comments it applies to.
    lang: Mapped[str] = mapped_column(sa.String(2))
    #: In the lexicon's notation: words, a trailing ``*`` makes a word a stem.
    term: Mapped[str] = mapped_column(sa.String(TERM_MAX_LENGTH))
