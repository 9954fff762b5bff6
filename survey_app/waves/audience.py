"""Who a wave asks: the survey's kind of person, attribute filters, and who is skipped and why.

Skip reasons, first match wins: ``unsubscribed``, ``bounced``, ``throttled`` (invited by any
survey within the sending survey's ``throttle_days``; a failed e-mail does not count) and
``open_case`` (a follow-up case about them is still open). All of it is one SQL query.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, and_, case, exists, func, literal, select

from survey_app.core.db import db
from survey_app.core.errors import DomainError
from survey_app.followups.models import FollowUp
from survey_app.followups.services import OPEN_STATUSES
from survey_app.invitations.models import Invitation, InvitationStatus
from survey_app.people.models import Person
from survey_app.surveys.models import Survey

#: Skip reasons in the order they are checked.
SKIP_REASONS = ("unsubscribed", "bounced", "throttled", "open_case")
#: Attribute conditions one audience may have.
MAX_CONDITIONS = 20


class InvalidAudienceError(DomainError):
    """An attribute filter could not be read."""


@dataclass(frozen=True)
class Audience:
    """People of ``kind`` whose attributes match ``where`` (values of a name OR, names AND)."""

    kind: str
    where: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "where": {k: list(v) for k, v in self.where.items()}}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Audience:
        return cls(data["kind"], {k: tuple(v) for k, v in (data.get("where") or {}).items()})

    def describe(self) -> str:
        conditions = [f"{k} = {' or '.join(v)}" for k, v in sorted(self.where.items())]
        return ", ".join([self.kind, *conditions])


def kind_for(survey: Survey) -> str:
    """Customer surveys ask customers, employee surveys employees."""
    return "employee" if survey.audience == "employees" else "customer"


def parse_where(pairs: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """``["team=Support", "team=Sales", "region=north"]`` → ``{"team": ("Support", "Sales"), …}``.

    :raises InvalidAudienceError: a condition without ``=``, empty, or too many of them.
    """
    where: dict[str, list[str]] = {}
    count = 0
    for number, pair in enumerate(pairs, start=1):
        if not pair.strip():
            continue
        name, sep, value = pair.partition("=")
        name, value = name.strip(), value.strip()
        if not sep or not name or not value:
            raise InvalidAudienceError(_(
                "condition %(number)s: write NAME=VALUE, e.g. team=Support (not “%(given)s”)",
                number=number, given=pair.strip()[:70]))
        if len(name) > 64 or len(value) > 200 or any(ord(c) < 32 for c in name + value):
            raise InvalidAudienceError(_("condition %(number)s: too long or not on one line",
                                         number=number))
        count += 1
        where.setdefault(name, [])
        if value not in where[name]:
            where[name].append(value)
    if count > MAX_CONDITIONS:
        raise InvalidAudienceError(_("at most %(n)s conditions", n=MAX_CONDITIONS))
    return {name: tuple(values) for name, values in where.items()}


def _matches(audience: Audience) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [Person.kind == audience.kind]
    for name, values in audience.where.items():
        conditions.append(Person.attributes[name].as_string().in_(values))
    return conditions


def skip_reason(survey: Survey, now: datetime) -> ColumnElement[Any]:
    """A SQL expression: why a person is skipped, or NULL if they will be invited."""
    whens: list[tuple[ColumnElement[bool], Any]] = [
        (Person.unsubscribed_dt.is_not(None), literal("unsubscribed")),
        (Person.bounced_dt.is_not(None), literal("bounced")),
    ]
    if survey.throttle_days > 0:
        since = now - timedelta(days=survey.throttle_days)
        recent = exists().where(Invitation.person_id == Person.id, Invitation.created_dt > since,
                                Invitation.status != InvitationStatus.FAILED)
        whens.append((recent, literal("throttled")))
    open_case = exists().where(FollowUp.person_id == Person.id,
                               FollowUp.status.in_(OPEN_STATUSES))
    whens.append((open_case, literal("open_case")))
    return case(*whens, else_=None)


@dataclass
class Preview:
    audience: Audience
    invited: int
    skipped: dict[str, int]

    @property
    def total(self) -> int:
        return self.invited + sum(self.skipped.values())


def preview(survey: Survey, audience: Audience, now: datetime) -> Preview:
    """How many of ``audience`` would be invited now, and how many skipped for each reason."""
    reason = skip_reason(survey, now).label("reason")
    inner = select(reason).where(and_(*_matches(audience))).subquery()
    counts = dict(db.session.execute(
        select(inner.c.reason, func.count()).group_by(inner.c.reason)).all())
    return Preview(audience, counts.pop(None, 0),
                   {r: counts.get(r, 0) for r in SKIP_REASONS})


def invitee_ids(survey: Survey, audience: Audience, now: datetime) -> list[int]:
    """Ids of the people a wave sent now would invite, in id order."""
    reason = skip_reason(survey, now)
    query = select(Person.id).where(*_matches(audience), reason.is_(None)).order_by(Person.id)
    return list(db.session.scalars(query))


def attribute_names() -> list[str]:
    """Attribute names in use (for hints on the pages); reads at most 5,000 people."""
    names: set[str] = set()
    for (attributes,) in db.session.execute(select(Person.attributes).limit(5000)):
        names.update(attributes or {})
    return sorted(names)

