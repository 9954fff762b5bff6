"""Signed, single-use, expiring links that let a staff user set a password by e-mail.

Two purposes share one form: an **invitation** (a new user sets their first password) and a
**password reset**. The token is signed with ``SECRET_KEY`` (itsdangerous) and carries the user
id, the purpose and a fingerprint of the user's password hash and session version: setting a
password (or a role change, deactivation, a newer invitation) changes the fingerprint, so a link
works once and only while nothing changed. Lifetimes: ``INVITATION_LIFETIME_HOURS`` and
``PASSWORD_RESET_LIFETIME_MINUTES``.
"""

from __future__ import annotations

import hashlib
import time
from datetime import timedelta
from enum import StrEnum

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeTimedSerializer

from survey_app.accounts.models import User
from survey_app.core.db import db
from survey_app.core.errors import DomainError


class Purpose(StrEnum):
    INVITATION = "invitation"
    RESET = "reset"


class LinkInvalidError(DomainError):
    """The link is forged, expired, already used or no longer matches the account."""


INVALID = _l("This link has expired or has already been used.")


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="polso.account-link")


def lifetime(purpose: Purpose) -> timedelta:
    if purpose == Purpose.INVITATION:
        return timedelta(hours=current_app.config["INVITATION_LIFETIME_HOURS"])
    return timedelta(minutes=current_app.config["PASSWORD_RESET_LIFETIME_MINUTES"])


def _fingerprint(user: User) -> str:
    state = f"{user.session_version}:{user.password_hash}:{int(user.is_active)}"
    return hashlib.sha256(state.encode()).hexdigest()[:20]


def make_url(user: User, purpose: Purpose) -> str:
    """The absolute link (under ``BASE_URL``) for ``user`` to set a password."""
    token = _serializer().dumps([user.id, str(purpose), _fingerprint(user)])
    return f"{current_app.config['BASE_URL'].rstrip('/')}/password/set/{token}"


def user_for(token: str) -> tuple[User, Purpose]:
    """The user and purpose of a valid, unused, unexpired link.

    :raises LinkInvalidError: anything else (one message for all: it tells a guesser nothing).
    """
    try:
        (user_id, purpose, fingerprint), signed = _serializer().loads(
            token[:500], return_timestamp=True)
        purpose = Purpose(purpose)
    except (BadSignature, ValueError, TypeError):
        raise LinkInvalidError(INVALID) from None
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    if (user is None or fingerprint != _fingerprint(user)
            or signed.timestamp() + lifetime(purpose).total_seconds() < time.time()
            or (purpose == Purpose.RESET and not user.is_active)):
        raise LinkInvalidError(INVALID)
    return user, purpose
