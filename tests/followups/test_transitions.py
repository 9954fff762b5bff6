"""The transition table, resolve/close rules, claim and assign — each writing timeline + audit."""

from __future__ import annotations

import itertools

import pytest
import sqlalchemy as sa

from survey_app.core.db import db
from survey_app.followups import services
from survey_app.followups.models import CaseStatus, EventKind, FollowUp
from tests.followups.conftest import audit_actions, get_case, get_user

STATUSES = [s.value for s in CaseStatus]
ALLOWED = {
    ("new", "in_progress"), ("new", "closed"),
    ("in_progress", "waiting"), ("in_progress", "resolved"), ("in_progress", "closed"),
    ("waiting", "in_progress"), ("waiting", "resolved"), ("waiting", "closed"),
    ("resolved", "in_progress"), ("closed", "in_progress"),
}


def test_the_table_is_exactly_the_documented_one():
    table = {(old, new) for old, targets in services.TRANSITIONS.items() for new in targets}
    assert table == ALLOWED


def _put_in(case, status: str, agent) -> None:
    """Drive ``case`` to ``status`` through allowed transitions only."""
    path = {"new": [], "in_progress": ["in_progress"], "waiting": ["in_progress", "waiting"],
            "resolved": ["in_progress", "resolved"], "closed": ["closed"]}[status]
    for step in path:
        services.transition(case, step, by=agent, outcome="fixed" if step == "resolved" else None,
                            note="why" if step == "closed" else None)


@pytest.mark.parametrize(("old", "new"), list(itertools.product(STATUSES, STATUSES)))
def test_every_pair(app_ctx, make_case, make_user, old, new):
    agent = get_user(make_user("support"))
    case = get_case(make_case())
    _put_in(case, old, agent)
    assert case.status == old
    events_before = len(case.events)
    kwargs = {"outcome": "fixed" if new == "resolved" else None,
              "note": "no way to reach them" if new == "closed" else None}
    if (old, new) in ALLOWED:
        services.transition(case, new, by=agent, **kwargs)
        db.session.flush()
        case = get_case(case.id)
        assert case.status == new
        status_event = [e for e in case.events if e.kind == EventKind.STATUS][-1]
        assert (status_event.old_value, status_event.new_value, status_event.actor_id) == (
            old, new, agent.id)
        assert audit_actions(case.id)[-1] == "followup.status"
        assert (case.outcome is not None) == (new == "resolved")
        assert (case.ended_dt is not None) == (new in ("resolved", "closed"))
    else:
        with pytest.raises(services.InvalidTransitionError) as error:
            services.transition(case, new, by=agent, **kwargs)
        assert "cannot be moved to" in str(error.value) and "It can go to:" in str(error.value)
        assert get_case(case.id).status == old
        assert len(get_case(case.id).events) == events_before


def test_resolve_needs_an_outcome_from_the_configured_list(app_ctx, make_case, make_user):
    agent = get_user(make_user("support"))
    case = get_case(make_case())
    services.transition(case, "in_progress", by=agent)
    for outcome in (None, "", "bribed"):
        with pytest.raises(services.InvalidTransitionError, match="Choose the outcome"):
            services.resolve(case, outcome, by=agent)  # type: ignore[arg-type]
    services.resolve(case, "refunded", by=agent, note="Refunded the last invoice.")
    event = case.events[-1]
    assert (case.status, case.outcome, event.outcome, event.body) == (
        "resolved", "refunded", "refunded", "Refunded the last invoice.")


def test_outcomes_are_configurable(app, app_ctx, make_case, make_user):
    agent = get_user(make_user("support"))
    case = get_case(make_case())
    services.transition(case, "in_progress", by=agent)
    app.config["FOLLOWUP_OUTCOMES"] = ("voucher",)
    try:
        with pytest.raises(services.InvalidTransitionError):
            services.resolve(case, "fixed", by=agent)
        services.resolve(case, "voucher", by=agent)
    finally:
        app.config["FOLLOWUP_OUTCOMES"] = ("fixed", "refunded", "explained", "not_reachable",
                                           "other")
    assert case.outcome == "voucher"


def test_closing_without_action_needs_a_reason(app_ctx, make_case, make_user):
    agent = get_user(make_user("support"))
    case = get_case(make_case())
    with pytest.raises(services.InvalidTransitionError, match="why"):
        services.transition(case, "closed", by=agent, note="   ")
    services.transition(case, "closed", by=agent, note="Spam answer")
    assert (case.status, case.outcome) == ("closed", None)


def test_reopening_clears_outcome_and_end(app_ctx, make_case, make_user):
    agent = get_user(make_user("support"))
    case = get_case(make_case())
    _put_in(case, "resolved", agent)
    services.transition(case, "in_progress", by=agent, note="Customer wrote back")
    assert (case.status, case.outcome, case.ended_dt) == ("in_progress", None, None)


