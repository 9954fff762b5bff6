"""Creating and finding people."""

from __future__ import annotations

from typing import Any

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select

from survey_app.core.db import db
from survey_app.core.errors import DomainError
from survey_app.people.models import Person, PersonKind


class InvalidPersonError(DomainError):
    """An e-mail, kind, locale or attribute was not acceptable."""


def normalise_email(email: str) -> str:
    """The lower-cased, syntax-checked form of ``email`` (no DNS lookup).

    :raises InvalidPersonError: not an e-mail address.
    """
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        raise InvalidPersonError(f"{email!r} is not a valid e-mail address: {error}") from None


def clean_attributes(attributes: dict[str, Any]) -> dict[str, str]:
    """Segment attributes as short single-line strings.

    :raises InvalidPersonError: a name or value is empty, too long or holds control characters.
    """
    cleaned = {}
    for name, value in attributes.items():
        name, value = str(name).strip(), str(value).strip()
        if not name or len(name) > 64 or len(value) > 200:
            raise InvalidPersonError(f"attribute {name!r}: names 1–64 and values ≤ 200 characters")
        if any(ord(c) < 32 for c in name + value):
            raise InvalidPersonError(f"attribute {name!r} contains control characters")
        cleaned[name] = value
    return cleaned


def get_or_create_person(
    email: str,
    *,
    name: str = "",
    kind: str = PersonKind.CUSTOMER,
    locale: str = "en",
    attributes: dict[str, Any] | None = None,
) -> Person:
    """The person with ``email``, created if new; given attributes are merged in."""
    if kind not in set(PersonKind):
        raise InvalidPersonError(f"kind must be customer or employee, not {kind!r}")
    if locale not in ("en", "it"):
        raise InvalidPersonError(f"locale must be en or it, not {locale!r}")
    email = normalise_email(email)
    person = db.session.scalar(select(Person).where(Person.email == email))
    if person is None:
        person = Person(email=email, name=name.strip(), kind=kind, locale=locale, attributes={})
        db.session.add(person)
    elif name:
        person.name = name.strip()
    if attributes:
        person.attributes = {**person.attributes, **clean_attributes(attributes)}
    db.session.flush()
    return person
