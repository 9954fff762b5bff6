"""SLA due/overdue at the boundaries, and the queue metrics computed in SQL."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from survey_app.core.db import db
from survey_app.followups import metrics, services
from survey_app.followups.queries import QueueFilters, queue_page
from survey_app.followups.views import sla_state
from survey_app.invitations.services import create_invitation
from survey_app.people.services import get_or_create_person
from survey_app.responses.services import Submission, record_response
from survey_app.surveys.services import create_survey
from tests.followups.conftest import NEGATIVE_EN, get_case, get_user

pytestmark = pytest.mark.usefixtures("app_ctx")

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
_numbers = itertools.count(1)


def answer(email: str, score: int, when: datetime, kind: str = "nps") -> None:
    """Record an identified answer of ``email`` at ``when`` (opens a case if unhappy)."""
    number = next(_numbers)
    survey = create_survey(kind=kind, title="again", slug=f"again-{number}")
    person = get_or_create_person(email)
    invitation, token = create_invitation(survey, person, now=when - timedelta(hours=1))
    record_response(survey, Submission(score=score), token=token, channel="email",
                    invitation=invitation, now=when)


# --- SLA ---------------------------------------------------------------------------------------


def test_due_time_follows_priority_and_configuration(app, make_case):
    red = get_case(make_case(1, NEGATIVE_EN, now=NOW))
    yellow = get_case(make_case(6, None, now=NOW))
    assert red.due_dt - red.created_dt == timedelta(hours=24)
    assert yellow.due_dt - yellow.created_dt == timedelta(hours=72)
    app.config["SLA_HOURS"] = {"red": 4, "yellow": 8, "green": 48}
    try:
        assert get_case(make_case(0, NEGATIVE_EN, now=NOW)).due_dt == NOW + timedelta(hours=4)
    finally:
        app.config["SLA_HOURS"] = {"red": 24, "yellow": 72, "green": 120}


@pytest.mark.parametrize(("offset", "state", "text"), [
    (timedelta(hours=-5), "ok", "5 hours left"),
    (timedelta(hours=-4, seconds=-1), "ok", "left"),
    (timedelta(hours=-4), "soon", "4 hours left"),
    (timedelta(seconds=-1), "soon", "left"),
    (timedelta(0), "soon", "0 minutes left"),
    (timedelta(seconds=1), "overdue", "overdue by"),
    (timedelta(days=2, hours=3), "overdue", "overdue by 2 days"),
])
def test_sla_state_at_the_boundaries(make_case, offset, state, text):
    case = get_case(make_case(1, NEGATIVE_EN, now=NOW))
    got_state, got_text = sla_state(case, case.due_dt + offset)
    assert got_state == state and text in got_text


def test_overdue_filter_excludes_the_due_instant(make_case, make_user):
    agent = get_user(make_user("support"))
    case = get_case(make_case(1, NEGATIVE_EN, now=NOW))
    overdue = QueueFilters(is_overdue=True)
    assert queue_page(agent, overdue, case.due_dt, 50)[0] == []
    assert [c.id for c in queue_page(agent, overdue, case.due_dt + timedelta(seconds=1),
                                     50)[0]] == [case.id]


def test_finished_cases_say_how_they_did(make_case, make_user):
    agent = get_user(make_user("support"))
    on_time, late = (get_case(make_case(1, NEGATIVE_EN, now=NOW)) for _ in range(2))
    for case, when in ((on_time, on_time.due_dt), (late, late.due_dt + timedelta(hours=2))):
        services.transition(case, "in_progress", by=agent, now=NOW)
        services.resolve(case, "fixed", by=agent, now=when)
    assert sla_state(on_time, NOW + timedelta(days=9)) == ("met", "resolved in time")
    assert sla_state(late, NOW + timedelta(days=9)) == ("missed", "resolved 2 hours late")


# --- metrics -----------------------------------------------------------------------------------


def test_median_time_to_first_action(make_case, make_user):
    agent = get_user(make_user("support"))
    for hours in (1, 3, 10):
        case = get_case(make_case(1, NEGATIVE_EN, now=NOW - timedelta(days=1)))
        services.add_note(case, "looked", by=agent, now=case.created_dt + timedelta(hours=hours))
    make_case(1, NEGATIVE_EN, now=NOW - timedelta(days=1))  # untouched
    make_case(1, NEGATIVE_EN, now=NOW - timedelta(days=40))  # outside the period
    assert metrics.median_first_action(["support"], NOW - timedelta(days=30)) == (
        timedelta(hours=3), 3, 1)
    case = get_case(make_case(1, NEGATIVE_EN, now=NOW - timedelta(days=1)))
    services.claim(case, agent, now=case.created_dt + timedelta(hours=4))
    median, acted, _ = metrics.median_first_action(["support"], NOW - timedelta(days=30))
    assert (median, acted) == (timedelta(hours=3, minutes=30), 4)  # even: mean of the middle two
    assert metrics.median_first_action(["hr"], NOW - timedelta(days=30)) == (None, 0, 0)


def test_share_resolved_within_sla(make_case, make_user):
    agent = get_user(make_user("support"))
    created = NOW - timedelta(days=5)  # red: due 4 days ago, inside a 30-day period
    in_time, late, open_, closed = (get_case(make_case(1, NEGATIVE_EN, now=created))
                                    for _ in range(4))
    for case, when in ((in_time, in_time.due_dt), (late, late.due_dt + timedelta(seconds=1))):
        services.transition(case, "in_progress", by=agent, now=created)
        services.resolve(case, "fixed", by=agent, now=when)
    services.transition(closed, "closed", by=agent, note="spam", now=created)
    make_case(1, NEGATIVE_EN, now=NOW)  # due tomorrow: not yet counted
    assert metrics.within_sla(["support"], NOW - timedelta(days=30), NOW) == (1, 3)
    result = metrics.queue_metrics(["support"], NOW)
    assert result.sla_share == pytest.approx(1 / 3)
    assert result.open_by_priority == {"red": 2, "yellow": 0, "green": 0}


def test_recovered_detractors_by_month(make_case, make_user):
    agent = get_user(make_user("support"))
    june, may = NOW - timedelta(days=5), NOW - timedelta(days=40)

    def resolved_case(email: str, when: datetime, score: int = 2, kind: str = "nps") -> None:
        case = get_case(make_case(score, NEGATIVE_EN, email=email, now=when - timedelta(days=1),
                                  kind=kind))
        services.transition(case, "in_progress", by=agent, now=when - timedelta(hours=1))
        services.resolve(case, "fixed", by=agent, now=when)

    resolved_case("recovered@example.com", june)
    answer("recovered@example.com", 8, june + timedelta(days=1))  # next answer 8: recovered
    answer("recovered@example.com", 1, june + timedelta(days=2))  # a later one does not count
    resolved_case("still@example.com", june)
    answer("still@example.com", 3, june + timedelta(days=1))  # answered again, still unhappy
    resolved_case("silent@example.com", june)  # never answered again
    resolved_case("before@example.com", june)
    answer("before@example.com", 10, june - timedelta(days=3))  # before the resolution: ignored
    resolved_case("csat@example.com", june, score=1, kind="csat")
    answer("csat@example.com", 3, june + timedelta(days=1), kind="csat")  # CSAT 3: recovered
    resolved_case("may@example.com", may)
    answer("may@example.com", 9, may + timedelta(days=2))
    # a mismatch (happy score, angry comment) is not a detractor
    mismatch = get_case(make_case(9, NEGATIVE_EN, email="mismatch@example.com",
                                  now=june - timedelta(days=1)))
    services.transition(mismatch, "in_progress", by=agent, now=june)
    services.resolve(mismatch, "fixed", by=agent, now=june)
    answer("mismatch@example.com", 10, june + timedelta(days=1))

    rows = metrics.recovered_detractors(["support"], NOW, months=3)
    assert [(r.month.month, r.resolved, r.answered_again, r.recovered) for r in rows] == [
        (6, 5, 3, 2), (5, 1, 1, 1), (4, 0, 0, 0)]
    assert rows[0].rate == pytest.approx(2 / 3) and rows[2].rate is None
    assert metrics.recovered_detractors(["hr"], NOW, months=1)[0].resolved == 0


def test_month_starts_cross_the_year():
    starts = metrics.month_starts(datetime(2026, 2, 10, tzinfo=UTC), 3)
    assert [(s.year, s.month, s.day) for s in starts] == [(2026, 2, 1), (2026, 1, 1),
                                                          (2025, 12, 1)]


def test_queue_page_uses_no_more_than_a_few_queries(app, make_case, make_user):
    """Eager loading: one query for the page and one for its cases' themes, whatever its size."""
    import sqlalchemy as sa

    agent = get_user(make_user("support"))
    for _ in range(8):
        make_case(1, NEGATIVE_EN)
    statements: list[str] = []

    def count(*args) -> None:
        statements.append(args[2])

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        cases, _ = queue_page(agent, QueueFilters(), NOW, 50)
        shown = [(c.response.survey.title, c.person.email, c.assignee) for c in cases]
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    assert len(shown) == 8 and len([s for s in statements if s.startswith("SELECT")]) == 2
