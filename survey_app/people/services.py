"""Creating and finding people."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import insert, select

from survey_app.core.db import db, utcnow
from survey_app.core.errors import DomainError
from survey_app.people.models import Person, PersonKind
from survey_app.people.signals import person_unsubscribed

logger = logging.getLogger(__name__)


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


@dataclass(frozen=True)
class PersonDetails:
    """What another system says about a person (API triggers): ``None`` = leave as it is."""

    #: Already normalised (:func:`normalise_email`).
    email: str
    name: str | None = None
    locale: str | None = None
    attributes: dict[str, str] = field(default_factory=dict)


#: People read per ``IN (…)`` query.
_LOOKUP_BATCH = 500


def upsert_people(details: Sequence[PersonDetails], *, kind: str,
                  default_locale: str = "en") -> list[Person]:
    """The people ``details`` describe, in order: created (as ``kind``, in ``default_locale``
    unless one is given) or updated — a given name or language replaces the old one, given
    attributes are merged in (as :func:`get_or_create_person` does). A person of the other
    kind is left as they are: whoever triggers an employee survey may not edit a customer,
    nor the other way round. One query per 500 people.

    :raises InvalidPersonError: bad kind, locale, name or attributes, or an e-mail twice.
    """
    if kind not in set(PersonKind):
        raise InvalidPersonError(f"kind must be customer or employee, not {kind!r}")
    emails = [d.email for d in details]
    if len(set(emails)) != len(emails):
        raise InvalidPersonError("each person may be given once")
    found = _people_by_email(emails)
    new_rows = []
    now = utcnow()
    for item in details:
        locale = item.locale or None
        if locale is not None and locale not in ("en", "it"):
            raise InvalidPersonError(f"locale must be en or it, not {locale!r}")
        name = (item.name or "").strip()
        if len(name) > 200 or any(ord(c) < 32 for c in name):
            raise InvalidPersonError("name: at most 200 characters, on one line")
        attributes = clean_attributes(item.attributes) if item.attributes else {}
        person = found.get(item.email)
        if person is None:
            new_rows.append({"email": item.email, "name": name, "kind": kind,
                             "locale": locale or default_locale, "attributes": attributes,
                             "created_dt": now})
            continue
        if person.kind != kind:
            continue
        person.name = name or person.name
        person.locale = locale or person.locale
        if attributes:
            person.attributes = {**person.attributes, **attributes}
    if new_rows:
        # Core INSERTs, then one read back: the unit of work would insert them one by one
        # (it needs each new key in order), ~3× the cost of the rest of a bulk trigger.
        for start in range(0, len(new_rows), _LOOKUP_BATCH):
            db.session.execute(insert(Person), new_rows[start:start + _LOOKUP_BATCH])
        found.update(_people_by_email([row["email"] for row in new_rows]))
    db.session.flush()
    return [found[email] for email in emails]


def _people_by_email(emails: Sequence[str]) -> dict[str, Person]:
    found: dict[str, Person] = {}
    for start in range(0, len(emails), _LOOKUP_BATCH):
        chunk = list(emails[start:start + _LOOKUP_BATCH])
        found.update((p.email, p) for p in db.session.scalars(
            select(Person).where(Person.email.in_(chunk))))
    return found


def unsubscribe(person: Person, now: datetime | None = None) -> bool:
    """Stop every survey e-mail to ``person``; ``False`` if they already were unsubscribed."""
    if person.unsubscribed_dt is not None:
        return False
    person.unsubscribed_dt = now or utcnow()
    db.session.flush()
    person_unsubscribed.send(person)
    logger.info("person %s unsubscribed", person.id)
    return True


def mark_bounced(person: Person, now: datetime | None = None) -> None:
    """A mail server refused the address permanently: send nothing more until it is fixed."""
    if person.bounced_dt is None:
        person.bounced_dt = now or utcnow()
        db.session.flush()
        logger.info("person %s marked bounced", person.id)


def update_person(
    person: Person,
    *,
    name: str,
    kind: str,
    locale: str,
    attributes: dict[str, Any],
    unsubscribe: bool = False,
    clear_bounce: bool = False,
    now: datetime | None = None,
) -> Person:
    """Edit a person; ``attributes`` replaces the old ones.

    Staff may unsubscribe a person (on their request) but never re-subscribe one: only consent
    given again by the person could do that, and Polso has no such flow.

    :raises InvalidPersonError: bad kind, locale, name or attributes.
    """
    if kind not in set(PersonKind):
        raise InvalidPersonError(f"kind must be customer or employee, not {kind!r}")
    if locale not in ("en", "it"):
        raise InvalidPersonError(f"locale must be en or it, not {locale!r}")
    name = name.strip()
    if len(name) > 200 or any(ord(c) < 32 for c in name):
        raise InvalidPersonError("name: at most 200 characters, on one line")
    person.name, person.kind, person.locale = name, kind, locale
    person.attributes = clean_attributes(attributes)
    if unsubscribe and person.unsubscribed_dt is None:
        person.unsubscribed_dt = now or utcnow()
    if clear_bounce:
        person.bounced_dt = None
    db.session.flush()
    return person
