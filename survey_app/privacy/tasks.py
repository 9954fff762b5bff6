"""Jobs: the daily retention run (docs/surveys.md, "Retention")."""

from __future__ import annotations

from survey_app.audit.services import record_job
from survey_app.core import jobs
from survey_app.core.db import db, utcnow
from survey_app.privacy.retention import apply_retention, audit_retention


@jobs.periodic_task(jobs.crontab(hour="3", minute="17"))
def apply_retention_policies() -> int:
    """Anonymise the answers past their survey's retention period, committing each batch."""
    done = apply_retention(now=utcnow(), on_batch=lambda _count: db.session.commit())
    audit_retention(done, record_job)
    db.session.commit()
    return sum(done.values())
