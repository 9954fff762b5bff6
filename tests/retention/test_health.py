"""The health light: every rule, its explanation, and employees never appearing (SQL on both
databases; docs/retention.md, "Health light")."""

from __future__ import annotations

import itertools
import secrets
from datetime import date, datetime, timedelta

import pytest

from survey_app import create_app
from survey_app.core.db import db, utcnow
from survey_app.core.scoring import categorise
from survey_app.followups.models import FollowUp
from survey_app.invitations.models import Invitation
from survey_app.people.services import get_or_create_person
from survey_app.responses.models import Response
from survey_app.retention import summaries
from survey_app.retention.health import all_health, health_of, light_counts, movement
from survey_app.retention.models import Activity
from survey_app.surveys.models import Survey

_ids = itertools.count(1)
NOW = utcnow()


@pytest.fixture
def world(app_ctx, make_survey):
    """A customer NPS survey, a CSAT one and an employee one, and helpers to add facts."""
    return World(db.session.get(Survey, make_survey("nps")),
                 db.session.get(Survey, make_survey("csat")),
                 db.session.get(Survey, make_survey("enps")))


class World:
    def __init__(self, nps: Survey, csat: Survey, enps: Survey) -> None:
        self.nps, self.csat, self.enps = nps, csat, enps

    def person(self, kind: str = "customer", created: datetime | None = None):
        person = get_or_create_person(f"p{next(_ids)}@example.com", kind=kind)
        person.created_dt = created or NOW - timedelta(days=400)
        db.session.flush()
        return person

    def answer(self, person, score: int, days_ago: float = 1, *, survey: Survey | None = None,
               sentiment: str = "unknown", **values) -> Response:
        survey = survey or self.nps
        response = Response(survey_id=survey.id, person_id=person.id, score=score,
                            category=categorise(survey.kind, score), locale="en",
                            token_digest=secrets.token_hex(32), channel="email",
                            sentiment_label=sentiment,
                            submitted_dt=NOW - timedelta(days=days_ago), **values)
        db.session.add(response)
        db.session.flush()
        return response

    def activity(self, person, kind: str, days_ago: int) -> None:
        db.session.add(Activity(person_id=person.id, kind=kind, external_id=f"a{next(_ids)}",
                                occurred_on=NOW.date() - timedelta(days=days_ago)))
        summaries.refresh([person.id])

    def invitation(self, person, status: str, days_ago: int) -> None:
        db.session.add(Invitation(survey_id=self.nps.id, person_id=person.id, status=status,
                                  token_hash=secrets.token_hex(32),
                                  created_dt=NOW - timedelta(days=days_ago),
                                  expires_dt=NOW + timedelta(days=30)))
        db.session.flush()

    def case(self, response: Response, priority: str, status: str = "new") -> None:
        db.session.add(FollowUp(response_id=response.id, person_id=response.person_id,
                                team="support", reason="detractor", priority=priority,
                                priority_rank={"red": 0, "yellow": 1, "green": 2}[priority],
                                status=status, due_dt=NOW + timedelta(days=1),
                                created_dt=NOW - timedelta(days=1)))
        db.session.flush()


def light(person):
    """The light as of ``NOW`` from the activity rows — and the same from the summary (the
    light as of now, what the pages show)."""
    health = health_of([person.id], as_of=NOW)[person.id]
    assert health_of([person.id])[person.id] == health
    return health.light, health.reasons


def test_nothing_known_is_green(world):
    assert light(world.person()) == ("green", ["No warning signs."])


def test_promoter_is_green(world):
    person = world.person()
    world.answer(person, 10)
    assert light(person) == ("green", ["No warning signs."])


def test_detractor_in_the_last_answer_is_red(world):
    person = world.person()
    world.answer(person, 9, days_ago=40)
    world.answer(person, 8, days_ago=20)
    world.answer(person, 6, days_ago=2)
    assert light(person) == ("red", ["Detractor in the last answer (score 6)."])


def test_only_the_last_answer_counts(world):
    person = world.person()
    world.answer(person, 2, days_ago=40)
    world.answer(person, 9, days_ago=2)
    assert light(person)[0] == "green"


def test_dissatisfied_csat_answer_is_red_and_neutral_is_yellow(world):
    red, yellow = world.person(), world.person()
    world.answer(red, 2, survey=world.csat)
    world.answer(yellow, 3, survey=world.csat)
    # CSAT's own words: "detractor" and "passive" are NPS's, and 3 of 5 is not a 3 of 10.
    assert light(red) == ("red", ["Dissatisfied in the last answer (score 2 of 5)."])
    assert light(yellow) == ("yellow", ["Neutral in the last answer (score 3 of 5)."])


def test_an_open_red_case_is_red_until_it_is_closed(world):
    person = world.person()
    world.answer(person, 9, days_ago=1)
    old = world.answer(person, 9, days_ago=30, comment="x", is_mismatch=True)
    world.case(old, "red")
    assert light(person) == ("red", ["A red case is open."])
    db.session.execute(FollowUp.__table__.update().values(status="resolved", outcome="fixed"))
    assert light(person)[0] == "green"


def test_yellow_case_is_not_red(world):
    person = world.person()
    world.case(world.answer(person, 9, days_ago=3), "yellow")
    assert light(person)[0] == "green"


def test_cancellation_as_latest_activity_is_red_and_a_reactivation_clears_it(world):
    person = world.person()
    world.activity(person, "purchase", 100)
    world.activity(person, "cancellation", 10)
    day = (NOW.date() - timedelta(days=10)).isoformat()
    assert light(person) == ("red", [f"Cancelled on {day} (the latest activity)."])
    world.activity(person, "reactivation", 3)
    assert light(person)[0] == "green"


