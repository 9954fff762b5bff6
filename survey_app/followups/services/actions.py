"""Staff actions on a case: claim, assign, change status, resolve, note, reply.

Each writes the case timeline and the audit log, flushes and never commits. Changes that race
with another agent are compare-and-set ``UPDATE``\\ s: the loser gets :class:`CaseChangedError`,
never a silent overwrite.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm.attributes import set_committed_value

from survey_app.accounts.access import can_work_followups, followup_teams
from survey_app.accounts.models import ApiToken, User
from survey_app.audit import services as audit
from survey_app.core.db import db, utcnow
from survey_app.core.errors import DomainError
from survey_app.followups import emails
from survey_app.followups.models import (
    CaseStatus,
    EventKind,
    FollowUp,
    FollowUpEvent,
    FollowUpMail,
    MailKind,
)
from survey_app.followups.signals import followup_resolved, followup_updated

logger = logging.getLogger(__name__)

#: Every allowed status change: ``from → {to, …}``. Anything else is refused.
TRANSITIONS: dict[str, frozenset[str]] = {
    CaseStatus.NEW: frozenset({CaseStatus.IN_PROGRESS, CaseStatus.CLOSED}),
    CaseStatus.IN_PROGRESS: frozenset({CaseStatus.WAITING, CaseStatus.RESOLVED,
                                       CaseStatus.CLOSED}),
    CaseStatus.WAITING: frozenset({CaseStatus.IN_PROGRESS, CaseStatus.RESOLVED,
                                   CaseStatus.CLOSED}),
    CaseStatus.RESOLVED: frozenset({CaseStatus.IN_PROGRESS}),
    CaseStatus.CLOSED: frozenset({CaseStatus.IN_PROGRESS}),
}

#: Who acts on a case: a staff user, or an API token (a helpdesk) with its role; the timeline
#: and the audit log name the token.
Actor = User | ApiToken

#: Longest note and reply (characters).
NOTE_MAX_LENGTH = 5000
REPLY_MAX_LENGTH = 10000


class FollowUpError(DomainError):
    """A follow-up action was refused; the message says why, and ``field`` which form field
    it is about (``None``: the action as a whole)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class InvalidTransitionError(FollowUpError):
    """The status change is not in :data:`TRANSITIONS` or misses what it needs."""


class CaseStateError(FollowUpError):
    """The case's status or assignee does not allow the action (it is closed, or taken)."""


class CaseChangedError(FollowUpError):
    """Someone else changed the case since it was loaded."""

    def __init__(self) -> None:
        super().__init__(_("Someone else changed this case a moment ago. Here is how it is "
                           "now; please check and try again."))


def status_label(status: str) -> str:
    """The status as people read it."""
    return {
        CaseStatus.NEW: _("new"), CaseStatus.IN_PROGRESS: _("in progress"),
        CaseStatus.WAITING: _("waiting for customer"), CaseStatus.RESOLVED: _("resolved"),
        CaseStatus.CLOSED: _("closed without action"),
    }.get(status, status)


def outcome_label(outcome: str) -> str:
    """A configured outcome as people read it (known ones translated)."""
    return {
        "fixed": _("fixed"), "refunded": _("refunded"), "explained": _("explained"),
        "not_reachable": _("not reachable"), "other": _("other"),
    }.get(outcome, outcome.replace("_", " "))


# --- staff actions -----------------------------------------------------------------------------


def check_may_work(user: Actor, case: FollowUp) -> None:
    """:raises FollowUpError: ``user`` may not work ``case``'s team (views answer 404 first)."""
    if not can_work_followups(user, case.team):
        raise FollowUpError(_("You cannot work this team's cases."))


def _event(case: FollowUp, kind: str, actor: Actor | None, now: datetime, *,
           old: Any = None, new: Any = None, body: str | None = None,
           mail: FollowUpMail | None = None, change: str | None = None) -> FollowUpEvent:
    """Add a timeline line and announce it (``change``: how, when not the line's kind)."""
    event = FollowUpEvent(kind=kind, actor_id=actor.id if isinstance(actor, User) else None,
                          actor_token_name=actor.name if isinstance(actor, ApiToken) else None,
                          created_dt=now,
                          old_value=None if old is None else str(old),
                          new_value=None if new is None else str(new), body=body, mail=mail)
    case.events.append(event)
    if kind == EventKind.STATUS and new == CaseStatus.RESOLVED:
        followup_resolved.send(case)
    elif kind in _ANNOUNCED:
        followup_updated.send(case, change=change or str(kind))
    return event