def test_starting_an_unassigned_case_takes_it(app_ctx, make_case, make_user):
    agent = get_user(make_user("support"))
    case = get_case(make_case())
    services.transition(case, "in_progress", by=agent)
    assert case.assignee_id == agent.id and case.first_action_dt is not None
    kinds = [e.kind for e in case.events]
    assert kinds == ["opened", "alert", "assigned", "status"] or kinds == [
        "opened", "assigned", "status"]


def test_a_stale_page_cannot_overwrite_a_newer_status(app_ctx, make_case, make_user):
    """Agent B's page still says "new" after agent A started the case: B's change is refused."""
    a, b = get_user(make_user("support")), get_user(make_user("support"))
    case_id = make_case()
    case = get_case(case_id)
    db.session.execute(sa.update(FollowUp).where(FollowUp.id == case_id)
                       .values(status="in_progress", assignee_id=a.id)
                       .execution_options(synchronize_session=False))  # A, in another request
    with pytest.raises(services.CaseChangedError):
        services.transition(case, "closed", by=b, note="dup")  # B's stale object: "new"


def test_notes_are_trimmed_required_and_bounded(app_ctx, make_case, make_user):
    agent = get_user(make_user("support"))
    case = get_case(make_case())
    for bad in ("", "   ", "x" * (services.NOTE_MAX_LENGTH + 1), "a\x00b"):
        with pytest.raises(services.FollowUpError):
            services.add_note(case, bad, by=agent)
    event = services.add_note(case, "  Called, no answer.  ", by=agent)
    assert (event.kind, event.body, event.actor_id) == ("note", "Called, no answer.", agent.id)
    assert case.first_action_dt == event.created_dt
    assert audit_actions(case.id) == ["followup.note"]


def test_claim_assigns_and_starts(app_ctx, make_case, make_user):
    agent, other = get_user(make_user("support")), get_user(make_user("support"))
    case = get_case(make_case())
    services.claim(case, agent)
    assert (case.assignee_id, case.status) == (agent.id, "in_progress")
    with pytest.raises(services.FollowUpError, match="already assigned"):
        services.claim(case, other)
    assert audit_actions(case.id) == ["followup.claim"]


def test_only_admins_assign_and_only_to_people_of_the_team(app_ctx, make_case, make_user):
    admin, agent = get_user(make_user("admin")), get_user(make_user("support"))
    hr, viewer = get_user(make_user("hr")), get_user(make_user("viewer"))
    case = get_case(make_case())
    with pytest.raises(services.FollowUpError, match="Only admins"):
        services.assign(case, agent, by=agent)
    for wrong in (hr, viewer):
        with pytest.raises(services.FollowUpError, match="cannot work"):
            services.assign(case, wrong, by=admin)
    services.assign(case, agent, by=admin)
    services.assign(case, None, by=admin)
    assigned = [(e.old_value, e.new_value) for e in case.events if e.kind == "assigned"]
    assert assigned == [(None, str(agent.id)), (str(agent.id), None)]
    assert audit_actions(case.id) == ["followup.assign", "followup.assign"]


def test_hr_cannot_work_support_cases_and_support_cannot_work_hr_cases(
        app_ctx, make_case, make_user):
    hr, agent = get_user(make_user("hr")), get_user(make_user("support"))
    support_case = get_case(make_case())
    hr_case = get_case(make_case(4, "my manager", kind="enps", contact=True))
    assert (support_case.team, hr_case.team) == ("support", "hr")
    with pytest.raises(services.FollowUpError):
        services.add_note(support_case, "x", by=hr)
    with pytest.raises(services.FollowUpError):
        services.claim(hr_case, agent)


def test_actions_in_the_past_date_their_timeline_and_audit_rows_alike(app_ctx, make_case,
                                                                      make_user):
    """Imports and the demo replay history: the audit log shows when it happened."""
    from datetime import timedelta

    from survey_app.audit.models import AuditEvent
    from survey_app.core.db import utcnow

    agent, boss = get_user(make_user("support")), get_user(make_user("admin"))
    case = get_case(make_case())
    start = utcnow() - timedelta(days=40)
    services.claim(case, agent, now=start)
    services.add_note(case, "Called them.", by=agent, now=start + timedelta(hours=1))
    services.assign(case, boss, by=boss, now=start + timedelta(hours=2))
    services.resolve(case, "fixed", by=boss, now=start + timedelta(hours=3))
    rows = db.session.execute(sa.select(AuditEvent.action, AuditEvent.created_dt).where(
        AuditEvent.target_type == "followup", AuditEvent.target_id == case.id)
        .order_by(AuditEvent.id)).all()
    assert [(action, when - start) for action, when in rows] == [
        ("followup.claim", timedelta(0)), ("followup.note", timedelta(hours=1)),
        ("followup.assign", timedelta(hours=2)), ("followup.status", timedelta(hours=3))]
