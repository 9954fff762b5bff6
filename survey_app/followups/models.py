"""Follow-up models: the case, its timeline and the e-mails it sends."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from survey_app.accounts.models import User
from survey_app.core.db import IDS_NEVER_REUSED, db, utcnow
from survey_app.core.delivery import DeliveryMixin, delivery_table_args
from survey_app.people.models import Person
from survey_app.responses.models import Response


class Priority(StrEnum):
    RED = "red"
    YELLOW = "yellow"
    GREEN = "green"


#: Sort key of each priority: red first.
PRIORITY_RANK = {Priority.RED: 0, Priority.YELLOW: 1, Priority.GREEN: 2}


class CaseStatus(StrEnum):
    NEW = "new"
    IN_PROGRESS = "in_progress"
    WAITING = "waiting"
    RESOLVED = "resolved"
    CLOSED = "closed"


#: Statuses of a case someone still has to work on.
OPEN_STATUSES = (CaseStatus.NEW, CaseStatus.IN_PROGRESS, CaseStatus.WAITING)


class CaseReason(StrEnum):
    DETRACTOR = "detractor"
    MISMATCH = "mismatch"
    CONTACT_REQUEST = "contact_request"
    #: Opened by staff for a customer whose health light is red (retention.health).
    HEALTH = "health"


class Team(StrEnum):
    """Who works the case: support for customers, HR for employees."""

    SUPPORT = "support"
    HR = "hr"


def _open_sql() -> str:
    return "status IN (" + ", ".join(f"'{s}'" for s in OPEN_STATUSES) + ")"


class FollowUp(db.Model):
    """A case opened from a response, worked until the loop is closed."""

    __tablename__ = "followups"
    __table_args__ = (
        sa.CheckConstraint("priority IN ('red', 'yellow', 'green')", "priority_valid"),
        sa.CheckConstraint(
            "(priority = 'red' AND priority_rank = 0) OR (priority = 'yellow' AND "
            "priority_rank = 1) OR (priority = 'green' AND priority_rank = 2)",
            "priority_rank_matches",
        ),
        sa.CheckConstraint(
            "status IN ('new', 'in_progress', 'waiting', 'resolved', 'closed')", "status_valid"
        ),
        sa.CheckConstraint(
            "reason IN ('detractor', 'mismatch', 'contact_request', 'health')", "reason_valid"
        ),
        sa.CheckConstraint("team IN ('support', 'hr')", "team_valid"),
        sa.CheckConstraint("outcome IS NULL OR status = 'resolved'", "outcome_only_when_resolved"),
        #: The queue: open cases of a team, red first, then by due time (an ordered index scan).
        sa.Index("ix_followups_open_queue", "team", "priority_rank", "due_dt", "id",
                 sqlite_where=sa.text(_open_sql()), postgresql_where=sa.text(_open_sql())),
        #: The queue with every status (``status=all``), in the same order.
        sa.Index("ix_followups_all_queue", "team", "priority_rank", "due_dt", "id"),
        #: Filters by status and the per-status counts (assignee included: counts read it alone).
        sa.Index("ix_followups_queue", "team", "status", "priority_rank", "due_dt", "assignee_id"),
        #: Metrics by period: opened, resolved, due.
        sa.Index("ix_followups_team_created", "team", "created_dt", "first_action_dt"),
        sa.Index("ix_followups_team_status_ended", "team", "status", "ended_dt"),
        sa.Index("ix_followups_team_due", "team", "due_dt"),
        IDS_NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(sa.ForeignKey("responses.id"), unique=True)
    person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id"), index=True)
    team: Mapped[str] = mapped_column(sa.String(8))
    reason: Mapped[str] = mapped_column(sa.String(16))
    priority: Mapped[str] = mapped_column(sa.String(8))
    #: 0 red, 1 yellow, 2 green: kept in step with ``priority`` so the queue sorts on an index.
    priority_rank: Mapped[int] = mapped_column(sa.SmallInteger, default=1, server_default="1")
    status: Mapped[str] = mapped_column(sa.String(16), default=CaseStatus.NEW)
    #: Who is handling it; ``None`` while unassigned.
    assignee_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    #: Why a resolved case is resolved (one of ``FOLLOWUP_OUTCOMES``); set only while resolved.
    outcome: Mapped[str | None] = mapped_column(sa.String(32))
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)
    #: SLA: by when someone should have resolved it (created + ``SLA_HOURS[priority]``).
    due_dt: Mapped[datetime]
    #: The first thing a person did to it (claim, assign, note, reply, status change).
    first_action_dt: Mapped[datetime | None]
    #: When it was resolved or closed (cleared when reopened).
    ended_dt: Mapped[datetime | None]
    #: Last "about to breach its SLA" e-mail: at most one a day per case.
    sla_warned_dt: Mapped[datetime | None]

    response: Mapped[Response] = relationship(back_populates="followup")
    person: Mapped[Person | None] = relationship()
    assignee: Mapped[User | None] = relationship()
    events: Mapped[list[FollowUpEvent]] = relationship(
        back_populates="followup", cascade="all, delete-orphan",
        order_by="FollowUpEvent.id")

    @validates("priority")
    def _rank(self, _key: str, priority: str) -> str:
        self.priority_rank = PRIORITY_RANK[Priority(priority)]
        return priority

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @classmethod
    def open_condition(cls) -> sa.ColumnElement[bool]:
        """``status IN ('new', 'in_progress', 'waiting')`` with the values written into the SQL:
        SQLite uses the partial open-queue index only when it can see them (not with ``?``)."""
        values = sa.bindparam("open_statuses", [s.value for s in OPEN_STATUSES], expanding=True,
                              literal_execute=True, unique=True)
        return cls.status.in_(values)

    def __repr__(self) -> str:
        return f"<FollowUp {self.id} {self.priority}>"


class EventKind(StrEnum):
    OPENED = "opened"
    STATUS = "status"
    ASSIGNED = "assigned"
    PRIORITY = "priority"
    NOTE = "note"
    REPLY = "reply"
    ALERT = "alert"
    SLA_WARNING = "sla_warning"


class FollowUpEvent(db.Model):
    """One line of a case's timeline: who changed what, when (notes and replies included)."""

    __tablename__ = "followup_events"
    __table_args__ = (
        sa.CheckConstraint(
            "kind IN (" + ", ".join(f"'{k}'" for k in EventKind) + ")", "kind_valid"),
        sa.Index("ix_followup_events_case", "followup_id", "id"),
        sa.Index("ix_followup_events_kind_created", "kind", "created_dt"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    followup_id: Mapped[int] = mapped_column(sa.ForeignKey("followups.id", ondelete="CASCADE"))
    #: The staff user; ``None`` for the system (the respondent's answer, a periodic job).
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: The API token that acted, by name (a helpdesk working the queue); kept after revocation.
    actor_token_name: Mapped[str | None] = mapped_column(sa.String(100))
    kind: Mapped[str] = mapped_column(sa.String(16))
    #: Old and new value of a change (status, assignee id, priority, outcome …).
    old_value: Mapped[str | None] = mapped_column(sa.String(64))
    new_value: Mapped[str | None] = mapped_column(sa.String(64))
    #: The outcome given when resolving.
    outcome: Mapped[str | None] = mapped_column(sa.String(32))
    #: Note text, or the note given with a status change.
    body: Mapped[str | None] = mapped_column(sa.Text)
    #: The e-mail a ``reply`` event sent (its delivery status is shown on the timeline).
    mail_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("followup_mails.id", ondelete="SET NULL"))
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)

    followup: Mapped[FollowUp] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()
    mail: Mapped[FollowUpMail | None] = relationship()

    def __repr__(self) -> str:
        return f"<FollowUpEvent {self.id} {self.kind}>"


