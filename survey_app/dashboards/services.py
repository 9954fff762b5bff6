"""Building a survey's dashboard: SQL aggregates → metrics → anonymity rules → plain data.

:func:`build_dashboard` returns only what the viewer may see (hidden groups carry no numbers),
so a template, the CSV export or a later API can render it without re-checking anything.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date

from flask import current_app

from survey_app.core.scoring import categorise
from survey_app.core.themes import Theme
from survey_app.dashboards import queries
from survey_app.dashboards.anonymity import Policy
from survey_app.dashboards.crossed import CrossedCounts
from survey_app.dashboards.filters import Filters, categories_of
from survey_app.dashboards.metrics import (
    Change,
    Mean,
    Score,
    compare,
    mean,
    score_from_categories,
    trend_step,
)
from survey_app.dashboards.phrases import LanguagePhrases, key_phrases
from survey_app.dashboards.sources import counts_source, crossed_counts, texts_source
from survey_app.dashboards.themes import ThemePanel, theme_panel
from survey_app.surveys.models import Question, QuestionKind, Survey
from survey_app.themes.services import survey_themes

#: Side of the key-phrases comparison: unhappy vs happy categories per survey kind.
PHRASE_SIDES = {"nps": ("detractor", "promoter"), "csat": ("dissatisfied", "satisfied")}


@dataclass(frozen=True, slots=True)
class Group:
    """A trend point, a segment or a question's segment; ``hidden`` ones carry no numbers."""

    label: str | None
    hidden: bool
    n: int | None = None
    score: Score | None = None
    categories: dict[str, int] = field(default_factory=dict)
    start: date | None = None
    mean: Mean | None = None


@dataclass(frozen=True, slots=True)
class Comment:
    id: int
    score: int
    category: str
    text: str
    sentiment: str
    when: str
    segment: dict[str, object] | None
    email: str | None


@dataclass(frozen=True, slots=True)
class TextAnswer:
    """A free-text answer as shown: its words and when (only the period when anonymous)."""

    text: str
    when: str


@dataclass(frozen=True, slots=True)
class QuestionResult:
    question: Question
    hidden: bool
    n: int | None = None
    #: ``(value, count)`` — 1–5 for agreement, option index for choice.
    distribution: list[tuple[int, int]] = field(default_factory=list)
    mean: Mean | None = None
    segments: list[Group] = field(default_factory=list)
    #: Free-text questions: the first answers in comment order; ``None`` when the comment
    #: rules hide them (too few in the group).
    texts: list[TextAnswer] | None = None


@dataclass
class Dashboard:
    survey: Survey
    filters: Filters
    policy: Policy
    segment_keys: list[str]
    breakdown_key: str | None
    #: Responses in the filtered period (``None`` when hidden by the anonymity rules).
    n: int | None = None
    #: The whole filtered group is below the threshold: nothing but the notice is shown.
    hidden: bool = False
    is_empty: bool = False
    score: Score | None = None
    categories: list[tuple[str, int]] = field(default_factory=list)
    distribution: list[tuple[int, int]] = field(default_factory=list)
    previous: Score | None = None
    previous_hidden: bool = False
    change: Change | None = None
    trend: list[Group] = field(default_factory=list)
    breakdown: list[Group] = field(default_factory=list)
    breakdown_error: str | None = None
    sentiment: list[tuple[str, int]] = field(default_factory=list)
    comment_count: int | None = None
    comments: list[Comment] | None = None
    comment_pages: int = 0
    #: Key phrases per side and language; ``None`` when the side's comments may not be read.
    phrases: dict[str, list[LanguagePhrases] | None] = field(default_factory=dict)
    themes: ThemePanel | None = None
    #: The survey's themes (built-in and its own), for the panel and the theme filter's name.
    theme_list: list[Theme] = field(default_factory=list)
    show_identity: bool = True
    invited: int = 0
    responded: int = 0
    questions: list[QuestionResult] = field(default_factory=list)
    #: Anonymous surveys: responses per value of each segment filter's attribute (see
    #: ``queries.GroupCounts.siblings``).
    siblings: dict[tuple[str, str | None], dict[str | None, int]] = field(default_factory=dict)
    #: The grouped counts the numbers are sums of (``queries.score_cells``), in no set order
    #: (so not compared: two boards are equal when they show the same).
    cells: list[queries.Cell] = field(default_factory=list, compare=False)
    #: The survey's first answer day when the period is "all time" (``None`` otherwise).
    first_day: date | None = None
    #: Crossed segment filters: the page's counts read once (``crossed.CrossedCounts``).
    crossed: CrossedCounts | None = field(default=None, compare=False, repr=False)

    @property
    def response_rate(self) -> float | None:
        return None if not self.invited else 100 * self.responded / self.invited

    @property
    def phrase_sides(self) -> tuple[str, str]:
        return PHRASE_SIDES["csat" if self.survey.kind == "csat" else "nps"]


