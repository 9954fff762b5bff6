"""Reading the follow-up queue: filters, one page of cases, counts, a case's history."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import case, select
from sqlalchemy.orm import joinedload, selectinload

from survey_app.accounts.access import Principal, followup_teams
from survey_app.accounts.models import User
from survey_app.core.db import db
from survey_app.core.themes import taxonomy
from survey_app.followups.models import (
    OPEN_STATUSES,
    PRIORITY_RANK,
    CaseReason,
    CaseStatus,
    FollowUp,
    FollowUpEvent,
    Priority,
)
from survey_app.responses.models import Answer, Response
from survey_app.surveys.models import Survey
from survey_app.themes.models import ResponseTheme, SurveyTheme
from survey_app.themes.services import theme_labels

#: Red first, then yellow, then green (the CLI's ordering; the queue uses ``priority_rank``).
PRIORITY_ORDER = case({"red": 0, "yellow": 1, "green": 2}, value=FollowUp.priority)

#: ``status`` filter values beyond the statuses themselves.
OPEN, ALL = "open", "all"


def open_cases(limit: int = 500) -> list[FollowUp]:
    """Open cases, most urgent first (priority, then due time)."""
    query = (select(FollowUp).where(FollowUp.status.in_(OPEN_STATUSES))
             .order_by(FollowUp.priority_rank, FollowUp.due_dt, FollowUp.id).limit(limit))
    return list(db.session.scalars(query))


@dataclass(frozen=True)
class QueueFilters:
    """What the queue shows; values are already validated (see ``followups.forms``)."""

    #: ``open`` (new, in progress, waiting), ``all``, or one status.
    status: str = OPEN
    priority: str | None = None
    #: ``me``, ``none`` (unassigned) or a user id.
    assignee: str | int | None = None
    survey_id: int | None = None
    #: One segment attribute and its value, e.g. ``("plan", "pro")``.
    segment: tuple[str, str] | None = None
    #: A theme key: cases whose answer's texts mention it.
    theme: str | None = None
    is_overdue: bool = False
    page: int = 1


def _where(user: User, filters: QueueFilters, now: datetime, *, status: bool = True
           ) -> list[Any]:
    """Conditions for ``filters`` on the cases ``user`` may work (``status=False``: all
    statuses, for the per-status counts)."""
    conditions: list[Any] = [FollowUp.team.in_(followup_teams(user))]
    if status and filters.status == OPEN:
        conditions.append(FollowUp.open_condition())
    elif status and filters.status != ALL:
        conditions.append(FollowUp.status == filters.status)
    if filters.priority:  # by rank: the team/status/rank index then answers the counts alone
        conditions.append(FollowUp.priority_rank == PRIORITY_RANK[Priority(filters.priority)])
    if filters.assignee == "me":
        conditions.append(FollowUp.assignee_id == user.id)
    elif filters.assignee == "none":
        conditions.append(FollowUp.assignee_id.is_(None))
    elif filters.assignee is not None:
        conditions.append(FollowUp.assignee_id == filters.assignee)
    if filters.is_overdue:
        conditions += [FollowUp.open_condition(), FollowUp.due_dt < now]
    if filters.survey_id is not None or filters.segment is not None:
        # ``IN (SELECT …)``: the responses are found once (by the survey index, or one pass
        # over the segments), not looked up case by case.
        responses = select(Response.id)
        if filters.survey_id is not None:
            responses = responses.where(Response.survey_id == filters.survey_id)
        if filters.segment is not None:
            key, value = filters.segment
            responses = responses.where(Response.segment[key].as_string() == value)
        conditions.append(FollowUp.response_id.in_(responses))
    if filters.theme is not None:
        conditions.append(FollowUp.response_id.in_(
            select(ResponseTheme.response_id).where(ResponseTheme.theme == filters.theme)))
    return conditions


def queue_page(user: User, filters: QueueFilters, now: datetime, size: int
               ) -> tuple[list[FollowUp], bool]:
    """One page of cases, red first, then by due time; and whether there is a next page."""
    query = (
        select(FollowUp).where(*_where(user, filters, now))
        .order_by(FollowUp.priority_rank, FollowUp.due_dt, FollowUp.id)
        .limit(size + 1).offset((filters.page - 1) * size)
        .options(joinedload(FollowUp.response).joinedload(Response.survey),
                 joinedload(FollowUp.response).selectinload(Response.themes),
                 joinedload(FollowUp.person), joinedload(FollowUp.assignee))
    )
    rows = list(db.session.scalars(query))
    return rows[:size], len(rows) > size


def case_page(user: Principal, filters: QueueFilters, now: datetime, *,
              after: tuple[int, datetime, int] | None, limit: int) -> list[FollowUp]:
    """Up to ``limit`` cases in queue order (red first, then due time, then id) after the
    case whose ``(priority_rank, due_dt, id)`` is ``after`` — the API's keyset pages."""
    conditions = _where(user, filters, now)
    if after is not None:
        rank, due, ident = after
        conditions.append(sa.or_(
            FollowUp.priority_rank > rank,
            sa.and_(FollowUp.priority_rank == rank, FollowUp.due_dt > due),
            sa.and_(FollowUp.priority_rank == rank, FollowUp.due_dt == due,
                    FollowUp.id > ident)))
    query = (select(FollowUp).where(*conditions)
             .order_by(FollowUp.priority_rank, FollowUp.due_dt, FollowUp.id).limit(limit)
             .options(joinedload(FollowUp.response).joinedload(Response.survey),
                      joinedload(FollowUp.person), joinedload(FollowUp.assignee)))
    return list(db.session.scalars(query))