class MailKind(StrEnum):
    #: An agent's reply to the customer (or employee).
    REPLY = "reply"
    #: A red case was opened: the team is told at once.
    ALERT = "alert"
    #: Cases about to breach (or past) their due time.
    SLA = "sla"
    #: The daily summary: new, overdue and resolved cases.
    DIGEST = "digest"


class FollowUpMail(DeliveryMixin, db.Model):
    """One e-mail the follow-up queue sends, with its delivery state (see ``core.delivery``)."""

    __tablename__ = "followup_mails"
    __table_args__ = (
        *delivery_table_args("followup_mails"),
        sa.CheckConstraint(
            "kind IN (" + ", ".join(f"'{k}'" for k in MailKind) + ")", "kind_valid"),
        #: At most one alert per case and staff user (replies have no user: not limited).
        sa.UniqueConstraint("kind", "followup_id", "user_id"),
        #: At most one digest per user and day (``digest:<date>:<user id>``; NULL: no limit).
        sa.UniqueConstraint("dedupe_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(8))
    #: The case (replies and alerts).
    followup_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("followups.id", ondelete="CASCADE"), index=True)
    #: Staff recipient (alerts, SLA warnings, digests); ``None`` for a reply to a customer.
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: Who wrote a reply.
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: The address it goes to, fixed when it is queued.
    to_address: Mapped[str] = mapped_column(sa.String(254))
    #: Language of the e-mail.
    locale: Mapped[str] = mapped_column(sa.String(8), default="en")
    #: Reply: the subject and text as the agent edited them.
    subject: Mapped[str | None] = mapped_column(sa.String(200))
    body: Mapped[str | None] = mapped_column(sa.Text)
    #: SLA warnings: the cases it lists.
    case_ids: Mapped[list[int] | None] = mapped_column(sa.JSON)
    dedupe_key: Mapped[str | None] = mapped_column(sa.String(80))

    followup: Mapped[FollowUp | None] = relationship()
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    author: Mapped[User | None] = relationship(foreign_keys=[author_id])

    def __repr__(self) -> str:
        return f"<FollowUpMail {self.id} {self.kind} {self.status}>"

