"""Bearer-token authentication and role checks for the API (no cookies, so no CSRF).

``Authorization: Bearer polso_…`` only. A missing, malformed, unknown or revoked token is a 401
with ``WWW-Authenticate: Bearer``; a role the operation does not allow is a 403; an object the
token's role may not see is a 404 (:func:`refuse_hidden`) — the roles and scopes are those of
``accounts.access``, as for staff pages. Refusals of a valid token are logged and audited.
"""

from __future__ import annotations

import http
import logging
from collections.abc import Callable
from copy import deepcopy
from functools import wraps
from typing import Any, NoReturn, TypeVar

from flask import g, request

from survey_app.accounts import api_tokens
from survey_app.accounts.models import ApiToken, Role
from survey_app.api import ratelimit
from survey_app.api.errors import refuse
from survey_app.audit.services import record_api
from survey_app.core.db import db

logger = logging.getLogger("survey_app.security")

F = TypeVar("F", bound=Callable[..., Any])

_CHALLENGE = 'Bearer realm="polso"'
#: The one 404 text, for what does not exist and what the token may not see alike.
HIDDEN = "Nothing here, or not within this token's scope."


def current_token() -> ApiToken:
    """The request's token, authenticated and counted against its rate limit once.

    :raises: 401 problem without a valid ``Authorization: Bearer`` token; 429 past its limit.
    """
    token = g.get("api_token")
    if token is not None:
        return token
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        refuse(401, "Send an API token as 'Authorization: Bearer <token>'.",
               headers={"WWW-Authenticate": _CHALLENGE})
    token = api_tokens.authenticate(secret.strip())
    if token is None:
        refuse(401, "The API token is unknown or revoked.",
               headers={"WWW-Authenticate": f'{_CHALLENGE}, error="invalid_token"'})
    api_tokens.note_use(token)
    g.api_token = token
    ratelimit.check(token)
    return token


def require(*roles: Role) -> Callable[[F], F]:
    """Only tokens acting as one of ``roles`` may call the operation (others: 403)."""
    allowed = frozenset(roles)

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            token = current_token()
            if token.role not in allowed:
                _denied(token, None)
                refuse(403, f"A token with the role {token.role!r} may not do this; it needs "
                            f"one of: {', '.join(sorted(allowed))}.")
            return view(*args, **kwargs)

        wrapper.allowed_roles = allowed  # type: ignore[attr-defined]
        return document(401, 403, 429)(wrapper)  # type: ignore[return-value]

    return decorate


def refuse_hidden(token: ApiToken, target: Any) -> NoReturn:
    """404 for an object outside the token's scope (as if it did not exist); audited."""
    _denied(token, target)
    refuse(404, HIDDEN)


def _denied(token: ApiToken, target: Any) -> None:
    db.session.rollback()
    logger.warning("access.denied: %s %s by %s from %s", request.method, request.path[:200],
                   token.actor, request.remote_addr)
    record_api(token, "access.denied", target, method=request.method, path=request.path[:200])
    db.session.commit()


def document(*statuses: int) -> Callable[[F], F]:
    """Add the standard problem answers for ``statuses`` to the operation's OpenAPI entry."""

    def decorate(view: F) -> F:
        doc = deepcopy(getattr(view, "_apidoc", {}))
        responses = doc.setdefault("response", {}).setdefault("responses", {})
        for status in statuses:
            responses.setdefault(status, []).append(http.HTTPStatus(status).name)
        view._apidoc = doc  # type: ignore[attr-defined]
        return view

    return decorate
