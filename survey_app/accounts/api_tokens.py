"""API tokens: create (the secret is returned once), find by secret, note use, revoke."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select, update
from sqlalchemy.orm.attributes import set_committed_value

from survey_app.accounts.models import ApiToken, Role, User
from survey_app.core.db import commit_keeping_loaded, db, utcnow
from survey_app.core.errors import DomainError, NotFoundError
from survey_app.core.inputs import CONTROL
from survey_app.core.tokens import hash_api_token, is_api_token, new_api_token

logger = logging.getLogger(__name__)

#: Longest token name (characters).
NAME_MAX_LENGTH = 64
#: ``last_used_dt`` is written at most this often per token: one small UPDATE a minute
#: instead of one per request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class ApiTokenError(DomainError):
    """A token name or role was not acceptable."""


class UnknownApiTokenError(NotFoundError):
    """No token in use has that name or id."""


def clean_name(name: str) -> str:
    """``name`` trimmed; :raises ApiTokenError: empty, too long, all digits (an id) or not
    on one line."""
    name = (name or "").strip()
    if not name or len(name) > NAME_MAX_LENGTH or CONTROL.search(name):
        raise ApiTokenError(_l("Give the token a name of 1 to %(max)s characters on one line.",
                               max=NAME_MAX_LENGTH))
    if name.isdigit():
        raise ApiTokenError(_l("A token name cannot be only digits (ids are numbers)."))
    return name


def create_token(name: str, role: str, *, by: User | None = None,
                 now: datetime | None = None) -> tuple[ApiToken, str]:
    """A new token acting as ``role``; returns it and its secret (shown once, never stored).

    :raises ApiTokenError: bad name or role, or the name is in use by an active token.
    """
    name = clean_name(name)
    if role not in set(Role):
        raise ApiTokenError(_l("The role must be one of: %(roles)s.", roles=", ".join(Role)))
    taken = db.session.scalar(select(ApiToken.id).where(ApiToken.name == name,
                                                        ApiToken.revoked_dt.is_(None)))
    if taken is not None:
        raise ApiTokenError(_l("A token named %(name)s is in use; revoke it or choose another "
                               "name.", name=name))
    secret = new_api_token()
    token = ApiToken(name=name, role=role, token_hash=hash_api_token(secret),
                     created_by_id=by.id if by else None, created_dt=now or utcnow())
    db.session.add(token)
    db.session.flush()
    logger.info("API token %s (%s) created", token.id, role)
    return token, secret


def authenticate(secret: str) -> ApiToken | None:
    """The active token whose secret is ``secret``, or ``None`` (malformed, unknown, revoked)."""
    if not is_api_token(secret):
        return None
    return db.session.scalar(select(ApiToken).where(
        ApiToken.token_hash == hash_api_token(secret), ApiToken.revoked_dt.is_(None)))


def note_use(token: ApiToken, now: datetime | None = None) -> bool:
    """Set and commit ``last_used_dt`` if it is older than :data:`LAST_USED_RESOLUTION`;
    ``True`` if a row was written. Concurrent requests write it once.

    The write gets a transaction of its own, the UPDATE its first statement (the read that
    found the token is ended first, the token kept loaded): on SQLite a read transaction cannot
    turn into a write once another process has committed since it began ("database is locked",
    whatever the busy timeout).
    """
    now = now or utcnow()
    stale = now - LAST_USED_RESOLUTION
    if token.last_used_dt is not None and token.last_used_dt > stale:
        return False
    token_id = token.id
    commit_keeping_loaded()  # no reload of the token: the UPDATE must be the first statement
    written = db.session.execute(
        update(ApiToken)
        .where(ApiToken.id == token_id,
               or_(ApiToken.last_used_dt.is_(None), ApiToken.last_used_dt <= stale))
        .values(last_used_dt=now)
        .execution_options(synchronize_session=False)).rowcount
    commit_keeping_loaded()
    set_committed_value(token, "last_used_dt", now)  # written above; no reload for it
    return written == 1


def find_active(name_or_id: str) -> ApiToken:
    """The token in use named ``name_or_id``, or with that id (digits).

    :raises UnknownApiTokenError: none.
    """
    query = select(ApiToken).where(ApiToken.revoked_dt.is_(None))
    if name_or_id.isascii() and name_or_id.isdigit() and len(name_or_id) < 10:
        query = query.where(ApiToken.id == int(name_or_id))
    else:
        query = query.where(ApiToken.name == name_or_id.strip())
    token = db.session.scalar(query)
    if token is None:
        raise UnknownApiTokenError(_l("No token in use is called %(name)s.", name=name_or_id))
    return token


def revoke(token: ApiToken, now: datetime | None = None) -> bool:
    """Revoke ``token`` at once; ``False`` if it already was."""
    if token.revoked_dt is not None:
        return False
    token.revoked_dt = now or utcnow()
    db.session.flush()
    logger.info("API token %s revoked", token.id)
    return True


def all_tokens() -> list[ApiToken]:
    """Every token, those in use first, newest first."""
    return list(db.session.scalars(select(ApiToken).order_by(
        ApiToken.revoked_dt.is_not(None), ApiToken.created_dt.desc(), ApiToken.id.desc())))
