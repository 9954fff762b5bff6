"""The survey list's live numbers: responses, the headline score, flagged answers per survey."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import Select, func, select

from survey_app.core.db import db
from survey_app.core.scoring import Category
from survey_app.dashboards.metrics import score_from_categories
from survey_app.dashboards.models import DailyScore
from survey_app.responses.models import Response
from survey_app.responses.queries import countable
from survey_app.surveys.models import Survey, SurveyStatus


@dataclass
class SurveyRow:
    """A survey with its live numbers, for the list page."""

    survey: Survey
    responses: int
    #: NPS/eNPS −100…100 or CSAT %; ``None`` when there are no responses or it is hidden.
    score: float | None
    #: Anonymous survey below its threshold: the score is not shown.
    is_hidden: bool
    #: Responses flagged "suspected automated", waiting for a person (not in ``responses``).
    flagged: int = 0


def surveys_with_scores(surveys: Select[tuple[Survey]]) -> list[SurveyRow]:
    """``surveys`` (a ``select(Survey)``, e.g. ``access.visible_surveys``) with live numbers.

    One SQL statement: the countable responses (``responses.queries.countable``: suspected
    automated ones left out, as on the dashboard, and counted apart as ``flagged`` from the
    partial index ``ix_responses_survey_suspected``) are counted per survey and category — from
    the daily rollups (``dashboards.models.DailyScore``) unless ``DASHBOARD_ROLLUPS`` is off —
    and the score is the dashboards' one formula (``metrics.score_from_categories``).
    """
    ids = surveys.with_only_columns(Survey.id).order_by(None).scalar_subquery()
    flagged = (select(Response.survey_id.label("survey_id"), func.count().label("flagged"))
               .where(Response.survey_id.in_(ids), Response.is_suspected_automated)
               .group_by(Response.survey_id).subquery())
    if current_app.config["DASHBOARD_ROLLUPS"]:
        counts = (select(DailyScore.survey_id.label("survey_id"),
                         *(func.sum(DailyScore.n).filter(DailyScore.category == c).label(c)
                           for c in Category))
                  .where(DailyScore.survey_id.in_(ids)).group_by(DailyScore.survey_id))
    else:
        counts = (select(Response.survey_id.label("survey_id"),
                         *(func.count().filter(Response.category == c).label(c)
                           for c in Category))
                  .where(Response.survey_id.in_(ids), countable())
                  .group_by(Response.survey_id))
    stats = counts.subquery()
    statement = (
        surveys.add_columns(func.coalesce(flagged.c.flagged, 0),
                            *(func.coalesce(stats.c[c], 0) for c in Category))
        .outerjoin(flagged, flagged.c.survey_id == Survey.id)
        .outerjoin(stats, stats.c.survey_id == Survey.id)
        .order_by(Survey.status == SurveyStatus.CLOSED, Survey.created_dt.desc(), Survey.id.desc())
    )
    rows = []
    for survey, flagged, *numbers in db.session.execute(statement):
        counts = dict(zip(Category, map(int, numbers), strict=True))
        total = sum(counts.values())
        hidden = survey.is_anonymous and 0 < total < survey.min_group_size
        score = None if hidden else score_from_categories(survey.kind, counts)
        rows.append(SurveyRow(survey, total, score.value if score else None, hidden, flagged))
    return rows
