"""The daily summary for Slack/Teams: yesterday's answers per survey, under the anonymity
policy of the dashboard (``dashboards.anonymity.Policy``; the score from ``dashboards.metrics``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from survey_app.core.db import db
from survey_app.core.scoring import UNHAPPY
from survey_app.dashboards.anonymity import Policy
from survey_app.dashboards.metrics import score_from_categories
from survey_app.responses.models import Response
from survey_app.responses.queries import countable
from survey_app.surveys.models import Survey, SurveyStatus
from survey_app.webhooks.events import DAILY_SUMMARY, emit
from survey_app.webhooks.models import EndpointKind, WebhookEndpoint


def summary(survey: Survey, day_start: datetime) -> dict[str, Any]:
    """The day's answer count, score and unhappy count (score and count hidden below the
    anonymity threshold)."""
    counts = dict(db.session.execute(
        sa.select(Response.category, sa.func.count())
        .where(Response.survey_id == survey.id, countable(),
               Response.submitted_dt >= day_start,
               Response.submitted_dt < day_start + timedelta(days=1))
        .group_by(Response.category)).all())
    answers = sum(counts.values())
    shown = Policy.for_survey(survey).shows(answers) and answers > 0
    score = score_from_categories(survey.kind, counts) if shown else None
    return {"survey_id": survey.id, "title": survey.title, "kind": survey.kind,
            "day": day_start.date().isoformat(), "answers": answers,
            "score": round(score.value, 1) if score else None,
            "detractors": sum(counts.get(c, 0) for c in UNHAPPY) if shown else None}


def emit_daily(now: datetime) -> int:
    """Write yesterday's summary event of every active survey that a channel asked for."""
    day_start = now.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=1)
    channels = db.session.scalars(sa.select(WebhookEndpoint).where(
        WebhookEndpoint.is_active, WebhookEndpoint.kind != EndpointKind.WEBHOOK)).all()
    channels = [c for c in channels if DAILY_SUMMARY in c.events]
    if not channels:
        return 0
    emitted = 0
    surveys = db.session.scalars(sa.select(Survey).where(
        Survey.status == SurveyStatus.ACTIVE).order_by(Survey.id))
    for survey in surveys:
        scope = "employees" if survey.audience == "employees" else "customers"
        targets = [c.id for c in channels if c.scope == scope
                   and (not c.survey_ids or survey.id in c.survey_ids)]
        if targets and emit(DAILY_SUMMARY, summary(survey, day_start), scope=scope,
                            survey_id=survey.id, endpoint_ids=targets, now=now):
            emitted += 1
    return emitted
