"""E-mailed links: deriving their tokens, recording opens, and telling scanners from people.

Mail security scanners (Safe Links, URL Defense …) open every link of an e-mail within seconds
of its arrival, including links no person can see. The e-mail carries a hidden **honeypot** link
(``/s/<token>/x``); a link history showing the honeypot, or every score button opened within
``SCANNER_BURST_SECONDS``, is scanner activity. A form sent within ``SCANNER_WINDOW_MINUTES`` of
it still counts (a GET never records, so a sent form is a person's act) and carries a note
(``responses.is_after_scanner``); one-click answers of such a link are dropped
(``responses.provisional``).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import cache

from flask import current_app
from sqlalchemy import Select, bindparam, select

from survey_app.core.db import db, utcnow
from survey_app.core.errors import DomainError
from survey_app.core.tokens import derive_token, hash_token, is_well_formed, matches
from survey_app.invitations.models import Invitation, LinkOpen
from survey_app.invitations.services import UnknownLinkError

#: Opens kept per invitation: enough for the heuristics, bounded against reload loops.
MAX_OPENS_PER_INVITATION = 60


class LinkKeyChangedError(DomainError):
    """The token can no longer be derived (``SECRET_KEY`` changed since the invitation)."""


def new_salt() -> str:
    return secrets.token_hex(16)


def token_for_salt(salt: str) -> str:
    return derive_token(current_app.config["SECRET_KEY"], salt)


def link_token(invitation: Invitation) -> str:
    """The token of an e-mailed invitation, derived again from its salt.

    :raises LinkKeyChangedError: no salt, or the secret key changed since it was issued.
    """
    if invitation.token_salt is None:
        raise LinkKeyChangedError("this link was shown once and cannot be e-mailed")
    token = token_for_salt(invitation.token_salt)
    if not matches(invitation.token_hash, token):
        raise LinkKeyChangedError("the secret key changed since this invitation was created")
    return token


def find_by_token(token: str) -> Invitation:
    """The invitation behind ``token`` in any state and survey status (for unsubscribing).

    :raises UnknownLinkError: malformed or unknown token.
    """
    if not is_well_formed(token):
        raise UnknownLinkError()
    invitation = db.session.scalar(
        select(Invitation).where(Invitation.token_hash == hash_token(token)))
    if invitation is None or not matches(invitation.token_hash, token):
        raise UnknownLinkError()
    return invitation


def record_open(invitation: Invitation, *, score: int | None = None, honeypot: bool = False,
                now: datetime | None = None) -> None:
    """Remember one GET of the link; the first real open marks the invitation ``opened``.

    Anonymous surveys keep neither the clicked score nor the time of day of an open.

    The history is judged here, once per open: scanner activity stamps ``scanner_dt``, which
    :func:`looks_automated` compares with the time of an answer.
    """
    now = now or utcnow()
    if not honeypot and invitation.opened_dt is None:
        invitation.opened_dt = now
        if invitation.status in ("queued", "sent"):
            invitation.status = "opened"
    opens = db.session.execute(_history_query(), {"invitation_id": invitation.id}).all()
    if len(opens) >= MAX_OPENS_PER_INVITATION:
        return
    if invitation.survey.is_anonymous:
        # At rest an anonymous link keeps no clicked score and no time of day: with them, the
        # person's invitation would point at the score of their answer.
        score = None
        stored = LinkOpen(invitation_id=invitation.id, is_honeypot=honeypot,
                          opened_dt=now.replace(hour=0, minute=0, second=0, microsecond=0))
    else:
        stored = LinkOpen(invitation_id=invitation.id, score=score, is_honeypot=honeypot,
                          opened_dt=now)
    db.session.add(stored)
    history = sorted([*opens, (now, score, honeypot)], key=lambda row: row[0])
    last = scanner_activity(history, invitation.survey.score_range)
    if last is not None and (invitation.scanner_dt is None or last > invitation.scanner_dt):
        invitation.scanner_dt = last
    db.session.flush()


@cache
def _history_query() -> Select[tuple[datetime, int | None, bool]]:
    """A link's open history, built once (it runs on every open)."""
    opens = LinkOpen.__table__.c  # plain columns: a Core query, no ORM result machinery
    return (select(opens.opened_dt, opens.score, opens.is_honeypot)
            .where(opens.invitation_id == bindparam("invitation_id"))
            .order_by(opens.opened_dt))


def scanner_activity(opens: Sequence[tuple[datetime, int | None, bool]],
                     score_values: range) -> datetime | None:
    """When a link history (opened, score, honeypot) in time order last showed a scanner:
    the honeypot, or every score button opened within ``SCANNER_BURST_SECONDS``."""
    last: datetime | None = None
    burst = timedelta(seconds=current_app.config["SCANNER_BURST_SECONDS"])
    wanted = set(score_values)
    for index, (opened, _score, honeypot) in enumerate(opens):
        if honeypot:
            last = opened if last is None else max(last, opened)
            continue
        seen = {s for when, s, hp in opens[index:] if not hp and when - opened <= burst}
        if wanted <= seen:
            end = max(when for when, s, hp in opens[index:] if when - opened <= burst)
            last = end if last is None else max(last, end)
    return last


def looks_automated(invitation: Invitation, now: datetime | None = None) -> bool:
    """Whether an answer submitted ``now`` through ``invitation`` comes within
    ``SCANNER_WINDOW_MINUTES`` of scanner activity (noted on the answer, not flagged)."""
    if invitation.scanner_dt is None:
        return False
    window = timedelta(minutes=current_app.config["SCANNER_WINDOW_MINUTES"])
    return (now or utcnow()) - invitation.scanner_dt <= window
