"""Daily rollups of countable responses, kept exact by database triggers (docs/dashboards.md)."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from survey_app.core.db import db


class _Counts:
    """The counted columns both rollups share (``count``, ``count(comment)``, per sentiment)."""

    #: Countable responses (not suspected automated).
    n: Mapped[int]
    #: Of which with a comment (``comment IS NOT NULL``).
    comments: Mapped[int]
    #: Of which with sentiment label ``negative`` / ``neutral`` / ``positive``.
    negative: Mapped[int]
    neutral: Mapped[int]
    positive: Mapped[int]


class DailyScore(_Counts, db.Model):
    """Countable responses of one survey on one UTC day with one score (and its category).

    Written only by the triggers on ``responses`` (migration ``d4a7c1e9b352``) and by
    ``polso db rollup --rebuild``; rows whose counts fell back to 0 may stay.
    """

    __tablename__ = "rollup_scores"

    survey_id: Mapped[int] = mapped_column(
        sa.ForeignKey("surveys.id", ondelete="CASCADE"), primary_key=True)
    #: UTC day of ``submitted_dt``.
    day: Mapped[date] = mapped_column(primary_key=True)
    score: Mapped[int] = mapped_column(sa.SmallInteger, primary_key=True)
    category: Mapped[str] = mapped_column(sa.String(16), primary_key=True)


class DailySegmentScore(_Counts, db.Model):
    """As :class:`DailyScore`, per segment attribute and value of the responses.

    One row per attribute present (not JSON ``null``) in ``responses.segment``, its value as the
    text the raw filter compares (``->>`` / ``json_extract``); responses without the attribute
    are the survey total minus the attribute's values.
    """

    __tablename__ = "rollup_segment_scores"

    survey_id: Mapped[int] = mapped_column(
        sa.ForeignKey("surveys.id", ondelete="CASCADE"), primary_key=True)
    #: Segment attribute name (a key of ``responses.segment``).
    attribute: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    #: The attribute's value as text.
    value: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    score: Mapped[int] = mapped_column(sa.SmallInteger, primary_key=True)
    category: Mapped[str] = mapped_column(sa.String(16), primary_key=True)


class DailyComboScore(_Counts, db.Model):
    """As :class:`DailyScore`, per combination of segment values: the whole
    ``responses.segment`` as its JSON text (``'null'`` when SQL ``NULL``).

    Views crossing two or three attributes read it (``dashboards.crossed``), applying the
    raw filter's JSON conditions to this text; two spellings of one combination (keys in
    another order) are two rows whose counts add up the same.
    """

    __tablename__ = "rollup_combo_scores"

    survey_id: Mapped[int] = mapped_column(
        sa.ForeignKey("surveys.id", ondelete="CASCADE"), primary_key=True)
    #: UTC day of ``submitted_dt``.
    day: Mapped[date] = mapped_column(primary_key=True)
    #: ``responses.segment`` as stored (JSON text).
    segment: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    score: Mapped[int] = mapped_column(sa.SmallInteger, primary_key=True)
    category: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
