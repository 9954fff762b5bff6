"""The anonymity rules for anonymous surveys — the one place they are decided.

Every reader of anonymous results (dashboard, breakdowns, comments, key phrases, CSV export,
``polso responses export`` and any later API) asks this module what it may show:

* a group (the filtered result, a segment, a trend point, a question's answers) with fewer
  responses than the survey's ``min_group_size`` shows :data:`NOT_ENOUGH` instead of numbers;
* comments (and free-text answers, and the key phrases drawn from them) need, besides a shown
  group, at least ``COMMENT_MIN_GROUP_SIZE`` comments (key phrases: in each language too);
* no differencing: when a group is hidden, the next-smallest siblings are hidden too until at
  least two are hidden and they add up to the threshold, so no hidden group can be computed
  from a total; a group hidden in the breakdown stays hidden in every question table, and a
  filter straight onto a hidden group shows (and exports) nothing;
* a filter that removes fewer than the threshold from the group it narrows is refused, since
  the removed few could be computed as the difference;
* comments come shuffled (ordered by a hash, not by time) and dated by period only, without
  segment attributes or identity; the export drops identity and dates rows by period.

Identified surveys pass through unchanged: their rules are the roles' (accounts.access).
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from flask import current_app
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement

from survey_app.core.errors import DomainError
from survey_app.core.i18n import format_day
from survey_app.dashboards.filters import Filters, bucket_start
from survey_app.responses.models import Response
from survey_app.surveys.models import Survey

K = TypeVar("K", bound=Hashable)

NOT_ENOUGH = _l("Not enough responses to protect anonymity")


class NarrowingRefusedError(DomainError):
    """A filter would single out fewer respondents than the anonymity threshold."""

    def __init__(self, message: str, filter_name: str) -> None:
        super().__init__(message)
        self.filter_name = filter_name


class GroupHiddenError(DomainError):
    """The requested group is below the anonymity threshold (export refused)."""


@dataclass(frozen=True, slots=True)
class Disclosure:
    """What of an anonymous survey's single answers a reader may see (the API, webhooks);
    identified surveys show everything. Built by :meth:`Policy.disclosure` from the export's
    checks (``dashboards.export.prepare_export``)."""

    #: The group has enough comments for them to be read.
    comments: bool = False
    #: Free-text questions whose answers may be read.
    text_questions: frozenset[int] = frozenset()
    #: Segment attributes that may be shown (those a filter fixes to one value).
    segment_keys: tuple[str, ...] = ()


#: An anonymous answer read on its own, outside a checked group: its numbers only.
NOTHING_MORE = Disclosure()


@dataclass(frozen=True, slots=True)
class Policy:
    """What may be shown of one survey's results."""

    is_anonymous: bool
    #: Fewest responses a shown group may have.
    min_group: int
    #: Fewest comments a shown list of comments (or key-phrase list) may draw on.
    min_comments: int

    @classmethod
    def for_survey(cls, survey: Survey) -> Policy:
        return cls(is_anonymous=survey.is_anonymous, min_group=max(survey.min_group_size, 3),
                   min_comments=current_app.config["COMMENT_MIN_GROUP_SIZE"])

    # -- groups ----------------------------------------------------------------------------

    def shows(self, n: int) -> bool:
        """Whether a group of ``n`` responses may show its numbers."""
        return not self.is_anonymous or n >= self.min_group

    def hidden(self, sizes: Mapping[K, int], *, also: Collection[K] = ()) -> set[K]:
        """Sibling groups to hide: those below the threshold and those in ``also`` (hidden
        in another table of the same page), plus the next-smallest shown siblings until at
        least two are hidden and together reach the threshold — a lone hidden group, or a
        few small ones, could be computed as the total minus the shown ones.

        >>> sorted(Policy(True, 5, 5).hidden({"a": 2, "b": 4, "c": 5, "d": 6}))
        ['a', 'b']
        >>> sorted(Policy(True, 5, 5).hidden({"a": 3, "b": 10, "c": 12}))
        ['a', 'b']
        >>> sorted(Policy(True, 5, 5).hidden({"a": 6, "b": 10, "c": 12}, also={"a"}))
        ['a', 'b']
        """
        if not self.is_anonymous:
            return set()
        hidden = {k for k, n in sizes.items() if n > 0 and (n < self.min_group or k in also)}
        if not hidden:
            return hidden
        shown = sorted((k for k, n in sizes.items() if k not in hidden and n > 0),
                       key=lambda k: (sizes[k], str(k)))
        total = sum(sizes[k] for k in hidden)
        for key in shown:
            if total >= self.min_group and len(hidden) > 1:
                break
            hidden.add(key)
            total += sizes[key]
        return hidden

    def shows_filtered(self, siblings: Mapping[tuple[str, str | None],
                                               Mapping[str | None, int]]) -> bool:
        """Whether no segment filter points straight at a group its breakdown would hide.

        ``siblings`` maps each segment filter ``(attribute, value)`` to the sizes of all the
        attribute's values under the other filters: a group hidden only to protect a smaller
        sibling must not be reachable by filtering onto it.
        """
        return not any(value in self.hidden(sizes)
                       for (_key, value), sizes in siblings.items())

    def check_narrowing(self, n: int, parents: Mapping[str, int]) -> None:
        """Refuse filters that remove between 1 and threshold−1 responses from their group.

        ``parents`` maps each active filter to the count without that filter.

        :raises NarrowingRefusedError: the difference would expose a small group.
        """
        if not self.is_anonymous:
            return
        for name, parent in parents.items():
            if 0 < parent - n < self.min_group:
                raise NarrowingRefusedError(
                    _("This filter would leave out fewer than %(n)d responses, so the ones "
                      "left out could be worked out by comparison. Choose a broader filter.",
                      n=self.min_group), name)

    # -- comments --------------------------------------------------------------------------

    def shows_comments(self, group_n: int, comments: int) -> bool:
        """Whether a group's comments (or free-text answers, or their key phrases) may be read."""
        return not self.is_anonymous or (group_n >= self.min_group
                                         and comments >= self.min_comments)

    def comment_order(self) -> Sequence[ColumnElement[Any]]:
        """Shuffled (by the response's hash) for anonymous surveys; newest first otherwise.

        The hash order is unrelated to time or person and stable, so pages do not overlap.
        """
        if self.is_anonymous:
            return (Response.token_digest,)
        return (Response.submitted_dt.desc(), Response.id.desc())

    def sync_order(self) -> tuple[ColumnElement[Any], ...]:
        """The API's page order, also its keyset: anonymous answers in the comment list's
        shuffle (:meth:`comment_order`, unique per answer); identified ones in the order they
        were last written, so ``updated_since`` reads only what changed."""
        if self.is_anonymous:
            return (Response.token_digest,)
        return (Response.updated_dt, Response.id)

    def shows_identity(self) -> bool:
        """Names, e-mails, segment attributes per response and exact times."""
        return not self.is_anonymous

    def when(self, day: date, granularity: str) -> str:
        """How a response's date is shown: the day, or only its week/month when anonymous."""
        if not self.is_anonymous:
            return format_day(day)
        start = bucket_start(day, granularity)
        if granularity == "week":
            return _("week of %(day)s", day=format_day(start))
        return format_date(start, "MMMM yyyy")

    def period_label(self, day: date, granularity: str) -> str:
        """The export's date column: ISO day, or the start day of its week or month."""
        return (bucket_start(day, granularity) if self.is_anonymous else day).isoformat()

    # -- export ----------------------------------------------------------------------------

    def check_export(self, n: int, parents: Mapping[str, int],
                     siblings: Mapping[tuple[str, str | None], Mapping[str | None, int]]
                     ) -> None:
        """:raises GroupHiddenError: the filtered group is below the threshold or hidden
            among its siblings (:meth:`shows_filtered`).
        :raises NarrowingRefusedError: a filter narrows its group by too few."""
        if self.is_anonymous and (0 < n < self.min_group or not self.shows_filtered(siblings)):
            raise GroupHiddenError(str(NOT_ENOUGH))
        self.check_narrowing(n, parents)

    def export_order(self) -> Sequence[ColumnElement[Any]]:
        """Export rows shuffled (by hash) when anonymous, else in time order."""
        if self.is_anonymous:
            return (Response.token_digest,)
        return (Response.submitted_dt, Response.id)

    def export_segment_keys(self, filters: Filters, keys: list[str]) -> list[str]:
        """Segment columns of the export: all for identified surveys; for anonymous ones only
        the attributes the filters fix (one value each, so they single nobody out)."""
        if not self.is_anonymous:
            return keys
        return [key for key, _value in filters.segments]
