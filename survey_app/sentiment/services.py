"""Re-scoring stored comments after an analyzer or threshold change."""

from __future__ import annotations

import logging
from collections.abc import Callable

import sqlalchemy as sa
from flask import current_app

from survey_app.core.db import db
from survey_app.core.scoring import is_happy
from survey_app.core.sentiment import Sentiment, analyze
from survey_app.followups.models import FollowUp
from survey_app.followups.services import reprioritise
from survey_app.responses.models import Response
from survey_app.surveys.models import Survey

logger = logging.getLogger(__name__)


def thresholds() -> tuple[float, float]:
    """The configured ``(negative, positive)`` label thresholds."""
    negative, positive = current_app.config["SENTIMENT_THRESHOLDS"]
    return float(negative), float(positive)


def score_text(text: str | None, lang: str) -> Sentiment:
    """Score one text with the configured thresholds."""
    return analyze(text, lang, thresholds=thresholds())


def comments_query(survey: Survey | None = None) -> sa.Select:
    """Responses that carry a comment, optionally of one survey."""
    query = sa.select(Response).where(Response.comment.is_not(None))
    return query if survey is None else query.where(Response.survey_id == survey.id)


def count_comments(survey: Survey | None = None) -> int:
    """How many stored comments :func:`rescore_responses` will look at."""
    query = comments_query(survey).with_only_columns(sa.func.count())
    return db.session.execute(query).scalar_one()


def rescore_responses(
    survey: Survey | None = None,
    *,
    progress: Callable[[int], object] | None = None,
    batch_size: int = 500,
) -> int:
    """Score every stored comment again; return how many scores changed.

    Only the sentiment columns (and the mismatch flag derived from them) change, with no new
    row version, so a respondent's open edit page stays valid. A response edited meanwhile is
    skipped (its edit scored it already). The open case of a response whose score changed is
    re-prioritised; categories, closed cases and ``updated_dt`` stay as they are, and no case is
    opened: the queue is not refilled with old answers.

    :param progress: called with the number of comments handled after each batch.
    """
    limits = thresholds()
    columns = (Response.id, Response.comment, Response.locale, Response.version,
               Response.category, Response.sentiment_polarity, Response.sentiment_label,
               Response.sentiment_analyzer)
    query = comments_query(survey).with_only_columns(*columns).order_by(Response.id)
    changed, last_id = 0, 0
    while rows := db.session.execute(query.where(Response.id > last_id).limit(batch_size)).all():
        ids = [row.id for row in rows if _rescore(row, limits)]
        _reprioritise(ids)
        changed += len(ids)
        last_id = rows[-1].id
        if progress is not None:
            progress(len(rows))
    db.session.flush()
    logger.info("sentiment re-scored: %s comments changed", changed)
    return changed


def _rescore(row: sa.Row, limits: tuple[float, float]) -> bool:
    """Store the new sentiment of one response row; ``True`` if it changed."""
    new = analyze(row.comment, row.locale, thresholds=limits)
    old = (row.sentiment_polarity, row.sentiment_label, row.sentiment_analyzer)
    if (new.polarity, new.label, new.analyzer) == old:
        return False
    statement = (
        sa.update(Response)
        .where(Response.id == row.id, Response.version == row.version)
        .values(
            sentiment_polarity=new.polarity,
            sentiment_label=new.label,
            sentiment_analyzer=new.analyzer,
            is_mismatch=is_happy(row.category) and new.label == "negative",
        )
        .execution_options(synchronize_session=False)
    )
    return db.session.execute(statement).rowcount == 1


def _reprioritise(response_ids: list[int]) -> None:
    """Re-prioritise the cases of *response_ids*, reading their responses afresh."""
    if not response_ids:
        return
    for response in db.session.scalars(
        sa.select(Response)
        .where(Response.id.in_(response_ids))
        .execution_options(populate_existing=True)
    ):
        followup: FollowUp | None = response.followup
        if followup is not None:
            reprioritise(followup)
