"""Public links against floods: a daily cap per survey and address, and bursts flagged.

Fresh cookies give a browser a fresh public answer, so the address is what is counted: at most
``PUBLIC_ANSWERS_PER_ADDRESS_DAY`` answers a day per survey (more are refused), and more than
``PUBLIC_BURST_ANSWERS`` within ``PUBLIC_BURST_MINUTES`` are flagged "suspected automated" for a
person to review. Only a keyed digest of the address is stored (:class:`PublicAnswerCount`).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from survey_app.core.db import db, utcnow
from survey_app.core.errors import DomainError
from survey_app.responses.models import PublicAnswerCount, Suspicion
from survey_app.surveys.models import Survey


class TooManyAnswersError(DomainError):
    """This address has given the survey's public link all the answers a day allows."""


def count_public_answer(survey: Survey, address: str,
                        now: datetime | None = None) -> Suspicion | None:
    """Count one public answer from ``address``; :data:`Suspicion.BURST` when it is part of a
    burst. In the answer's transaction, so a refused or failed answer is not counted.

    :raises TooManyAnswersError: the day's cap for this survey and address is reached.
    """
    now = now or utcnow()
    key = {"survey_id": survey.id, "day": now.date(),
           "address_digest": _digest(survey.id, now.date(), address)}
    window_start = now - timedelta(minutes=current_app.config["PUBLIC_BURST_MINUTES"])
    row = db.session.execute(_increment(key, now, window_start)).one_or_none()
    if row is None:
        try:
            with db.session.begin_nested():  # another request may insert the day's row first
                db.session.execute(sa.insert(PublicAnswerCount).values(
                    **key, answers=1, burst_start_dt=now, burst_answers=1))
            row = (1, 1)
        except IntegrityError:
            row = db.session.execute(_increment(key, now, window_start)).one()
    answers, burst = row
    if answers > current_app.config["PUBLIC_ANSWERS_PER_ADDRESS_DAY"]:
        raise TooManyAnswersError()
    return Suspicion.BURST if burst > current_app.config["PUBLIC_BURST_ANSWERS"] else None


def _increment(key: dict[str, object], now: datetime, window_start: datetime) -> sa.Update:
    """One atomic UPDATE … RETURNING: concurrent answers never lose a count."""
    table = PublicAnswerCount.__table__
    c = table.c
    restart = c.burst_start_dt < window_start
    when = sa.literal(now, c.burst_start_dt.type)
    return (sa.update(table)
            .where(*(c[name] == value for name, value in key.items()))
            .values(answers=c.answers + 1,
                    burst_start_dt=sa.case((restart, when), else_=c.burst_start_dt),
                    burst_answers=sa.case((restart, 1), else_=c.burst_answers + 1))
            .returning(c.answers, c.burst_answers))


def _digest(survey_id: int, day: date, address: str) -> str:
    key = str(current_app.config["SECRET_KEY"]).encode()
    message = f"polso-public-address|{survey_id}|{day.isoformat()}|{address}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def forget_past_days(now: datetime | None = None) -> int:
    """Delete the counts of days before yesterday (nothing reads them); flushes."""
    before = (now or utcnow()).date() - timedelta(days=1)
    result = db.session.execute(sa.delete(PublicAnswerCount)
                                .where(PublicAnswerCount.day < before))
    return result.rowcount or 0
