"""Shared pieces of the representations: times as text, strict base schema."""

from __future__ import annotations

from datetime import date, datetime

from marshmallow import RAISE, Schema


class Representation(Schema):
    """Base of every resource schema: unknown keys are refused when one is loaded."""

    class Meta:
        unknown = RAISE


def moment(value: datetime | None) -> str | None:
    """An aware UTC time as RFC 3339 text (``2026-03-31T08:15:00+00:00``)."""
    return None if value is None else value.isoformat()


def day(value: date | datetime | None) -> str | None:
    """The day of ``value`` as ``2026-03-31``."""
    if value is None:
        return None
    return (value.date() if isinstance(value, datetime) else value).isoformat()
