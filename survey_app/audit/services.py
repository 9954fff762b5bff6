"""Recording audit events; every feature calls :func:`record` for a change a person made."""

from __future__ import annotations

import getpass
import json
import logging
from datetime import datetime
from typing import Any

from flask import has_request_context, request

from survey_app.accounts.models import ApiToken, User
from survey_app.audit.models import AuditEvent
from survey_app.core.db import db, utcnow

logger = logging.getLogger(__name__)

#: Detail keys that must never reach the log, whatever a caller passes.
FORBIDDEN_DETAILS = frozenset({"password", "password_hash", "new_password", "token", "comment",
                               "comments", "person_id", "invitation_id", "email_of_respondent"})


def record(actor: User | None, action: str, target: Any = None, *, at: datetime | None = None,
           **details: Any) -> AuditEvent:
    """Add an audit event for ``actor`` doing ``action`` to ``target`` (flushed, not committed).

    ``at`` dates it when the action happened earlier than now (a service given ``now=``).

    ``target`` is a model instance (its class name and id are kept) or a ``(type, id)`` pair.
    ``details`` must be small and JSON-friendly (other values are stored as text); keys that
    could carry secrets or respondent identities are refused.

    :raises ValueError: a forbidden detail key was given.
    """
    forbidden = FORBIDDEN_DETAILS & details.keys()
    if forbidden:
        raise ValueError(f"audit details must not contain {sorted(forbidden)}")
    target_type, target_id = _target(target)
    event = AuditEvent(
        actor_id=actor.id if actor is not None else None,
        action=action,
        target_type=target_type,
        target_id=target_id,
        details=json.loads(json.dumps(details, default=str)),
        ip=request.remote_addr if has_request_context() else None,
        created_dt=at or utcnow(),
    )
    db.session.add(event)
    db.session.flush()
    logger.info("audit: %s by user %s on %s:%s", action, event.actor_id, target_type, target_id)
    return event


def record_cli(action: str, target: Any = None, **details: Any) -> AuditEvent:
    """:func:`record` for a ``polso`` command: no staff user, ``via: cli`` and the OS user.

    Commands run on the server by whoever can log in there, so the operating-system account is
    the only identity there is (docs/roles.md).
    """
    return record(None, action, target, via="cli", os_user=_os_user(), **details)


def record_api(token: ApiToken, action: str, target: Any = None, **details: Any) -> AuditEvent:
    """:func:`record` for an API request: no staff user, ``via: api`` and the token's name
    (``by: token:NAME``) and id — a token is revoked, not deleted, so the id stays valid."""
    return record(None, action, target, via="api", by=token.actor, api_token_id=token.id,
                  **details)


def record_job(action: str, target: Any = None, **details: Any) -> AuditEvent:
    """:func:`record` for a background job: no staff user, ``via: job``."""
    return record(None, action, target, via="job", **details)


def _os_user() -> str:
    try:
        return getpass.getuser()
    except OSError:  # no login name (e.g. a container without a passwd entry)
        return "unknown"


def _target(target: Any) -> tuple[str | None, int | None]:
    if target is None:
        return None, None
    if isinstance(target, tuple):
        kind, ident = target
        return str(kind), int(ident)
    return type(target).__name__.lower(), target.id
