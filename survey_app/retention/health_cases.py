"""Red customers without an open case → cases, in one step (page button and CLI flag)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select

from survey_app.accounts.models import User
from survey_app.core.db import db, utcnow
from survey_app.followups import services as followups
from survey_app.followups.models import OPEN_STATUSES, FollowUp
from survey_app.responses.models import Response
from survey_app.retention.health import health_of, people_with_light
from survey_app.surveys.models import Survey


@dataclass(frozen=True)
class CasesOpened:
    #: Red customers who got a case (new, or their latest answer's closed case reopened).
    opened: int
    #: Red customers without an identified answer to a customer survey to attach a case to.
    skipped: int


def red_without_open_case() -> list[int]:
    """Ids of red customers none of whose cases is open."""
    red = people_with_light("red").subquery()
    open_case = (select(FollowUp.person_id)
                 .where(FollowUp.status.in_(OPEN_STATUSES), FollowUp.person_id.is_not(None)))
    return list(db.session.scalars(select(red.c.person_id)
                                   .where(red.c.person_id.not_in(open_case))
                                   .order_by(red.c.person_id)))


def _latest_answers(person_ids: list[int]) -> dict[int, int]:
    """``{person id: id of their latest identified answer to a customer survey}``."""
    ranked = (select(Response.person_id, Response.id,
                     func.row_number().over(partition_by=Response.person_id,
                                            order_by=(Response.submitted_dt.desc(),
                                                      Response.id.desc())).label("rn"))
              .join(Survey, Survey.id == Response.survey_id)
              .where(Response.person_id.in_(person_ids), Response.is_anonymous.is_(False),
                     Survey.audience == "customers").subquery())
    return dict(db.session.execute(select(ranked.c.person_id, ranked.c.id)
                                   .where(ranked.c.rn == 1)).tuples().all())


def open_red_cases(*, by: User | None, now: datetime | None = None) -> CasesOpened:
    """Open a red case for every red customer without an open case, on their latest answer,
    its first note saying why the light is red (flushes; the caller audits and commits)."""
    now = now or utcnow()
    ids = red_without_open_case()
    answers = _latest_answers(ids)
    health = health_of(answers)
    opened = 0
    for person_id, response_id in answers.items():
        note = _("Health light red: %(why)s", why=" ".join(health[person_id].reasons))
        response = db.session.get(Response, response_id)
        if followups.open_health_case(response, note=note, by=by, now=now) is not None:
            opened += 1
    return CasesOpened(opened, len(ids) - len(answers))
