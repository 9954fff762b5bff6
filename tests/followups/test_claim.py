"""Claim next: the most urgent unassigned case of my team — and never the same case twice."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from survey_app.accounts.models import User
from survey_app.core.db import db, set_write_intent, utcnow
from survey_app.followups import services
from survey_app.followups.models import FollowUp
from tests.followups.conftest import NEGATIVE_EN, get_case, get_user


def test_red_first_then_earliest_due(app_ctx, make_case, make_user):
    agent = get_user(make_user("support"))
    now = utcnow()
    yellow_old = make_case(6, None, now=now - timedelta(days=10))  # due long ago, but yellow
    red_late = make_case(2, NEGATIVE_EN, now=now - timedelta(hours=1))
    red_early = make_case(1, NEGATIVE_EN, now=now - timedelta(hours=5))
    assert get_case(yellow_old).priority == "yellow"
    order = [services.claim_next(agent).id for _ in range(3)]
    assert order == [red_early, red_late, yellow_old]
    assert services.claim_next(agent) is None


def test_claim_next_skips_assigned_closed_and_other_teams(app_ctx, make_case, make_user):
    agent, other = get_user(make_user("support")), get_user(make_user("support"))
    hr = get_user(make_user("hr"))
    taken = get_case(make_case())
    services.claim(taken, other)
    closed = get_case(make_case())
    services.transition(closed, "closed", by=other, note="duplicate")
    hr_case = make_case(3, "please call me", kind="enps", contact=True)
    free = make_case(5, None)
    assert services.claim_next(agent).id == free
    assert services.claim_next(agent) is None  # the HR case is not support's
    claimed = services.claim_next(hr)
    assert claimed.id == hr_case and claimed.assignee_id == hr.id


def test_claim_next_starts_the_case_and_records_it(app_ctx, make_case, make_user):
    agent = get_user(make_user("support"))
    case_id = make_case()
    case = services.claim_next(agent)
    assert (case.id, case.status, case.assignee_id) == (case_id, "in_progress", agent.id)
    assert case.first_action_dt is not None
    kinds = [(e.kind, e.old_value, e.new_value) for e in case.events
             if e.kind in ("assigned", "status")]
    assert kinds == [("assigned", None, str(agent.id)), ("status", "new", "in_progress")]


def test_viewer_has_no_queue(app_ctx, make_case, make_user):
    make_case()
    assert services.claim_next(get_user(make_user("viewer"))) is None


@pytest.mark.live
def test_two_agents_clicking_at_once_never_get_the_same_case(app, make_case, make_user):
    """Real commits, one connection per agent thread, both hammering claim-next together (the
    suite runs this on SQLite and, with POLSO_DATABASE_URL, on PostgreSQL)."""
    cases = {make_case(2, NEGATIVE_EN) for _ in range(24)}
    agents = [make_user("support") for _ in range(4)]
    barrier = threading.Barrier(len(agents))
    claimed: dict[int, list[int]] = {a: [] for a in agents}
    errors: list[BaseException] = []

    def work(agent_id: int) -> None:
        try:
            with app.app_context():
                set_write_intent(True)  # as in a POST request
                user = db.session.get(User, agent_id)
                barrier.wait()
                while (case := services.claim_next(user)) is not None:
                    claimed[agent_id].append(case.id)
                    db.session.commit()
                db.session.rollback()
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(a,)) for a in agents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert not errors, errors
    everything = [c for ids in claimed.values() for c in ids]
    assert sorted(everything) == sorted(cases)  # each case exactly once
    assert sum(1 for ids in claimed.values() if ids) >= 2  # they really competed
    with app.app_context():
        owners = dict(db.session.execute(select(FollowUp.id, FollowUp.assignee_id)).all())
        assert all(owners[c] == a for a, ids in claimed.items() for c in ids)
        assert db.session.scalar(select(func.count()).select_from(FollowUp)
                                 .where(FollowUp.assignee_id.is_(None))) == 0
