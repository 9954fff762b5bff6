"""The dashboard's themes panel: themes ranked by impact, split by category, trend by month.

:func:`counts` finds the answers with text per month and category, and the answers mentioning
each theme per theme, month and category (``response_themes`` joined to the filtered
responses); a survey without free-text questions reads the first from the daily rollups'
comment counts when they hold the filters, so long periods do not cost per answer. The rest
is arithmetic (:func:`dashboards.metrics.impact`) and the anonymity rules: an anonymous survey
shows a theme only when its comments could be read (:meth:`Policy.shows_comments`), and
compares it with the rest only when the rest is a group it could show (:meth:`Policy.shows`).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy import func, select

from survey_app.core.db import db
from survey_app.core.themes import Theme
from survey_app.dashboards.anonymity import Policy
from survey_app.dashboards.filters import Filters, categories_of
from survey_app.dashboards.metrics import Impact, Score, impact, score_from_categories
from survey_app.dashboards.queries import bucket_number, filter_conditions
from survey_app.dashboards.queries import scope as response_scope
from survey_app.responses.models import Response
from survey_app.responses.tagging import has_text
from survey_app.surveys.models import QuestionKind, Survey
from survey_app.themes.models import ResponseTheme

#: Counts by (month number, category).
Cells = dict[tuple[int, str], int]


@dataclass(frozen=True, slots=True)
class ThemeRow:
    """One theme as shown; a ``hidden`` one carries no numbers."""

    key: str
    label: str
    hidden: bool
    n: int = 0
    #: Percentage of the answers with text that mention it.
    share: float = 0.0
    score: Score | None = None
    #: ``None`` when there is nothing (or, anonymous, too little) to compare it with.
    impact: Impact | None = None
    #: ``(category, answers)`` of those mentioning it.
    categories: list[tuple[str, int]] = field(default_factory=list)
    #: ``(month, percentage of that month's answers with text)``; ``None``: hidden or none.
    trend: list[tuple[date, float | None]] = field(default_factory=list)


@dataclass
class ThemePanel:
    #: Answers with a comment or a free-text answer (``None``: hidden).
    texts: int | None = None
    #: Too few texts to show any theme of an anonymous survey.
    hidden: bool = False
    #: Themes whose difference is significant, by impact (most negative first, then positive).
    drivers: list[ThemeRow] = field(default_factory=list)
    #: Themes mentioned, but not distinguishable from noise, by mentions.
    others: list[ThemeRow] = field(default_factory=list)
    #: Themes mentioned too rarely to show (anonymous surveys).
    withheld: list[ThemeRow] = field(default_factory=list)
    months: list[date] = field(default_factory=list)


def theme_panel(survey: Survey, filters: Filters, policy: Policy, group_n: int,
                first_day: date | None, themes: list[Theme], texts: Any = None) -> ThemePanel:
    """The themes panel for the filtered answers (``group_n`` of them, already shown).

    :param first_day: the survey's first answer day (for "all time"), as the page found it.
    :param themes: the survey's themes (``themes.services.survey_themes``).
    :param texts: where the page's counts come from when not from the responses
        (:mod:`.rollups`, ``crossed.CrossedCounts``): their ``comment_cells`` are the answers
        with text of a survey without free-text questions.
    """
    months = filters.period.with_step("month").buckets(first_day)
    answers, by_theme = counts(survey, filters, months, texts)
    total = sum(answers.values())
    if not policy.shows_comments(group_n, total):
        return ThemePanel(hidden=total > 0, months=months)
    panel = ThemePanel(texts=total, months=months)
    all_categories = _by_category(answers)
    for theme in themes:
        cells = by_theme.get(theme.key)
        if not cells:
            continue
        row = _row(survey, policy, theme.key, theme.label, cells, answers, all_categories,
                   group_n, months)
        (panel.withheld if row.hidden else panel.drivers if row.impact and row.impact.is_driver
         else panel.others).append(row)
    panel.drivers.sort(key=lambda r: (r.impact.value if r.impact else 0.0))
    panel.others.sort(key=lambda r: (-r.n, r.label))
    return panel


def _row(survey: Survey, policy: Policy, key: str, label: str, cells: Cells, texts: Cells,
         all_categories: Counter[str], group_n: int, months: list[date]) -> ThemeRow:
    categories = _by_category(cells)
    n = sum(categories.values())
    if not policy.shows_comments(group_n, n):
        return ThemeRow(key, label, hidden=True)
    rest = sum(all_categories.values()) - n
    comparable = policy.shows(rest)  # always, for identified surveys
    trend = []
    for index, month in enumerate(months):
        month_texts = sum(v for (b, _c), v in texts.items() if b == index)
        month_n = sum(v for (b, _c), v in cells.items() if b == index)
        shown = month_texts and policy.shows_comments(month_texts, month_n)
        trend.append((month, 100 * month_n / month_texts if shown else None))
    return ThemeRow(
        key, label, False, n, 100 * n / sum(all_categories.values()),
        score_from_categories(survey.kind, categories),
        impact(survey.kind, categories, all_categories) if comparable else None,
        [(str(c), categories[str(c)]) for c in categories_of(survey)], trend)


def _by_category(cells: Cells) -> Counter[str]:
    counts: Counter[str] = Counter()
    for (_bucket, category), n in cells.items():
        counts[category] += n
    return counts


#: The key :func:`counts` gives the answers with text (no theme key is empty).
TEXTS = ""


def counts(survey: Survey, filters: Filters, months: list[date], source: Any = None
           ) -> tuple[Cells, dict[str, Cells]]:
    """Filtered answers with text, and those mentioning each theme (an answer whose comment
    and free-text answer both mention it counts once), per month number and category.

    Without free-text questions the texts are the comments ``source`` counts (the rollups,
    or a page's crossed counts); otherwise one statement, ``UNION ALL`` of the two
    ``GROUP BY``s.
    """
    bucket = bucket_number(months).label("bucket_key")
    where = [*response_scope(survey, filters.period.start, filters.period.end),
             *filter_conditions(filters)]
    themes = (select(ResponseTheme.theme, bucket, Response.category,
                     func.count(Response.id.distinct()))
              .join(Response, Response.id == ResponseTheme.response_id)
              .where(ResponseTheme.survey_id == survey.id, *where)
              .group_by(ResponseTheme.theme, bucket, Response.category))
    rolled_up = source is not None and not any(
        question.kind == QuestionKind.TEXT for question in survey.extra_questions)
    if not rolled_up:
        texts = (select(sa.literal(TEXTS).label("theme"), bucket, Response.category,
                        func.count())
                 .where(*where, has_text()).group_by(bucket, Response.category))
        themes = sa.union_all(texts, themes)  # type: ignore[assignment]
    by_theme: defaultdict[str, Cells] = defaultdict(dict)
    for theme, b, category, n in db.session.execute(themes):
        by_theme[theme][(b, category)] = n
    if rolled_up:
        return source.comment_cells(survey, filters, months), by_theme
    return by_theme.pop(TEXTS, {}), by_theme
