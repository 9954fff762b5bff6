"""Queueing the staff e-mails about cases: red alerts, SLA warnings and the daily digest.

These functions only add :class:`FollowUpMail` rows (flush, never commit); ``followups.tasks``
sends them after the commit, and ``followups.emails`` says what each one contains.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, timedelta
from functools import cache

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import selectinload

from survey_app.accounts.access import TEAM_ROLES
from survey_app.accounts.models import User
from survey_app.core.db import db, utcnow
from survey_app.followups.models import (
    OPEN_STATUSES,
    EventKind,
    FollowUp,
    FollowUpEvent,
    FollowUpMail,
    MailKind,
)

logger = logging.getLogger(__name__)

#: A case gets at most one SLA warning within this long.
SLA_WARNING_EVERY = timedelta(days=1)


def team_members(team: str) -> sa.Select[tuple[User]]:
    """Active users who may work ``team``'s cases (its role, and admins)."""
    roles = sorted(TEAM_ROLES.get(team, ()))
    return sa.select(User).where(User.is_active.is_(True), User.role.in_(roles)).order_by(User.id)


@cache
def _alert_recipients(team: str) -> sa.Select[tuple[int, str, str]]:
    """Id, address and language of the team members who want alerts: plain columns, built once
    per team (it runs on every red answer)."""
    users = User.__table__.c
    return (sa.select(users.id, users.email, users.locale)
            .where(users.is_active.is_(True), users.role.in_(sorted(TEAM_ROLES.get(team, ()))),
                   users.has_case_alerts.is_(True))
            .order_by(users.id))


def alert_mails(case: FollowUp, now: datetime, *, first: bool = False) -> list[FollowUpMail]:
    """The "a red case was opened" e-mails to each member of the case's team who wants alerts,
    not yet in the session, and the line on the case timeline that says so.

    At most once per case and user (a case that turns red again after an edit is not re-sent;
    ``first``: the case is new, nobody can have been alerted yet). Never flushes early.
    """
    with db.session.no_autoflush:
        recipients = db.session.execute(_alert_recipients(case.team)).all()
        if not first:
            done = set(db.session.scalars(sa.select(FollowUpMail.user_id).where(
                FollowUpMail.kind == MailKind.ALERT, FollowUpMail.followup_id == case.id)))
            recipients = [r for r in recipients if r.id not in done]
    mails = [FollowUpMail(kind=MailKind.ALERT, followup=case, user_id=r.id, to_address=r.email,
                          locale=r.locale, created_dt=now) for r in recipients]
    if mails:
        case.events.append(FollowUpEvent(kind=EventKind.ALERT, new_value=str(len(mails)),
                                         created_dt=now))
    return mails


def queue_alert(case: FollowUp, now: datetime | None = None) -> list[FollowUpMail]:
    """Queue the alerts of a case that turned red (see :func:`alert_mails`)."""
    mails = alert_mails(case, now or utcnow())
    db.session.add_all(mails)
    return mails


def queue_sla_warnings(now: datetime | None = None) -> list[FollowUpMail]:
    """Warn about open cases due within ``SLA_WARNING_HOURS`` (or already overdue).

    Each case is taken by one ``UPDATE … RETURNING`` that stamps ``sla_warned_dt``, so two
    schedulers never warn twice and a case is warned at most once a day. The assignee gets the
    warning; an unassigned case (or one whose assignee was deactivated) goes to its team
    members who want alerts. One e-mail per person lists all their cases.
    """
    now = now or utcnow()
    horizon = now + timedelta(hours=current_app.config["SLA_WARNING_HOURS"])
    ids = list(db.session.scalars(
        sa.update(FollowUp)
        .where(FollowUp.status.in_(OPEN_STATUSES), FollowUp.due_dt <= horizon,
               sa.or_(FollowUp.sla_warned_dt.is_(None),
                      FollowUp.sla_warned_dt <= now - SLA_WARNING_EVERY))
        .values(sla_warned_dt=now)
        .returning(FollowUp.id)
        .execution_options(synchronize_session=False)))
    if not ids:
        return []
    cases = list(db.session.scalars(sa.select(FollowUp).where(FollowUp.id.in_(ids))
                                    .options(selectinload(FollowUp.assignee))
                                    .order_by(FollowUp.priority_rank, FollowUp.due_dt)))
    per_user: dict[int, list[int]] = defaultdict(list)
    users: dict[int, User] = {}
    teams: dict[str, list[User]] = {}
    for case in cases:
        if case.assignee is not None and case.assignee.is_active:
            recipients = [case.assignee]
        else:
            if case.team not in teams:
                teams[case.team] = list(db.session.scalars(
                    team_members(case.team).where(User.has_case_alerts.is_(True))))
            recipients = teams[case.team]
        for user in recipients:
            users[user.id] = user
            per_user[user.id].append(case.id)
        case.events.append(FollowUpEvent(kind=EventKind.SLA_WARNING,
                                         new_value=str(len(recipients)), created_dt=now))
    mails = [FollowUpMail(kind=MailKind.SLA, user_id=user_id, to_address=users[user_id].email,
                          locale=users[user_id].locale, case_ids=case_ids, created_dt=now)
             for user_id, case_ids in per_user.items()]
    db.session.add_all(mails)
    db.session.flush()
    logger.info("SLA warnings: %s cases, %s e-mails", len(cases), len(mails))
    return mails


def digest_key(user_id: int, now: datetime) -> str:
    return f"digest:{now.date().isoformat()}:{user_id}"


def queue_digests(now: datetime | None = None) -> list[int]:
    """Queue today's digest for every staff user who works cases and wants it (once a day,
    from ``FOLLOWUP_DIGEST_HOUR`` UTC on; a later run the same day adds nothing).

    :returns: the ids of the rows added now.
    """
    now = now or utcnow()
    if now.hour < current_app.config["FOLLOWUP_DIGEST_HOUR"]:
        return []
    roles = sorted(set().union(*TEAM_ROLES.values()))
    users = list(db.session.scalars(sa.select(User).where(
        User.is_active.is_(True), User.has_daily_digest.is_(True), User.role.in_(roles))))
    if not users:
        return []
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    rows = [{"kind": MailKind.DIGEST.value, "user_id": u.id, "to_address": u.email,
             "locale": u.locale, "dedupe_key": digest_key(u.id, now), "status": "queued",
             "attempts": 0, "next_attempt_dt": now, "created_dt": now} for u in users]
    statement = (dialect.insert(FollowUpMail).values(rows)
                 .on_conflict_do_nothing(index_elements=["dedupe_key"])
                 .returning(FollowUpMail.id))
    added = list(db.session.scalars(statement))
    logger.info("daily digest queued for %s users", len(added))
    return added
