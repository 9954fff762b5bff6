"""The survey list's live numbers: responses, the headline score, flagged answers per survey."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, func, select

from survey_app.core.db import db
from survey_app.core.scoring import Category
from survey_app.dashboards.metrics import score_from_categories
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
    automated ones left out, as on the dashboard, and counted apart as ``flagged``) are counted
    per survey and category in the database; the score is the dashboards' one formula
    (``metrics.score_from_categories``).
    """
    ids = surveys.with_only_columns(Survey.id).order_by(None).scalar_subquery()
    stats = (
        select(Response.survey_id.label("survey_id"),
               func.count().filter(Response.is_suspected_automated).label("flagged"),
               *(func.count().filter(countable(), Response.category == c).label(c)
                 for c in Category))
        .where(Response.survey_id.in_(ids))
        .group_by(Response.survey_id)
        .subquery()
    )
    statement = (
        surveys.add_columns(*(func.coalesce(stats.c[c], 0) for c in ("flagged", *Category)))
        .outerjoin(stats, stats.c.survey_id == Survey.id)
        .order_by(Survey.status == SurveyStatus.CLOSED, Survey.created_dt.desc(), Survey.id.desc())
    )
    rows = []
    for survey, flagged, *numbers in db.session.execute(statement):
        counts = dict(zip(Category, numbers, strict=True))
        total = sum(numbers)
        hidden = survey.is_anonymous and 0 < total < survey.min_group_size
        score = None if hidden else score_from_categories(survey.kind, counts)
        rows.append(SurveyRow(survey, total, score.value if score else None, hidden, flagged))
    return rows
