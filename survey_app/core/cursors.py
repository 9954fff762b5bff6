"""Opaque cursors for keyset pagination: the last row's sort key, base64url-encoded JSON.

A cursor only says where the previous page ended, so nothing in it needs to stay secret;
decoding checks its shape strictly, and a cursor that does not fit is a clear 400, never a
wrong page or a 500. Its first value names the listing it was made for (the caller's
``listing``: the list and its filters), so a cursor of another list, or of the same list
under other filters, is refused rather than read as a position it never was.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime
from typing import Any

from flask_babel import gettext as _

from survey_app.core.errors import DomainError

#: Longest cursor accepted (ours are well under).
MAX_LENGTH = 400
#: Integers in a cursor fit a 64-bit key.
MAX_INT = 2**63 - 1


class InvalidCursorError(DomainError):
    """The cursor was not made by this listing (or was changed)."""

    def __init__(self) -> None:
        super().__init__(_("The cursor is not valid: pass the next_cursor of the previous "
                           "page unchanged, with the same filters."))


def encode(listing: str, *values: int | str | datetime) -> str:
    """A cursor of ``listing`` holding ``values`` (datetimes as ISO text)."""
    plain = [listing, *(v.isoformat() if isinstance(v, datetime) else v for v in values)]
    text = json.dumps(plain, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).rstrip(b"=").decode()


def decode(cursor: str, listing: str, shape: tuple[type, ...]) -> list[Any]:
    """The values in ``cursor``, each of the type in ``shape`` (``int``, ``str`` or an aware
    ``datetime``).

    :raises InvalidCursorError: not a cursor of ``listing``, or not of that shape.
    """
    try:
        if len(cursor) > MAX_LENGTH or not cursor.isascii():
            raise ValueError(cursor)
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidCursorError() from None
    if not isinstance(values, list) or len(values) != len(shape) + 1 or values[0] != listing:
        raise InvalidCursorError()
    return [_value(value, kind) for value, kind in zip(values[1:], shape, strict=True)]


def _value(value: Any, kind: type) -> Any:
    if kind is int and type(value) is int and 0 <= value <= MAX_INT:
        return value
    if kind is str and isinstance(value, str) and len(value) <= 200:
        return value
    if kind is datetime and isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise InvalidCursorError() from None
        if moment.tzinfo is not None:
            return moment.astimezone(UTC)
    raise InvalidCursorError()