def build_dashboard(survey: Survey, filters: Filters, *, show_identity: bool = True
                    ) -> Dashboard:
    """Everything the dashboard page shows, with the anonymity rules applied.

    ``show_identity=False`` leaves respondents' e-mails and segments off the comments of
    identified surveys too (for read-only viewers); anonymous surveys never show them.

    :raises NarrowingRefusedError: a filter narrows its group by fewer than the threshold.
    """
    board = build_scores(survey, filters, show_identity=show_identity, comments=True)
    if board.hidden or board.is_empty:
        return board
    _comments(board, board.cells)
    board.themes = theme_panel(survey, filters, board.policy, board.n or 0,
                               board.first_day, board.theme_list,
                               texts=texts_source(filters, board.crossed))
    _questions(board)
    return board


def build_scores(survey: Survey, filters: Filters, *, show_identity: bool = True,
                 comments: bool = False) -> Dashboard:
    """The dashboard's numbers only — headline, previous period, trend and breakdown — with
    the anonymity rules applied (the API's metrics; :func:`build_dashboard` adds the rest).

    ``comments``: the comment page will be read too (crossed filters of an anonymous survey
    then find it with the counts, :meth:`CrossedCounts.comment_tokens`).

    :raises NarrowingRefusedError: a filter narrows its group by fewer than the threshold.
    """
    policy = Policy.for_survey(survey)
    first_day = queries.first_response_day(survey) if filters.period.start is None else None
    filters.period.check_weeks(first_day)
    once = crossed_counts(survey, filters, policy, first_day, comments=comments)
    filters = _step_from_data(survey, filters, once)
    keys = queries.recent_segment_keys(survey)
    breakdown = filters.breakdown or (keys[0] if keys else None)
    board = Dashboard(survey, filters, policy, keys, breakdown, show_identity=show_identity,
                      theme_list=survey_themes(survey), crossed=once)
    if policy.is_anonymous and filters.narrowing:
        counts = counts_source(filters, once=once).group_counts(survey, filters)
        policy.check_narrowing(counts.n, counts.parents)
        board.siblings = counts.siblings
        if not policy.shows_filtered(counts.siblings):
            board.hidden = True
            return board
    board.first_day = first_day
    buckets = filters.period.buckets(first_day)
    try:
        cells = counts_source(filters, breakdown, once).score_cells(survey, filters, buckets,
                                                                    breakdown)
    except queries.TooManyGroupsError:
        board.breakdown_error = "too_many"
        cells = counts_source(filters, once=once).score_cells(survey, filters, buckets, None)
    board.invited, board.responded = queries.invitation_counts(survey, filters.period)
    board.cells = cells
    _headline(board, cells, buckets)
    return board


def _step_from_data(survey: Survey, filters: Filters, once: CrossedCounts | None) -> Filters:
    """Monthly instead of the default weekly trend when weeks would average fewer than
    ``MIN_MARGIN_N`` answers (one count); a step asked for is kept."""
    period = filters.period
    if not period.is_step_auto or period.granularity != "week" or period.days is None:
        return filters
    n = sum(counts_source(filters, once=once).score_counts(survey, filters, period)
            .values())
    step = trend_step(n, period.days)
    return filters if step == "week" else replace(filters, period=period.with_step(step))


def _categories(counts: Counter[int], kind: str) -> Counter[str]:
    by_category: Counter[str] = Counter()
    for score, n in counts.items():
        by_category[categorise(kind, score)] += n
    return by_category