#: Timeline lines announced as ``followup_updated`` (``change``: the kind, or ``claim``).
_ANNOUNCED = frozenset({EventKind.ASSIGNED, EventKind.STATUS, EventKind.NOTE, EventKind.REPLY})


def _guarded_update(case: FollowUp, expect: dict[str, Any], values: dict[str, Any]) -> None:
    """``UPDATE followups SET values WHERE id = case.id AND expect…`` — one statement, so two
    agents acting at once cannot both win (PostgreSQL re-checks the row after a concurrent
    commit; SQLite holds its write lock for the statement).

    :raises CaseChangedError: the case no longer matches ``expect``.
    """
    conditions = [FollowUp.id == case.id] + [
        getattr(FollowUp, key).is_(None) if value is None else getattr(FollowUp, key) == value
        for key, value in expect.items()]
    result = db.session.execute(
        sa.update(FollowUp).where(*conditions).values(**values)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise CaseChangedError()
    for key, value in values.items():
        set_committed_value(case, key, value)


def _audit(actor: Actor, action: str, case: FollowUp, **details: Any) -> None:
    """The audit row of an action: the staff user's, or the token's (``token:NAME``)."""
    if isinstance(actor, ApiToken):
        audit.record_api(actor, action, case, **details)
    else:
        audit.record(actor, action, case, **details)


def _first_action(case: FollowUp, now: datetime) -> dict[str, Any]:
    return {"first_action_dt": now} if case.first_action_dt is None else {}


def claim_next(user: User, *, now: datetime | None = None) -> FollowUp | None:
    """Give ``user`` the most urgent unassigned open case of their teams (red first, then due
    time), or ``None`` when there is none.

    One ``UPDATE … WHERE id = (SELECT … LIMIT 1 FOR UPDATE SKIP LOCKED) AND assignee_id IS NULL
    RETURNING id``: on PostgreSQL a second agent skips the row the first one holds; SQLite runs
    the whole statement under its write lock. Either way two agents never get the same case.
    A ``new`` case becomes ``in progress``.
    """
    now = now or utcnow()
    teams = followup_teams(user)
    if not teams:
        return None
    candidate = (
        sa.select(FollowUp.id)
        .where(FollowUp.team.in_(teams), FollowUp.open_condition(),
               FollowUp.assignee_id.is_(None))
        .order_by(FollowUp.priority_rank, FollowUp.due_dt, FollowUp.id)
        .limit(1)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    statement = (
        sa.update(FollowUp)
        .where(FollowUp.id == candidate, FollowUp.assignee_id.is_(None))
        .values(assignee_id=user.id,
                status=sa.case((FollowUp.status == CaseStatus.NEW, CaseStatus.IN_PROGRESS.value),
                               else_=FollowUp.status),
                first_action_dt=sa.func.coalesce(FollowUp.first_action_dt, now))
        .returning(FollowUp.id)
        .execution_options(synchronize_session=False)
    )
    case_id = db.session.scalar(statement)
    if case_id is None:
        return None
    case = db.session.get(FollowUp, case_id, populate_existing=True)
    _record_claim(case, user, now, started=_started_by_claim(case))
    return case


def _started_by_claim(case: FollowUp) -> bool:
    """Whether the claim just moved the case from ``new`` (it has no status event yet)."""
    return case.status == CaseStatus.IN_PROGRESS and not any(
        e.kind == EventKind.STATUS for e in case.events)


def _record_claim(case: FollowUp, user: User, now: datetime, *, started: bool,
                  by: Actor | None = None) -> None:
    by = by or user
    _event(case, EventKind.ASSIGNED, by, now, new=user.id, change="claim")
    if started:
        _event(case, EventKind.STATUS, by, now, old=CaseStatus.NEW, new=CaseStatus.IN_PROGRESS)
    _audit(by, "followup.claim", case, at=now, team=case.team, priority=case.priority,
           **({} if by is user else {"assignee": user.id}))
    logger.info("follow-up %s claimed by user %s", case.id, user.id)


def claim(case: FollowUp, user: User, *, by: ApiToken | None = None,
          now: datetime | None = None) -> None:
    """Assign the unassigned ``case`` to ``user`` (a ``new`` case becomes ``in progress``).

    ``by``: the API token claiming it for ``user`` (a helpdesk's agent), who must also be
    allowed to work the case.

    :raises FollowUpError: the case is closed or already someone's, or ``user`` (or ``by``)
        may not work it.
    :raises CaseChangedError: someone claimed it a moment ago.
    """
    check_may_work(by or user, case)
    if by is not None and (not user.is_active or not can_work_followups(user, case.team)):
        raise FollowUpError(_("%(name)s cannot work this team's cases.",
                              name=user.display_name))
    if not case.is_open:
        raise CaseStateError(_("This case is %(status)s; reopen it first.",
                               status=status_label(case.status)))
    if case.assignee_id is not None:
        raise CaseStateError(_("This case is already assigned to %(name)s.",
                               name=case.assignee.display_name if case.assignee else "?"))
    now = now or utcnow()
    started = case.status == CaseStatus.NEW
    values: dict[str, Any] = {"assignee_id": user.id, **_first_action(case, now)}
    if started:
        values["status"] = CaseStatus.IN_PROGRESS
    _guarded_update(case, {"assignee_id": None, "status": case.status}, values)
    _record_claim(case, user, now, started=started, by=by)


def assign(case: FollowUp, assignee: User | None, *, by: Actor,
           now: datetime | None = None) -> None:
    """Give ``case`` to ``assignee`` (``None``: unassign). Admins only.

    :raises FollowUpError: ``by`` is not an admin, or ``assignee`` cannot work this team.
    :raises CaseChangedError: the assignee changed since the page was loaded.
    """
    if by.role != "admin":
        raise FollowUpError(_("Only admins assign cases to others."))
    if assignee is not None and (not assignee.is_active
                                 or not can_work_followups(assignee, case.team)):
        raise FollowUpError(_("%(name)s cannot work this team's cases.",
                              name=assignee.display_name))
    new_id = assignee.id if assignee else None
    if new_id == case.assignee_id:
        return
    now = now or utcnow()
    old_id = case.assignee_id
    _guarded_update(case, {"assignee_id": old_id},
                    {"assignee_id": new_id, **_first_action(case, now)})
    _event(case, EventKind.ASSIGNED, by, now, old=old_id, new=new_id)
    _audit(by, "followup.assign", case, at=now, old=old_id, new=new_id)


def allowed_transitions(case: FollowUp) -> list[str]:
    """Statuses ``case`` may move to, in a stable order."""
    return [s for s in CaseStatus if s in TRANSITIONS[case.status]]


def transition(case: FollowUp, to: str, *, by: Actor, outcome: str | None = None,
               note: str | None = None, now: datetime | None = None) -> None:
    """Move ``case`` to status ``to`` as :data:`TRANSITIONS` allows.

    Resolving needs an ``outcome`` from ``FOLLOWUP_OUTCOMES``; closing without action needs a
    ``note`` saying why. Starting an unassigned case assigns it to ``by`` (a user; an API
    token leaves it unassigned); reopening clears the outcome. A ``note`` is kept on the
    timeline with the change.

    :raises InvalidTransitionError: not allowed from the current status, or missing outcome/note.
    :raises CaseChangedError: the status changed since the page was loaded.
    """
    check_may_work(by, case)
    note = (note or "").strip() or None
    _check_transition(case, to, outcome, note)
    now = now or utcnow()
    values: dict[str, Any] = {"status": to, **_first_action(case, now)}
    if to == CaseStatus.RESOLVED:
        values.update(outcome=outcome, ended_dt=now)
    elif to == CaseStatus.CLOSED:
        values.update(outcome=None, ended_dt=now)
    else:
        values.update(outcome=None, ended_dt=None)
    take = (to == CaseStatus.IN_PROGRESS and case.assignee_id is None
            and isinstance(by, User))
    if take:
        values["assignee_id"] = by.id
    old = case.status
    _guarded_update(case, {"status": old, "assignee_id": case.assignee_id}, values)
    if take:
        _event(case, EventKind.ASSIGNED, by, now, new=by.id)
    _event(case, EventKind.STATUS, by, now, old=old, new=to, body=note).outcome = outcome
    _audit(by, "followup.status", case, at=now, old=old, new=to, outcome=outcome,
           with_note=note is not None)
    logger.info("follow-up %s: %s → %s by %s", case.id, old, to, _who(by))


def _check_transition(case: FollowUp, to: str, outcome: str | None, note: str | None) -> None:
    if to not in TRANSITIONS.get(case.status, ()):
        allowed = ", ".join(status_label(s) for s in allowed_transitions(case))
        raise InvalidTransitionError(_(
            "A case that is %(current)s cannot be moved to “%(target)s”. It can go to: "
            "%(allowed)s.", current=status_label(case.status), target=status_label(to),
            allowed=allowed))
    outcomes = current_app.config["FOLLOWUP_OUTCOMES"]
    if to == CaseStatus.RESOLVED and outcome not in outcomes:
        raise InvalidTransitionError(_("Choose the outcome to resolve the case."), "outcome")
    if to != CaseStatus.RESOLVED and outcome:
        raise InvalidTransitionError(_("An outcome is only given when resolving."), "outcome")
    if to == CaseStatus.CLOSED and not note:
        raise InvalidTransitionError(_("Say in a note why the case is closed without action."),
                                     "note")
    if note and len(note) > NOTE_MAX_LENGTH:
        raise InvalidTransitionError(_("The note is longer than %(n)s characters.",
                                       n=NOTE_MAX_LENGTH), "note")


def _who(actor: Actor) -> str:
    return actor.actor if isinstance(actor, ApiToken) else f"user {actor.id}"


def resolve(case: FollowUp, outcome: str, *, by: Actor, note: str | None = None,
            now: datetime | None = None) -> None:
    """Resolve ``case`` with ``outcome`` (see :func:`transition`)."""
    transition(case, CaseStatus.RESOLVED, by=by, outcome=outcome, note=note, now=now)


def add_note(case: FollowUp, text: str, *, by: Actor, now: datetime | None = None
             ) -> FollowUpEvent:
    """Add an internal note (never shown to the customer).

    :raises FollowUpError: empty, too long or with a NUL character.
    """
    check_may_work(by, case)
    text = (text or "").strip()
    if not text:
        raise FollowUpError(_("Write the note first."))
    if len(text) > NOTE_MAX_LENGTH or "\x00" in text:
        raise FollowUpError(_("The note is longer than %(n)s characters or contains a NUL "
                              "character.", n=NOTE_MAX_LENGTH))
    now = now or utcnow()
    if case.first_action_dt is None:
        case.first_action_dt = now
    event = _event(case, EventKind.NOTE, by, now, body=text)
    db.session.flush()
    _audit(by, "followup.note", case, at=now, event_id=event.id, length=len(text))
    return event


def reply_locale(case: FollowUp) -> str:
    """The customer's language: the one they answered in, else their own, else the default."""
    languages = current_app.config["LANGUAGES"]
    for locale in (case.response.locale, case.person.locale if case.person else None):
        if locale in languages:
            return locale
    return languages[0]


def reply(case: FollowUp, *, subject: str, body: str, by: User, wait: bool = False,
          now: datetime | None = None) -> FollowUpMail:
    """Queue an e-mail from ``by`` to the case's customer; a job sends it after the commit.

    Replying to a ``new`` case starts it (and claims it if unassigned); ``wait`` then sets it
    to "waiting for customer".

    :raises FollowUpError: nobody to write to, an address that bounced, or a bad text.
    """
    check_may_work(by, case)
    person = case.person
    if person is None:
        raise FollowUpError(_("This case has no e-mail address to reply to."))
    if person.bounced_dt is not None:
        raise FollowUpError(_("E-mails to %(email)s bounced earlier; contact them another way.",
                              email=person.email))
    subject, body = " ".join((subject or "").split()), (body or "").strip()
    if not subject or not body:
        raise FollowUpError(_("Write a subject and a message."))
    if len(subject) > 200 or len(body) > REPLY_MAX_LENGTH or "\x00" in subject + body:
        raise FollowUpError(_("The subject (200) or message (%(n)s characters) is too long, or "
                              "contains a NUL character.", n=REPLY_MAX_LENGTH))
    locale = reply_locale(case)
    if emails.placeholder(locale) in body:
        raise FollowUpError(_("Replace the line “%(line)s” with your answer first.",
                              line=emails.placeholder(locale)))
    wait = wait and case.status != CaseStatus.WAITING  # already waiting: stays so
    if wait and CaseStatus.WAITING not in TRANSITIONS.get(case.status, ()) and (
            case.status != CaseStatus.NEW):
        raise InvalidTransitionError(_("A case that is %(current)s cannot wait for the "
                                       "customer.", current=status_label(case.status)))
    now = now or utcnow()
    if case.status == CaseStatus.NEW:
        transition(case, CaseStatus.IN_PROGRESS, by=by, now=now)
    mail = FollowUpMail(kind=MailKind.REPLY, followup=case, author_id=by.id,
                        to_address=person.email, locale=locale, subject=subject,
                        body=body)
    db.session.add(mail)
    if case.first_action_dt is None:
        case.first_action_dt = now
    _event(case, EventKind.REPLY, by, now, new=person.email[:64], mail=mail)
    db.session.flush()
    audit.record(by, "followup.reply", case, at=now, mail_id=mail.id, locale=mail.locale)
    if wait:
        transition(case, CaseStatus.WAITING, by=by, now=now)
    return mail
