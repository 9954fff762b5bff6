"""Strict JSON input: a parser that refuses what ``json.loads`` lets through, and strict fields.

Programs send the API JSON; what a lenient parser would guess at is refused instead
(docs/api.md, "Strict input"):

- a key twice in one object (:class:`DuplicateKeyError`; the caller answers 400);
- arrays and objects nested deeper than :data:`MAX_DEPTH` (:class:`TooDeepError`, 400);
- an unpaired surrogate (``"\\ud800"``), which no database can store (:class:`BadTextError`);
- ``NaN``, ``Infinity`` and ``-Infinity`` parse to a :class:`NonFinite` marker that every field
  below refuses, so the answer names the field (422);
- integers are JSON integers only: not ``true``, ``"7"``, ``7.0`` or ``1e1``
  (:class:`StrictInteger`); text holds no control character (:class:`Text`); a time has an
  offset and exists in UTC (:class:`Moment`).

Every schema of the API and of its payloads derives from :class:`StrictSchema` (unknown fields
are refused by name).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from marshmallow import RAISE, Schema, fields

from survey_app.core.inputs import CONTROL, CONTROL_IN_TEXT

_SURROGATE = re.compile(r"[\ud800-\udfff]")
#: Deepest nesting of arrays and objects accepted (ours need 4; Python's parser gives up
#: near 1,000 with a ``RecursionError``).
MAX_DEPTH = 32


class DuplicateKeyError(ValueError):
    """An object names the same key twice (which value was meant cannot be known)."""


class BadTextError(ValueError):
    """A string holds an unpaired surrogate (``\\ud800`` … ``\\udfff``)."""


class TooDeepError(ValueError):
    """Arrays and objects are nested deeper than :data:`MAX_DEPTH`."""

    def __init__(self) -> None:
        super().__init__(f"arrays and objects are nested deeper than {MAX_DEPTH} levels")


class NonFinite:
    """What ``NaN``/``Infinity``/``-Infinity`` parse to: a value no field accepts."""

    def __init__(self, literal: str) -> None:
        self.literal = literal

    def __repr__(self) -> str:
        return self.literal


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise DuplicateKeyError(f"the key {key!r} appears twice in one object")
        result[key] = value
    return result


def _check(value: Any) -> None:
    """Walk ``value`` for strings (keys too) that hold an unpaired surrogate, and for nesting
    deeper than :data:`MAX_DEPTH`."""
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                raise BadTextError("a string holds an unpaired surrogate (\\ud800–\\udfff)")
        elif isinstance(item, dict | list):
            if depth == MAX_DEPTH:
                raise TooDeepError()
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)


def loads(data: bytes) -> Any:
    """Parse a JSON document strictly.

    :raises UnicodeDecodeError: ``data`` is not UTF-8.
    :raises json.JSONDecodeError: not JSON.
    :raises DuplicateKeyError: an object repeats a key.
    :raises BadTextError: a string holds an unpaired surrogate.
    :raises TooDeepError: nested deeper than :data:`MAX_DEPTH`.
    """
    try:
        value = json.loads(data.decode("utf-8"), object_pairs_hook=_object,
                           parse_constant=NonFinite)
    except RecursionError:
        raise TooDeepError() from None
    _check(value)
    return value


class StrictSchema(Schema):
    """Base of every API schema: a field the schema does not declare is an error naming it."""

    class Meta:
        unknown = RAISE


class StrictInteger(fields.Integer):
    """A JSON integer, nothing else: ``true``, ``"7"``, ``7.0``, ``1e1`` and ``NaN`` are refused."""

    default_error_messages = {"invalid": "Not a JSON integer (write digits only, e.g. 7)."}

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None,
                     **kwargs: Any) -> int:
        if type(value) is not int:
            raise self.make_error("invalid")
        return value


class StrictBoolean(fields.Boolean):
    """``true`` or ``false``; not ``1``, ``"yes"`` or ``"true"``."""

    default_error_messages = {"invalid": "Not a JSON boolean (true or false)."}

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None,
                     **kwargs: Any) -> bool:
        if type(value) is not bool:
            raise self.make_error("invalid")
        return value


class Moment(fields.AwareDateTime):
    """An ISO 8601 date and time with its offset, that exists in UTC (``0001-01-01T00:00+01:00``
    does not: it is year 0 there); given back in UTC."""

    default_error_messages = {"range": "Out of range: give a time between the years 1 and 9999 "
                                       "in UTC."}

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None,
                     **kwargs: Any) -> datetime:
        moment = super()._deserialize(value, attr, data, **kwargs)
        try:
            return moment.astimezone(UTC)
        except OverflowError:
            raise self.make_error("range") from None


class Text(fields.String):
    """A JSON string without control characters: none on one line, tab/CR/LF allowed when
    ``multiline`` (a comment, a text answer)."""

    default_error_messages = {
        "invalid": "Not a JSON string.",
        "control": "Contains a control character (such as NUL or a line break).",
    }

    def __init__(self, *, multiline: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.pattern = CONTROL_IN_TEXT if multiline else CONTROL

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None,
                     **kwargs: Any) -> str:
        if not isinstance(value, str):
            raise self.make_error("invalid")
        if self.pattern.search(value):
            raise self.make_error("control")
        return value


def flatten_errors(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's nested messages as ``{"people.3.email": ["…"]}`` (one level of keys)."""
    if isinstance(messages, Mapping):
        flat: dict[str, list[str]] = {}
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            flat.update(flatten_errors(value, name))
        return flat
    if isinstance(messages, list | tuple) and all(isinstance(m, str) for m in messages):
        return {prefix or "_schema": [str(m) for m in messages]}
    return {prefix or "_schema": [str(messages)]}
