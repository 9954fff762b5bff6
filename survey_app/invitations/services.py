"""Issuing personal links and resolving them back to invitations."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import joinedload

from survey_app.core.db import db, utcnow
from survey_app.core.errors import DomainError, NotFoundError
from survey_app.core.tokens import hash_token, is_well_formed, matches, new_token
from survey_app.invitations.models import Invitation, InvitationStatus
from survey_app.people.models import Person
from survey_app.surveys.models import Survey, SurveyStatus, Wave


class UnknownLinkError(NotFoundError):
    """No invitation has that token (or the survey is not open to anyone yet)."""


class LinkExpiredError(DomainError):
    """The invitation is past its lifetime."""


class SurveyClosedError(DomainError):
    """The survey no longer takes answers."""


def create_invitation(
    survey: Survey, person: Person, *, wave: Wave | None = None, now: datetime | None = None
) -> tuple[Invitation, str]:
    """A new invitation and its token; the token is returned once and never stored."""
    now = now or utcnow()
    token = new_token()
    invitation = Invitation(
        survey=survey,
        person=person,
        wave_id=wave.id if wave else None,
        token_hash=hash_token(token),
        status=InvitationStatus.SENT,
        created_dt=now,
        expires_dt=now + timedelta(days=survey.link_lifetime_days),
    )
    db.session.add(invitation)
    db.session.flush()
    return invitation, token


@cache
def link_query() -> Select[tuple[Invitation]]:
    """The invitation whose hash is the ``token_hash`` parameter, with its person, survey and
    questions: one query, built once (building and keying it per request cost ~0.5 ms)."""
    return (select(Invitation)
            .where(Invitation.token_hash == bindparam("token_hash"))
            .options(joinedload(Invitation.person),
                     joinedload(Invitation.survey).joinedload(Survey.questions)))


def verified(invitation: Invitation | None, token: str) -> Invitation:
    """``invitation`` if it really is ``token``'s and its survey is open to anyone.

    :raises UnknownLinkError: malformed or unknown token, or a draft survey.
    """
    if invitation is None or not matches(invitation.token_hash, token):
        raise UnknownLinkError()
    if invitation.survey.status == SurveyStatus.DRAFT:
        raise UnknownLinkError()
    return invitation


def find_invitation(token: str) -> Invitation:
    """The invitation behind ``token``, whatever its state.

    :raises UnknownLinkError: malformed or unknown token, or a draft survey.
    """
    if not is_well_formed(token):
        raise UnknownLinkError()
    result = db.session.execute(link_query(), {"token_hash": hash_token(token)})
    return verified(result.unique().scalar_one_or_none(), token)


def check_open(invitation: Invitation, now: datetime | None = None) -> None:
    """:raises SurveyClosedError, LinkExpiredError: the link no longer takes new answers."""
    if invitation.survey.status == SurveyStatus.CLOSED:
        raise SurveyClosedError()
    if invitation.expires_dt <= (now or utcnow()):
        raise LinkExpiredError()


def responded(invitation: Invitation, now: datetime | None = None) -> dict[str, Any]:
    """The new values of an invitation that was answered (no time for anonymous surveys)."""
    values: dict[str, Any] = {"status": InvitationStatus.RESPONDED}
    if not invitation.survey.is_anonymous:
        values["responded_dt"] = now or utcnow()
    return values
