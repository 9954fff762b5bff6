"""Jobs: one-click answers from e-mails become answers (or are dropped) once their time is up."""

from __future__ import annotations

from survey_app.core import jobs
from survey_app.core.db import db
from survey_app.responses import provisional


@jobs.periodic_task(jobs.crontab(minute="*"))
def settle_provisional_answers() -> int:
    """Count the provisional answers older than ``PROVISIONAL_MINUTES``, or drop them."""
    counted, _dropped = provisional.settle_due()
    db.session.commit()
    return counted