def status_counts(user: User, filters: QueueFilters, now: datetime) -> dict[str, int]:
    """Cases per status under the other filters (``open`` and ``all`` included)."""
    rows = db.session.execute(
        select(FollowUp.status, sa.func.count())
        .where(*_where(user, replace(filters, status=ALL), now, status=False))
        .group_by(FollowUp.status)).all()
    counts = {status.value: 0 for status in CaseStatus} | dict(rows)  # type: ignore[arg-type]
    counts[OPEN] = sum(counts[s] for s in OPEN_STATUSES)
    counts[ALL] = sum(counts[s] for s in CaseStatus)
    return counts


def queue_surveys(user: User) -> list[Survey]:
    """Surveys whose cases ``user`` may work, for the survey filter."""
    audiences = ["customers" if team == "support" else "employees"
                 for team in followup_teams(user)]
    return list(db.session.scalars(select(Survey).where(Survey.audience.in_(audiences))
                                   .order_by(Survey.title, Survey.id)))


def queue_themes(surveys: list[Survey]) -> dict[str, str]:
    """Theme key → name of every theme of ``surveys`` (built-in and their own), by name."""
    names: dict[str, str] = {}
    for audience in sorted({survey.audience for survey in surveys}):
        names.update((theme.key, theme.label) for theme in taxonomy(audience))
    own = select(SurveyTheme.key, SurveyTheme.label).where(
        SurveyTheme.survey_id.in_([survey.id for survey in surveys]))
    for key, label in db.session.execute(own):
        names.setdefault(key, label)
    return dict(sorted(names.items(), key=lambda item: item[1].casefold()))


def case_themes(case: FollowUp) -> list[str]:
    """Names of the themes the case's answer mentions (comment and free-text answers)."""
    names = theme_labels(case.response.survey)
    keys = sorted({row.theme for row in case.response.themes})
    return sorted((names.get(key, key) for key in keys), key=str.casefold)


def agents(teams: list[str]) -> list[User]:
    """Active users who may work any of ``teams`` (for the assignee filter and assign form)."""
    from survey_app.accounts.access import TEAM_ROLES

    roles = sorted(set().union(*(TEAM_ROLES[t] for t in teams))) if teams else []
    return list(db.session.scalars(select(User).where(User.is_active.is_(True),
                                                      User.role.in_(roles))
                                   .order_by(sa.func.lower(User.email))))


def load_case(case_id: int) -> FollowUp | None:
    """A case with everything its page shows."""
    return db.session.scalar(
        select(FollowUp).where(FollowUp.id == case_id)
        .options(joinedload(FollowUp.response).joinedload(Response.survey)
                 .selectinload(Survey.questions),
                 joinedload(FollowUp.response).selectinload(Response.answers)
                 .joinedload(Answer.question),
                 joinedload(FollowUp.person), joinedload(FollowUp.assignee)))


def timeline(case: FollowUp) -> list[FollowUpEvent]:
    """Every event of ``case``, newest first, with actor and e-mail loaded."""
    return list(db.session.scalars(
        select(FollowUpEvent).where(FollowUpEvent.followup_id == case.id)
        .options(joinedload(FollowUpEvent.actor), joinedload(FollowUpEvent.mail))
        .order_by(FollowUpEvent.id.desc())))


def users_by_id(ids: set[int]) -> dict[int, User]:
    if not ids:
        return {}
    return {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))}


#: Earlier answers and cases shown on a case page.
HISTORY_LIMIT = 50


def shows_history(case: FollowUp) -> bool:
    """An employee who asked to be contacted shared this one answer, nothing else."""
    return case.reason != CaseReason.CONTACT_REQUEST and case.person_id is not None


def history(case: FollowUp) -> tuple[list[Response], list[FollowUp]]:
    """The person's other identified answers (across surveys of the case's audience) and their
    other cases of the same team, newest first. Empty for contact requests."""
    if not shows_history(case):
        return [], []
    audience = "employees" if case.team == "hr" else "customers"
    responses = list(db.session.scalars(
        select(Response).join(Survey, Survey.id == Response.survey_id)
        .where(Response.person_id == case.person_id, Response.id != case.response_id,
               Response.is_anonymous.is_(False), Survey.audience == audience)
        .options(selectinload(Response.survey), selectinload(Response.followup))
        .order_by(Response.submitted_dt.desc(), Response.id.desc()).limit(HISTORY_LIMIT)))
    cases = list(db.session.scalars(
        select(FollowUp).where(FollowUp.person_id == case.person_id, FollowUp.id != case.id,
                               FollowUp.team == case.team)
        .options(joinedload(FollowUp.response).joinedload(Response.survey))
        .order_by(FollowUp.created_dt.desc()).limit(HISTORY_LIMIT)))
    return responses, cases
