"""API jobs: forget idempotency keys older than a day."""

from __future__ import annotations

import logging

from survey_app.api import idempotency
from survey_app.core import jobs
from survey_app.core.db import db

logger = logging.getLogger(__name__)


@jobs.periodic_task(jobs.crontab(minute="17"))
def purge_idempotency_keys() -> int:
    """Delete ``Idempotency-Key`` rows past their 24 hours (hourly)."""
    deleted = idempotency.purge()
    db.session.commit()
    if deleted:
        logger.info("%s expired idempotency keys deleted", deleted)
    return deleted
