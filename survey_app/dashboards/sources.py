"""Where a dashboard's counts come from: the daily rollups, a page's crossed counts, or the
responses — the same functions with the same results (``tests/dashboards/test_rollups.py``,
``tests/dashboards/test_crossed.py``)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import current_app

from survey_app.dashboards import crossed, queries, rollups
from survey_app.dashboards.anonymity import Policy
from survey_app.dashboards.crossed import CrossedCounts
from survey_app.dashboards.filters import Filters
from survey_app.surveys.models import Survey


def crossed_counts(survey: Survey, filters: Filters, policy: Policy, first_day: date | None,
                   *, comments: bool) -> CrossedCounts | None:
    """The page's counts in one ``GROUP BY`` when its segment filters cross attributes
    (:func:`crossed.usable`): with the siblings for the anonymity checks of an anonymous
    survey, and with the first pages' comment tokens when ``comments`` will be shown."""
    if not crossed.usable(filters):
        return None
    tokens = _comment_tokens(policy, filters) if comments else 0
    return CrossedCounts(survey, filters, first_day, tokens=tokens,
                         siblings=policy.is_anonymous)


def counts_source(filters: Filters, breakdown: str | None = None,
                  once: CrossedCounts | None = None) -> Any:
    """:mod:`.rollups` when they hold these counts, else the page's crossed counts ``once``
    (crossed segment filters, breakdown by one of them or none), else :mod:`.queries`."""
    if rollups.usable(filters, breakdown):
        return rollups
    if once is not None and (breakdown is None or breakdown in dict(filters.segments)):
        return once
    return queries


def texts_source(filters: Filters, once: CrossedCounts | None) -> Any:
    """Where the themes panel counts the comments (``None``: with its mentions, raw rows)."""
    source = counts_source(filters, once=once)
    return None if source is queries else source


def _comment_tokens(policy: Policy, filters: Filters) -> int:
    """How many comments in token order the crossed counts find for the page (an anonymous
    survey's first pages; later ones are read on their own)."""
    last = filters.page * current_app.config["DASHBOARD_COMMENTS_PER_PAGE"]
    return last if policy.is_anonymous and filters.page <= crossed.TOKEN_PAGES else 0
