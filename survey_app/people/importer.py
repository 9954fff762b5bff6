"""Importing people from CSV: every bad row reported by line, good rows upserted in batches.

Columns (header names are case-insensitive): ``email`` (required), ``name``, ``kind``
(customer|employee), ``locale`` (en|it), ``referral_code`` (a promoter's referral code: a person
the import creates is attributed to that promoter, docs/referrals.md); every other column is a
segment attribute. A person is
matched by e-mail: new addresses are created, known ones updated in place. An empty cell leaves
the stored value unchanged (new people get kind ``customer`` — ``employee`` when only employees
may be imported — and locale ``en``). Unsubscribes and bounces are never touched by an import.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import insert, select, update

from survey_app.core.csvrows import numbered_records
from survey_app.core.db import db, utcnow
from survey_app.core.errors import DomainError
from survey_app.people.models import Person, PersonKind

#: Core columns; anything else is an attribute.
CORE_COLUMNS = ("email", "name", "kind", "locale", "referral_code")
LOCALES = ("en", "it")
KINDS = tuple(PersonKind)
#: Rows written per INSERT/UPDATE round trip.
BATCH_SIZE = 2000
#: Attribute columns a file may have.
MAX_ATTRIBUTES = 30


class ImportFileError(DomainError):
    """The file as a whole cannot be read (encoding, header)."""


class ReferralCodes(Protocol):
    """Resolves and attributes referral codes (the referrals feature, above this layer)."""

    def known(self, codes: list[str]) -> dict[str, int]:
        """``{code: id}`` of the codes that exist."""

    def attribute(self, pairs: list[tuple[str, int]]) -> int:
        """Attribute each (e-mail, code id) new person; returns how many were."""


@dataclass(frozen=True)
class RowError:
    line: int
    reason: str


@dataclass
class ImportResult:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    #: New people attributed to a promoter through the ``referral_code`` column.
    referred: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def imported(self) -> int:
        return self.created + self.updated + self.unchanged


@dataclass
class _Row:
    line: int
    email: str
    name: str
    kind: str
    locale: str
    attributes: dict[str, str]
    referral_code: str = ""


def decode(data: bytes) -> str:
    """The file's text (UTF-8, with or without BOM).

    :raises ImportFileError: not UTF-8; the message names the line.
    """
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[:error.start].count(b"\n") + 1
        raise ImportFileError(
            f"line {line}: the file is not UTF-8 text (save it as \"CSV UTF-8\")") from None


def import_people(
    text: Iterable[str],
    *,
    allowed_kinds: Iterable[str] = KINDS,
    on_batch: Callable[[int], None] | None = None,
    now: datetime | None = None,
    referrals: ReferralCodes | None = None,
) -> ImportResult:
    """Create or update the people in CSV ``text`` (an iterable of lines, e.g. an open file).

    Good rows are written in batches of :data:`BATCH_SIZE` (flushed, never committed);
    ``on_batch(rows_done)`` is called after each batch so the caller may commit and show
    progress. Bad rows are skipped and listed in ``result.errors`` with their line numbers;
    without ``referrals`` a filled ``referral_code`` cell is such an error.

    :raises ImportFileError: no header or no ``email`` column, or a bad attribute column name.
    """
    now = now or utcnow()
    result = ImportResult()
    allowed = frozenset(allowed_kinds)
    seen: dict[str, int] = {}
    batch: list[_Row] = []
    for item in _rows(text, result):
        if isinstance(item, RowError):
            result.errors.append(item)
            continue
        if item.kind and item.kind not in allowed:
            kinds = " and ".join(sorted(allowed))
            result.errors.append(RowError(item.line, f"kind: you may import only {kinds} "
                                                     f"people, not {item.kind!r}"))
            continue
        first = seen.get(item.email)
        if first is not None:
            result.errors.append(RowError(item.line, f"duplicate: {item.email} is already on "
                                                     f"line {first}"))
            continue
        seen[item.email] = item.line
        batch.append(item)
        if len(batch) >= BATCH_SIZE:
            _write(batch, result, allowed, now, referrals)
            batch = []
            if on_batch:
                on_batch(result.rows)
    if batch:
        _write(batch, result, allowed, now, referrals)
    if on_batch:
        on_batch(result.rows)
    return result


def _rows(text: Iterable[str], result: ImportResult) -> Iterator[_Row | RowError]:
    reader = csv.reader(io.StringIO(text) if isinstance(text, str) else text, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise ImportFileError("the file is empty: the first line must name the columns, "
                              "e.g. email,name,kind,locale,team") from None
    except csv.Error as error:
        raise ImportFileError(f"line 1: {error}") from None
    columns = _columns(header)
    for start, record in numbered_records(reader):
        result.rows += 1
        if isinstance(record, csv.Error):
            yield RowError(start, f"not valid CSV ({record})")
        else:
            yield _parse(start, record, columns)


def _columns(header: list[str]) -> list[str]:
    columns = [name.strip() for name in header]
    lowered = [name.lower() for name in columns]
    if "email" not in lowered:
        raise ImportFileError("line 1: there is no \"email\" column (the first line must name "
                              "the columns, e.g. email,name,kind,locale,team)")
    result = []
    for name, low in zip(columns, lowered, strict=True):
        if low in CORE_COLUMNS:
            result.append(low)
            continue
        if not name or len(name) > 64 or any(ord(c) < 32 for c in name):
            raise ImportFileError(f"line 1: column name {name!r} must be 1–64 characters on "
                                  "one line")
        result.append(name)
    if len(set(result)) != len(result):
        raise ImportFileError("line 1: a column name appears twice")
    if len(result) - len(set(result) & set(CORE_COLUMNS)) > MAX_ATTRIBUTES:
        raise ImportFileError(f"line 1: at most {MAX_ATTRIBUTES} attribute columns")
    return result


def _parse(line: int, record: list[str], columns: list[str]) -> _Row | RowError:
    if len(record) != len(columns):
        return RowError(line, f"{len(record)} fields, but the header has {len(columns)}")
    values = dict(zip(columns, record, strict=True))
    for name, value in values.items():
        if "\n" in value or "\r" in value:
            return RowError(line, f"{name}: a line break inside a field is not allowed")
        if "\x00" in value or any(ord(c) < 32 and c != "\t" for c in value):
            return RowError(line, f"{name}: contains control characters")
    raw_email = values["email"].strip()
    if not raw_email:
        return RowError(line, "email: missing")
    try:
        email = validate_email(raw_email, check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        return RowError(line, f"email: {raw_email!r} is not a valid e-mail address ({error})")
    name = values.get("name", "").strip()
    if len(name) > 200:
        return RowError(line, "name: at most 200 characters")
    kind = values.get("kind", "").strip().lower()
    if kind and kind not in KINDS:
        return RowError(line, f"kind: {kind!r} is not customer or employee")
    locale = values.get("locale", "").strip().lower()
    if locale and locale not in LOCALES:
        return RowError(line, f"locale: {locale!r} is not one of {', '.join(LOCALES)}")
    referral_code = values.get("referral_code", "").strip()
    if len(referral_code) > 64:
        return RowError(line, "referral_code: at most 64 characters")
    attributes = {}
    for column in columns:
        if column in CORE_COLUMNS:
            continue
        value = values[column].strip()
        if len(value) > 200:
            return RowError(line, f"{column}: at most 200 characters")
        if value:
            attributes[column] = value
    return _Row(line, email, name, kind, locale, attributes, referral_code)


def _write(batch: list[_Row], result: ImportResult, allowed: frozenset[str],
           now: datetime, referrals: ReferralCodes | None) -> None:
    batch, codes = _with_known_codes(batch, result, referrals)
    existing = {
        row.email: row for row in db.session.execute(
            select(Person.id, Person.email, Person.name, Person.kind, Person.locale,
                   Person.attributes).where(Person.email.in_([r.email for r in batch])))
    }
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for row in batch:
        old = existing.get(row.email)
        if old is None:
            default_kind = next(iter(allowed)) if len(allowed) == 1 else PersonKind.CUSTOMER
            inserts.append({"email": row.email, "name": row.name,
                            "kind": row.kind or default_kind, "locale": row.locale or "en",
                            "attributes": row.attributes, "created_dt": now})
            continue
        if old.kind not in allowed:
            result.errors.append(RowError(row.line, f"{row.email} is a {old.kind}: you may not "
                                                    "change them"))
            continue
        new = {"name": row.name or old.name, "kind": row.kind or old.kind,
               "locale": row.locale or old.locale,
               "attributes": {**(old.attributes or {}), **row.attributes}}
        if (new["name"], new["kind"], new["locale"], new["attributes"]) == (
                old.name, old.kind, old.locale, old.attributes):
            result.unchanged += 1
            continue
        updates.append({"id": old.id, **new})
    if inserts:
        db.session.execute(insert(Person), inserts)
        result.created += len(inserts)
        if referrals is not None:
            created = {row["email"] for row in inserts}
            result.referred += referrals.attribute([
                (row.email, codes[row.referral_code]) for row in batch
                if row.referral_code and row.email in created])
    if updates:
        db.session.execute(update(Person), updates)
        result.updated += len(updates)
    db.session.flush()



def _with_known_codes(batch: list[_Row], result: ImportResult,
                      referrals: ReferralCodes | None) -> tuple[list[_Row], dict[str, int]]:
    """The rows whose referral code (if any) exists, and the codes' ids; the other rows become
    line errors."""
    codes = [row.referral_code for row in batch if row.referral_code]
    if not codes:
        return batch, {}
    known = referrals.known(codes) if referrals is not None else {}
    kept = []
    for row in batch:
        if row.referral_code and row.referral_code not in known:
            result.errors.append(RowError(row.line, f"referral_code: {row.referral_code!r} is "
                                                    "not a referral code"))
        else:
            kept.append(row)
    return kept, known
