"""The security log: authorization and CSRF refusals, as log lines and audit events.

Every refusal is logged (logger ``survey_app.security``); a refusal of a signed-in staff user is
also an audit event (``access.denied``, ``csrf.refused``) that admins see on ``/audit``. An
anonymous visitor's CSRF refusal is only logged, so forged posts cannot grow the audit table.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from survey_app.accounts.access import access_denied
from survey_app.audit import services as audit
from survey_app.core.db import db
from survey_app.core.errors import error_page

logger = logging.getLogger("survey_app.security")


def refused(action: str, target: Any = None, **details: Any) -> None:
    """Log ``action`` (e.g. ``access.denied``) for this request; audit and commit it when a
    staff user is signed in. Call it before answering, with nothing else pending."""
    details = {"method": request.method, "path": request.path[:200], **details}
    actor = current_user if current_user.is_authenticated else None
    logger.warning("%s: %s %s by user %s from %s", action, details["method"], details["path"],
                   actor.id if actor else None, request.remote_addr)
    if actor is not None:
        audit.record(actor, action, target, **details)
        db.session.commit()


def _csrf_refused(error: CSRFError):  # type: ignore[no-untyped-def]
    db.session.rollback()
    refused("csrf.refused", reason=error.description)
    return error_page(error)


def _access_denied(_sender: object, *, target: Any = None, **details: Any) -> None:
    refused("access.denied", target, **details)


def init_app(app: Flask) -> None:
    """Write access refusals (:data:`~survey_app.accounts.access.access_denied`) and CSRF
    refusals to the security log (then show the usual error page)."""
    access_denied.connect(_access_denied)
    app.register_error_handler(CSRFError, _csrf_refused)