def _headline(board: Dashboard, current: list[queries.Cell], buckets: list[date]) -> None:
    survey, policy = board.survey, board.policy
    scores: Counter[int] = Counter()
    for cell in current:
        scores[cell.score] += cell.n
    n = sum(scores.values())
    board.is_empty = n == 0
    if board.is_empty:
        board.n = 0
        return
    if not policy.shows(n):
        board.hidden = True
        return
    board.n = n
    kind = survey.kind
    counts = _categories(scores, kind)
    board.score = score_from_categories(kind, counts)
    board.categories = [(c, counts[c]) for c in categories_of(survey)]
    board.distribution = [(s, scores[s]) for s in survey.score_range]
    board.sentiment = [(label, sum(getattr(c, label) for c in current))
                       for label in ("negative", "neutral", "positive")]
    board.sentiment.append(("unknown", n - sum(v for _l, v in board.sentiment)))
    previous_period = board.filters.period.previous()
    source = counts_source(board.filters, once=board.crossed)
    previous = Counter(source.score_counts(survey, board.filters, previous_period)
                       if previous_period else {})
    previous_n = sum(previous.values())
    if previous_n and policy.shows(previous_n):
        board.previous = score_from_categories(kind, _categories(previous, kind))
        board.change = compare(board.score, board.previous)
    board.previous_hidden = bool(previous_n) and not policy.shows(previous_n)
    by_bucket: defaultdict[object, Counter[int]] = defaultdict(Counter)
    by_segment: defaultdict[object, Counter[int]] = defaultdict(Counter)
    for cell in current:
        by_bucket[cell.bucket][cell.score] += cell.n
        by_segment[cell.segment][cell.score] += cell.n
    trend = _groups(policy, kind, {i: by_bucket[i] for i in range(len(buckets))})
    board.trend = [replace(trend[i], label=None, start=day) for i, day in enumerate(buckets)]
    if board.breakdown_key and not board.breakdown_error:
        board.breakdown = sorted(_groups(policy, kind, by_segment).values(),
                                 key=lambda g: (g.hidden, -(g.n or 0), g.label or ""))


def _groups(policy: Policy, kind: str, scores: Mapping[object, Counter[int]]
            ) -> dict[object, Group]:
    """A :class:`Group` per key of ``scores``, hiding small ones and their siblings."""
    sizes = {k: sum(v.values()) for k, v in scores.items()}
    hidden = policy.hidden(sizes)
    groups = {}
    for key, counts in scores.items():
        label = None if key is None else str(key)
        if key in hidden:
            groups[key] = Group(label, True)
        elif not sizes[key]:
            groups[key] = Group(label, False, 0)
        else:
            categories = _categories(counts, kind)
            groups[key] = Group(label, False, sizes[key],
                                score_from_categories(kind, categories), dict(categories))
    return groups


def _comments(board: Dashboard, current: list[queries.Cell]) -> None:
    survey, policy, filters = board.survey, board.policy, board.filters
    board.comment_count = sum(c.comments for c in current)
    per_page = current_app.config["DASHBOARD_COMMENTS_PER_PAGE"]
    if policy.shows_comments(board.n or 0, board.comment_count):
        offset = (filters.page - 1) * per_page
        tokens = (board.crossed.comment_tokens(filters, offset, per_page) if board.crossed
                  else None)
        rows = queries.comments_page(
            survey, filters, policy.comment_order(), limit=per_page, offset=offset,
            identified=policy.shows_identity() and board.show_identity) if tokens is None \
            else queries.comments_by_token(survey, filters, tokens)
        board.comments = [
            Comment(r.id, r.score, r.category, r.comment, r.sentiment_label,
                    policy.when(r.submitted_dt.date(), filters.period.granularity),
                    r.segment, r.email) for r in rows]
        board.comment_pages = math.ceil(board.comment_count / per_page)
    by_category: Counter[str] = Counter()
    for cell in current:
        by_category[categorise(survey.kind, cell.score)] += cell.comments
    sample = current_app.config["DASHBOARD_WORDS_SAMPLE"]
    for side in board.phrase_sides:
        if by_category[side] and policy.shows_comments(board.n or 0, by_category[side]):
            # A language's phrases are comments too: a handful written in Italian is left out.
            board.phrases[side] = [
                group for group in key_phrases(
                    queries.comment_sample(survey, filters, [side], sample))
                if policy.shows_comments(board.n or 0, group.comments)]
        else:
            board.phrases[side] = None


def _questions(board: Dashboard) -> None:
    """Each extra question in survey order: 1–5 and choice answers, free-text answers."""
    extra = board.survey.extra_questions
    numeric = [q for q in extra if q.kind in (QuestionKind.AGREEMENT, QuestionKind.CHOICE)]
    texts = [q for q in extra if q.kind == QuestionKind.TEXT]
    results = {**(_numeric_questions(board, numeric) if numeric else {}),
               **(_text_questions(board, texts) if texts else {})}
    board.questions = [results[q.id] for q in extra if q.id in results]


