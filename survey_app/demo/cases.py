"""The demo's staff at work: cases claimed, noted and resolved by several agents, in and out of
SLA, through the follow-up services at the moments it happened (timeline and audit log alike)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, select

from survey_app.accounts.models import User
from survey_app.audit.services import record
from survey_app.core.db import db
from survey_app.demo import data
from survey_app.followups.models import FollowUp
from survey_app.followups.services import add_note, claim, resolve, transition
from survey_app.surveys.models import Survey, Wave
from survey_app.waves.audience import Audience, kind_for

#: Cases opened in the last ten days, and each team's :data:`NEWEST` cases whatever their age,
#: are still open (new, in progress or waiting, in turn per team; some already overdue); older
#: ones were ended. So every queue shows each open state, however quiet the last days were.
RECENT = timedelta(days=10)
NEWEST = 3
OPEN_STATES = ["new", "in_progress", "waiting"]
#: Share of finished cases resolved after their due time.
LATE_RATE = 0.2


def _agents() -> dict[str, list[User]]:
    return {team: list(db.session.scalars(select(User).where(User.role == team)
                                          .order_by(User.id)))
            for team in ("support", "hr")}


def _untouched(*where: ColumnElement[bool]) -> list[FollowUp]:
    return list(db.session.scalars(select(FollowUp).where(FollowUp.status == "new", *where)
                                   .order_by(FollowUp.created_dt, FollowUp.id)))


def _newest() -> set[int]:
    """Each team's :data:`NEWEST` cases so far: never ended during the replay, so they are
    still its newest and untouched when it ends."""
    return {case_id for team in ("support", "hr") for case_id in db.session.scalars(
        select(FollowUp.id).where(FollowUp.team == team)
        .order_by(FollowUp.created_dt.desc(), FollowUp.id.desc()).limit(NEWEST))}


def finish_due_cases(now: datetime, rng: random.Random) -> None:
    """The cases due more than :data:`RECENT` before ``now`` are worked and ended by then
    (before the next wave goes out, so their people are asked again like everybody else),
    except each team's newest."""
    agents, newest = _agents(), _newest()
    for case in _untouched(FollowUp.due_dt <= now - RECENT, FollowUp.id.not_in(newest)):
        start = case.created_dt + timedelta(hours=rng.randint(1, 20))
        _finish(case, rng.choice(agents[case.team]), start, now, rng)


def work_cases(now: datetime, rng: random.Random) -> None:
    """End the cases older than :data:`RECENT` but each team's newest; leave the others at
    various stages."""
    agents, newest = _agents(), _newest()
    opened = {"support": 0, "hr": 0}
    for case in _untouched():
        agent = rng.choice(agents[case.team])
        start = case.created_dt + timedelta(hours=rng.randint(1, 20))
        if now - case.created_dt >= RECENT and case.id not in newest:
            _finish(case, agent, start, now, rng)
            continue
        state = OPEN_STATES[opened[case.team] % len(OPEN_STATES)]
        opened[case.team] += 1
        if state != "new":
            # Claimed by now, however recent the case: each open state has its case.
            start = min(start, case.created_dt + (now - case.created_dt) / 2)
            claim(case, agent, now=start)
            add_note(case, rng.choice(data.NOTES[case.team]), by=agent,
                     now=start + (now - start) / 3)
            if state == "waiting":
                transition(case, "waiting", by=agent, now=start + (now - start) / 2)


def _finish(case: FollowUp, agent: User, start: datetime, now: datetime,
            rng: random.Random) -> None:
    claim(case, agent, now=start)
    if rng.random() < LATE_RATE or case.due_dt <= start:
        end = min(case.due_dt + timedelta(hours=rng.randint(2, 48)), now)
    else:
        end = start + (case.due_dt - start) * rng.uniform(0.2, 0.9)
    end = max(end, start + timedelta(minutes=5))
    note = rng.choice(data.NOTES[case.team])
    if rng.random() < 0.9:
        resolve(case, rng.choice(data.OUTCOMES[case.team]), by=agent, note=note, now=end)
    else:
        transition(case, "closed", by=agent, now=end,
                   note="Could not reach them after three attempts.")


def audit_history(surveys: list[Survey]) -> None:
    """The audit rows of how the surveys were set up and sent, dated when that happened."""
    for survey in surveys:
        role = "hr" if survey.audience == "employees" else "admin"
        actor = db.session.scalars(select(User).where(User.role == role).order_by(User.id)
                                   ).first()
        record(actor, "survey.create", survey, at=survey.created_dt, kind=survey.kind,
               title=survey.title)
        for wave in db.session.scalars(select(Wave).where(Wave.survey_id == survey.id)):
            record(actor, "wave.sent", wave, at=wave.started_dt, survey_id=survey.id,
                   audience=Audience(kind_for(survey)).describe())