def test_score_drop_of_three_points_is_red(world):
    person = world.person()
    world.answer(person, 10, days_ago=30)
    world.answer(person, 7, days_ago=1)
    assert light(person) == ("red", [
        "Score dropped from 10 to 7 between the last two answers.",
        "Passive in the last answer (score 7)."])


def test_drop_of_two_points_is_not_a_drop(world):
    person = world.person()
    world.answer(person, 10, days_ago=30)
    world.answer(person, 8, days_ago=1)
    assert light(person) == ("yellow", ["Passive in the last answer (score 8)."])


def test_drop_across_scales_is_not_compared(world):
    person = world.person()
    world.answer(person, 10, days_ago=30)
    world.answer(person, 5, days_ago=1, survey=world.csat)  # 5 of 5: satisfied
    assert light(person)[0] == "green"


def test_negative_comment_in_the_last_answer_is_yellow(world):
    person = world.person()
    world.answer(person, 9, comment="slow and rude", sentiment="negative", is_mismatch=True)
    assert light(person) == ("yellow", ["Negative comment in the last answer."])


def test_no_order_for_longer_than_usual_is_yellow(world):
    person = world.person()
    for days_ago in (150, 120, 90, 60):  # every 30 days, the last 60 days ago
        world.activity(person, "purchase", days_ago)
    assert light(person) == ("yellow", ["No order for 60 days; usually one every 30 days."])


def test_usual_rhythm_is_green_and_a_median_is_robust(world):
    regular, odd = world.person(), world.person()
    for days_ago in (90, 60, 30, 10):
        world.activity(regular, "renewal", days_ago)
    # Gaps 300, 10, 10, 10: median 10; 12 days idle is within 10 × 1.5.
    for days_ago in (342, 42, 32, 22, 12):
        world.activity(odd, "purchase", days_ago)
    assert light(regular)[0] == "green"
    assert light(odd)[0] == "green"


def test_too_few_orders_for_a_rhythm(world):
    person = world.person()
    world.activity(person, "purchase", 400)
    world.activity(person, "purchase", 390)
    assert light(person)[0] == "green"


def test_no_answer_to_the_last_two_invitations_is_yellow(world):
    person = world.person()
    world.invitation(person, "responded", 60)
    world.invitation(person, "sent", 30)
    world.invitation(person, "expired", 20)
    assert light(person) == ("yellow", ["No answer to the last 2 invitations."])


@pytest.mark.parametrize("statuses", [
    [("sent", 30), ("opened", 3)],        # the last one is still fresh
    [("sent", 30), ("responded", 20)],    # the last one was answered
    [("expired", 30)],                    # only one
    [("sent", 30), ("bounced", 20)],      # a bounce was never delivered: one of one
])
def test_answered_fresh_or_undelivered_invitations_are_not_silence(world, statuses):
    person = world.person()
    for status, days_ago in statuses:
        world.invitation(person, status, days_ago)
    assert light(person)[0] == "green"


def test_red_wins_and_every_reason_is_listed(world):
    person = world.person()
    world.answer(person, 3, days_ago=1, comment="awful", sentiment="negative")
    world.activity(person, "cancellation", 1)
    light_, reasons = light(person)
    assert light_ == "red"
    assert reasons[0].startswith("Detractor") and "Negative comment in the last answer." in reasons
    assert any(r.startswith("Cancelled on") for r in reasons)


def test_anonymous_and_suspected_answers_do_not_count(world):
    person = world.person()
    world.answer(person, 9, days_ago=10)
    world.answer(person, 0, days_ago=1, is_suspected_automated=True,
                 suspected_reason="too_fast")
    assert light(person)[0] == "green"


def test_employees_never_appear(world):
    employee = world.person("employee")
    world.answer(employee, 0, survey=world.enps)
    customer = world.person()
    world.answer(customer, 0, survey=world.enps)  # an employee survey says nothing of them
    assert employee.id not in health_of([employee.id, customer.id], as_of=NOW)
    assert light(customer)[0] == "green"
    emails = [email for email, _ in all_health(as_of=NOW)]
    assert employee.email not in emails and customer.email in emails
    assert sum(light_counts(as_of=NOW).values()) == len(emails)


def test_counts_and_month_by_month_movement(world):
    month_ago = NOW - timedelta(days=40)
    red, green = world.person(created=month_ago), world.person(created=month_ago)
    world.answer(red, 9, days_ago=39)
    world.answer(red, 2, days_ago=1)
    world.answer(green, 10, days_ago=39)
    assert light_counts(as_of=NOW) == {"red": 1, "yellow": 0, "green": 1}
    months = movement(3, now=NOW)
    assert [end for end, _ in months][-1] == NOW.date()
    assert len(months) == 3 and all(isinstance(end, date) for end, _ in months)
    # A month ago both were promoters; now one is red.
    before = next(c for end, c in months if end < (NOW - timedelta(days=2)).date()
                  and end >= month_ago.date())
    assert before == {"red": 0, "yellow": 0, "green": 2}
    assert months[-1][1] == {"red": 1, "yellow": 0, "green": 1}


@pytest.mark.parametrize(("name", "value"), [
    ("HEALTH_SCORE_DROP", 0), ("HEALTH_MIN_ORDERS", "3"), ("HEALTH_UNANSWERED", True),
    ("HEALTH_INACTIVITY_FACTOR", 0), ("HEALTH_INACTIVITY_FACTOR", "x"),
])
def test_bad_rules_refuse_to_start(name, value):
    with pytest.raises(RuntimeError, match=f"POLSO_{name}"):
        create_app({"TESTING": True, name: value})