def _numeric_questions(board: Dashboard, questions: list[Question]
                       ) -> dict[int, QuestionResult]:
    cells = queries.answer_cells(board.survey, board.filters,
                                 None if board.breakdown_error else board.breakdown_key)
    by_question: defaultdict[int, list[queries.AnswerCell]] = defaultdict(list)
    for cell in cells:
        by_question[cell.question_id].append(cell)
    # A group hidden in the breakdown stays hidden in every question table (its answer count
    # is about its response count), with a sibling when it would be the only one hidden.
    hidden_groups = {g.label for g in board.breakdown if g.hidden}
    singled_out = _singled_out(board, questions)
    return {q.id: QuestionResult(q, hidden=True) if q.id in singled_out
            else _question(board.policy, q, by_question[q.id], hidden_groups)
            for q in questions}


def _singled_out(board: Dashboard, questions: list[Question]) -> set[int]:
    """Questions a segment filter must not show: the filtered value is hidden in that
    question's table by the filtered attribute, so showing it would give the smaller hidden
    sibling's answers as the unfiltered total minus this group and the shown ones."""
    policy, hidden = board.policy, set()
    for (key, value), sizes in board.siblings.items():
        try:
            cells = queries.answer_cells(board.survey, board.filters.without(f"segment:{key}"),
                                         key)
        except queries.TooManyGroupsError:
            return {q.id for q in questions}
        by_question: defaultdict[int, Counter[str | None]] = defaultdict(Counter)
        for cell in cells:
            by_question[cell.question_id][cell.segment] += cell.n
        in_breakdown = policy.hidden(sizes)
        hidden |= {q for q, counts in by_question.items()
                   if value in policy.hidden(counts, also=in_breakdown)}
    return hidden


def _text_questions(board: Dashboard, questions: list[Question]) -> dict[int, QuestionResult]:
    """Free-text answers under the comment rules: a shown group with enough of them (per
    question), in comment order (shuffled when anonymous), dated by period, no identity."""
    policy, filters = board.policy, board.filters
    counts = queries.text_answer_counts(board.survey, filters)
    readable = [q.id for q in questions if counts.get(q.id)
                and policy.shows_comments(board.n or 0, counts[q.id])]
    texts: defaultdict[int, list[TextAnswer]] = defaultdict(list)
    if readable:
        rows = queries.text_answers(board.survey, filters, readable, policy.comment_order(),
                                    limit=current_app.config["DASHBOARD_COMMENTS_PER_PAGE"])
        for row in rows:
            texts[row.question_id].append(TextAnswer(
                row.text, policy.when(row.submitted_dt.date(), filters.period.granularity)))
    return {q.id: QuestionResult(q, False, counts.get(q.id, 0),
                                 texts=texts[q.id] if q.id in readable else None)
            for q in questions}


def _question(policy: Policy, question: Question, cells: list[queries.AnswerCell],
              hidden_groups: set[str | None]) -> QuestionResult:
    values: Counter[int] = Counter()
    by_segment: defaultdict[str | None, Counter[int]] = defaultdict(Counter)
    for cell in cells:
        values[cell.value] += cell.n
        by_segment[cell.segment][cell.value] += cell.n
    n = sum(values.values())
    if not policy.shows(n):
        return QuestionResult(question, hidden=n > 0, n=None if n else 0)
    is_scale = question.kind == QuestionKind.AGREEMENT
    options = range(1, 6) if is_scale else range(len(question.choices or []))
    sizes = {k: sum(v.values()) for k, v in by_segment.items()}
    hidden = policy.hidden(sizes, also=hidden_groups)
    segments = [
        Group(key, True) if key in hidden else
        Group(key, False, sizes[key], mean=_mean(counts) if is_scale else None)
        for key, counts in sorted(by_segment.items(), key=lambda kv: (-sizes[kv[0]],
                                                                      kv[0] or ""))
    ]
    return QuestionResult(question, False, n, [(v, values[v]) for v in options],
                          _mean(values) if is_scale else None, segments)


def _mean(counts: Counter[int]) -> Mean | None:
    return mean(sum(counts.values()), sum(v * n for v, n in counts.items()),
                sum(v * v * n for v, n in counts.items()))
