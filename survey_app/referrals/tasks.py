"""Jobs: the promoter e-mail a day after the answer (an hourly sweep; safe to run twice)."""

from __future__ import annotations

from survey_app.core import jobs
from survey_app.referrals import emails


@jobs.periodic_task(jobs.crontab(minute="17"))
def send_promoter_emails() -> int:
    """E-mail the promoters whose answer is a day old (see :mod:`survey_app.referrals.emails`)."""
    return emails.send_due()
