"""The commit boundary of every API POST, replayable with ``Idempotency-Key`` (Stripe's rules).

- No key: the operation runs, commits once, then runs its after-commit side effects.
- A new key: its row is inserted and **committed first** as "in flight"; the operation runs; its
  answer (success or a 4xx refusal by a rule) is stored on the row in the operation's own
  commit, so the work and the stored answer are written together or not at all.
- The same key and the same request (method, path, body): the stored answer is replayed with
  ``Idempotent-Replayed: true`` and nothing runs again — a retried trigger sends no second
  e-mail. The same key with another request: 422. The same key while the first request is
  still in flight (in any process: the row is in the database): 409.
- A server error (5xx) or a passing refusal (409 conflict, 429 too many) deletes the row, so
  the client may retry with the same key. Requests refused before the operation starts (401,
  403, 415, 422 of the body) store nothing.
- Keys are kept :data:`KEY_LIFETIME`; :func:`purge` (a periodic job) deletes older ones.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import wraps
from typing import Any, TypeVar

from flask import Response, current_app, g, request
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from survey_app.accounts.models import ApiToken
from survey_app.api.auth import current_token, document
from survey_app.api.errors import as_problem, refuse
from survey_app.api.models import IdempotencyKey
from survey_app.core.db import db, utcnow

F = TypeVar("F", bound=Callable[..., Any])

#: How long a key is remembered.
KEY_LIFETIME = timedelta(hours=24)
#: 1–255 visible ASCII characters (a UUID is the usual choice).
KEY_PATTERN = re.compile(r"[\x21-\x7e]{1,255}")
HEADER = "Idempotency-Key"
#: Answers that say "not now" rather than "no": never replayed, the key is freed instead.
PASSING = frozenset({409, 429})
#: How the OpenAPI document describes the header.
KEY_PARAMETER = {
    "in": "header", "name": HEADER, "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"},
    "description": "Makes a retry safe: the same key and body replay the first answer "
                   "(Idempotent-Replayed: true) for 24 hours.",
}


def after_commit(callback: Callable[[], Any]) -> None:
    """Run ``callback`` once the operation's work is committed (enqueue e-mails, webhooks)."""
    g.setdefault("api_after_commit", []).append(callback)


def idempotent(view: F) -> F:
    """Make ``view`` (below flask-smorest's ``response``) the commit boundary of a POST."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Response:
        token = current_token()
        key = request.headers.get(HEADER)
        row = None
        if key is not None:
            row, replay = _claim(token, key, _fingerprint())
            if replay is not None:
                return replay
        return _run(view, args, kwargs, row)

    wrapper = document(400, 404, 409, 413, 415, 422)(wrapper)  # 422: a reused key
    manual = wrapper._apidoc.setdefault("manual_doc", {})  # type: ignore[attr-defined]
    manual.setdefault("parameters", []).append(KEY_PARAMETER)
    return wrapper  # type: ignore[return-value]


def _fingerprint() -> str:
    digest = hashlib.sha256(f"{request.method}\n{request.path}\n".encode())
    digest.update(request.get_data(cache=True))
    return digest.hexdigest()


def _claim(token: ApiToken, key: str, fingerprint: str,
           now: datetime | None = None) -> tuple[IdempotencyKey | None, Response | None]:
    """Insert and commit the key's row, or find the earlier one: ``(row, None)`` to run the
    operation, ``(None, answer)`` to replay; :raises: 409 in flight, 422 another request."""
    if not KEY_PATTERN.fullmatch(key):
        refuse(400, f"{HEADER} must be 1 to 255 visible ASCII characters (e.g. a UUID).",
               slug="invalid-idempotency-key")
    now = now or utcnow()
    db.session.execute(delete(IdempotencyKey).where(
        IdempotencyKey.token_id == token.id, IdempotencyKey.key == key,
        IdempotencyKey.created_dt < now - KEY_LIFETIME))
    row = IdempotencyKey(token_id=token.id, key=key, fingerprint=fingerprint, created_dt=now)
    db.session.add(row)
    try:
        db.session.commit()
        return row, None
    except IntegrityError:
        db.session.rollback()
    earlier = db.session.scalar(select(IdempotencyKey).where(
        IdempotencyKey.token_id == token.id, IdempotencyKey.key == key))
    if earlier is None:  # deleted meanwhile (its request failed): the client may retry
        refuse(409, "A request with this Idempotency-Key just failed; send it again.",
               slug="idempotency-key-in-use")
    if earlier.fingerprint != fingerprint:
        refuse(422, f"This {HEADER} was used with another request (method, path or body); "
                    "use a new key for a new request.", slug="idempotency-key-reused")
    if earlier.status_code is None:
        refuse(409, f"A request with this {HEADER} is still in progress; retry later.",
               slug="idempotency-key-in-use", headers={"Retry-After": "1"})
    replay = current_app.response_class(earlier.response_body, status=earlier.status_code,
                                        content_type=earlier.content_type)
    replay.headers["Idempotent-Replayed"] = "true"
    return None, replay


def _run(view: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any],
         row: IdempotencyKey | None) -> Response:
    try:
        response = view(*args, **kwargs)
    except Exception as error:
        db.session.rollback()
        response = as_problem(error)
        if response is None:  # a server error: forget the key so the client can retry
            _release(row)
            raise
        if response.status_code in PASSING:
            _release(row)
            return response
    if row is not None:  # committed before the work, so still in the session after a rollback
        row.status_code = response.status_code
        row.response_body = response.get_data(as_text=True)
        row.content_type = response.content_type
    db.session.commit()
    for callback in g.pop("api_after_commit", []):
        callback()
    return response


def _release(row: IdempotencyKey | None) -> None:
    if row is None:
        return
    db.session.execute(delete(IdempotencyKey).where(IdempotencyKey.id == row.id))
    db.session.commit()


def purge(now: datetime | None = None) -> int:
    """Delete keys older than :data:`KEY_LIFETIME` (flushes; the job commits)."""
    cutoff = (now or utcnow()) - KEY_LIFETIME
    return db.session.execute(
        delete(IdempotencyKey).where(IdempotencyKey.created_dt < cutoff)).rowcount or 0
