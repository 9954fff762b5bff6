"""Retention: answers older than their survey's period lose everything that could identify them.

The rule (docs/surveys.md, "Retention"): a survey may set ``retention_days``. Each day a job
takes its responses submitted longer ago than that and, as erasure does for one person, removes
the person and invitation links, the link's token digest, the comment and the free-text answers,
and anonymises their follow-up cases (person gone, notes and replies blanked, closed if open).
Unlike erasure it also empties the **segment** snapshot: months later, team + region + day may
be enough to single someone out. The score, category, sentiment, numeric and choice answers,
wave and submission time stay, so survey-wide scores and trends do not change; only old answers
drop out of segment breakdowns. ``anonymised_dt`` marks a response done, so it is never
processed twice.

It lives beside :mod:`~survey_app.privacy.erasure` and shares its steps.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import Select, func, select

from survey_app.audit.models import AuditEvent
from survey_app.core.db import db
from survey_app.followups.models import FollowUp
from survey_app.privacy.erasure import anonymise_cases, strip_identity
from survey_app.responses.models import Response
from survey_app.surveys.models import Survey

logger = logging.getLogger(__name__)

#: Responses anonymised per flush (and per commit, for the job and the command).
BATCH_SIZE = 500


def _expired(survey: Survey, now: datetime) -> Select[tuple[Response]]:
    cutoff = now - timedelta(days=survey.retention_days or 0)
    return select(Response).where(Response.survey_id == survey.id,
                                  Response.submitted_dt < cutoff,
                                  Response.anonymised_dt.is_(None))


def count_expired(survey: Survey, *, now: datetime) -> int:
    """How many of ``survey``'s responses are past its retention period and not yet anonymised."""
    if survey.retention_days is None:
        return 0
    return db.session.scalar(select(func.count()).select_from(
        _expired(survey, now).subquery())) or 0


def anonymise_expired(survey: Survey, *, now: datetime, limit: int = BATCH_SIZE) -> int:
    """Anonymise up to ``limit`` of ``survey``'s expired responses; returns how many (flushes)."""
    if survey.retention_days is None:
        return 0
    responses = list(db.session.scalars(_expired(survey, now).order_by(Response.id)
                                        .limit(limit)))
    for response in responses:
        strip_identity(response)
        response.segment = {}
        response.anonymised_dt = now
    if responses:
        anonymise_cases(FollowUp.response_id.in_([r.id for r in responses]))
    db.session.flush()
    return len(responses)


def surveys_with_retention() -> list[Survey]:
    return list(db.session.scalars(select(Survey).where(Survey.retention_days.is_not(None))
                                   .order_by(Survey.slug)))


def apply_retention(*, now: datetime, batch_size: int = BATCH_SIZE,
                    on_batch: Callable[[int], None] | None = None) -> dict[str, int]:
    """Anonymise every survey's expired responses, ``batch_size`` at a time.

    ``on_batch(count)`` is called after each flushed batch (the caller commits there, so a long
    first run holds no lock for long). Returns the count per survey slug, where not zero.
    """
    done: dict[str, int] = {}
    for survey in surveys_with_retention():
        while count := anonymise_expired(survey, now=now, limit=batch_size):
            done[survey.slug] = done.get(survey.slug, 0) + count
            if on_batch is not None:
                on_batch(count)
            if count < batch_size:
                break
    for slug, count in done.items():
        logger.info("retention: %s responses of %s anonymised", count, slug)
    return done


def audit_retention(done: dict[str, int], recorder: Callable[..., AuditEvent]) -> None:
    """One ``responses.anonymised`` row per survey in ``done``, through ``recorder``
    (``audit.services.record_job`` or ``record_cli``; flushes)."""
    for survey in db.session.scalars(select(Survey).where(Survey.slug.in_(list(done)))):
        recorder("responses.anonymised", survey, count=done[survey.slug],
                 retention_days=survey.retention_days)
