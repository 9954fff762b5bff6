"""A survey's metrics (NPS/CSAT/eNPS with margins, by period and segment) as the API returns it.

Built from the dashboard's own :class:`~survey_app.dashboards.services.Dashboard` (same SQL,
same formula, same anonymity policy): a hidden group has ``hidden: true`` and no numbers.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from marshmallow import fields

from survey_app.dashboards.metrics import Score
from survey_app.dashboards.services import Dashboard, Group
from survey_app.schemas.common import Representation, day


class ScoreSchema(Representation):
    value = fields.Float(required=True, metadata={
        "description": "NPS/eNPS −100…100, or CSAT % 0…100."})
    margin = fields.Float(required=True, allow_none=True, metadata={
        "description": "Half-width of the 95% confidence interval; null below 10 answers "
                       "or when all answers are alike."})
    n = fields.Integer(required=True)


class GroupSchema(Representation):
    hidden = fields.Boolean(required=True, metadata={
        "description": "Too few responses to show (anonymity): no numbers."})
    n = fields.Integer(required=True, allow_none=True)
    score = fields.Nested(ScoreSchema, required=True, allow_none=True)
    categories = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)


class PeriodGroupSchema(GroupSchema):
    start = fields.String(required=True, metadata={"format": "date"})


class SegmentGroupSchema(GroupSchema):
    value = fields.String(required=True, allow_none=True, metadata={
        "description": "The attribute's value; null for responses without it."})


class MetricsSchema(Representation):
    survey = fields.String(required=True)
    kind = fields.String(required=True, metadata={"enum": ["nps", "csat", "enps", "pulse"]})
    period = fields.String(required=True, metadata={"enum": ["week", "month"]})
    date_from = fields.String(required=True, allow_none=True, data_key="from", attribute="from",
                              metadata={"format": "date",
                                        "description": "First day; null: since the first answer."})
    date_to = fields.String(required=True, data_key="to", attribute="to",
                            metadata={"format": "date", "description": "Last day."})
    overall = fields.Nested(GroupSchema, required=True)
    periods = fields.List(fields.Nested(PeriodGroupSchema), required=True)
    segment = fields.String(required=True, allow_none=True, metadata={
        "description": "The attribute the segments are by."})
    segments = fields.List(fields.Nested(SegmentGroupSchema), required=True)


def score_data(score: Score | None) -> dict[str, Any] | None:
    if score is None:
        return None
    return {"value": round(score.value, 2),
            "margin": round(score.margin, 2) if score.shows_margin else None, "n": score.n}


def group_data(group: Group) -> dict[str, Any]:
    if group.hidden:
        return {"hidden": True, "n": None, "score": None, "categories": {}}
    return {"hidden": False, "n": group.n or 0, "score": score_data(group.score),
            "categories": dict(group.categories)}


def metrics_data(board: Dashboard) -> dict[str, Any]:
    """The dashboard's headline, trend and breakdown as :class:`MetricsSchema` describes it."""
    period = board.filters.period
    if board.hidden:
        overall = {"hidden": True, "n": None, "score": None, "categories": {}}
    else:
        overall = {"hidden": False, "n": board.n or 0, "score": score_data(board.score),
                   "categories": dict(board.categories)}
    hidden = board.hidden or board.is_empty
    return {
        "survey": board.survey.slug, "kind": board.survey.kind, "period": period.granularity,
        "from": day(period.start), "to": day(period.end - timedelta(days=1)),
        "overall": overall,
        "periods": [] if hidden else [{"start": day(g.start), **group_data(g)}
                                      for g in board.trend],
        "segment": board.breakdown_key,
        "segments": [] if hidden else [{"value": g.label, **group_data(g)}
                                       for g in board.breakdown],
    }
