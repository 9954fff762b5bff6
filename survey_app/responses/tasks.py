"""Jobs: one-click answers become answers (or are dropped) once their time is up; public-link
address counts of past days are forgotten."""

from __future__ import annotations

from survey_app.core import jobs
from survey_app.core.db import db
from survey_app.responses import flood, provisional


@jobs.periodic_task(jobs.crontab(minute="*"))
def settle_provisional_answers() -> int:
    """Count the provisional answers older than ``PROVISIONAL_MINUTES``, or drop them."""
    counted, _dropped = provisional.settle_due()
    db.session.commit()
    return counted


@jobs.periodic_task(jobs.crontab(minute="17", hour="*"))
def forget_public_address_counts() -> int:
    """Delete the public-link address counts of past days."""
    deleted = flood.forget_past_days()
    db.session.commit()
    return deleted
