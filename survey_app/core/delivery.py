"""Outgoing messages whose state lives in our tables: claim, send once, retry, sweep.

A feature keeps one row per message in a table built from :class:`DeliveryMixin` and subclasses
:class:`Deliverer` to say how a row becomes an e-mail and what a result means to it. A row moves

``queued → claimed → sending → sent`` (or ``failed``, ``bounced``, ``cancelled``)

- **claimed**: a job took a batch (one ``UPDATE … WHERE status='queued' RETURNING``, so two jobs
  never take the same row) and committed; nothing has been handed to SMTP yet.
- **sending**: committed just before this one message goes to SMTP. The row's result is committed
  together with the next row's ``sending`` mark: one commit per message.

A worker killed mid-batch leaves rows ``claimed`` (never handed to SMTP: the sweep puts them back
in the queue, so nothing is lost) and at most one ``sending`` (SMTP may or may not have taken it:
the sweep marks it failed with that reason instead of sending it again, so nothing goes twice).
Temporary failures go back to ``queued`` with a later ``next_attempt_dt`` (4× longer each time);
the periodic sweep re-enqueues rows that are due.
"""

from __future__ import annotations

import functools
import logging
import secrets
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, ClassVar

import sqlalchemy as sa
from flask import current_app
from flask_mail import Message
from sqlalchemy.orm import Mapped, mapped_column

from survey_app.core import mail
from survey_app.core.db import db, utcnow

logger = logging.getLogger(__name__)


class DeliveryStatus(StrEnum):
    QUEUED = "queued"
    CLAIMED = "claimed"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    BOUNCED = "bounced"
    CANCELLED = "cancelled"


#: Finished rows: never touched again by the engine.
FINAL_STATUSES = (DeliveryStatus.SENT, DeliveryStatus.FAILED, DeliveryStatus.BOUNCED,
                  DeliveryStatus.CANCELLED)

#: Fresh rows are enqueued right after their commit; the sweep leaves them alone this long.
FRESH_GRACE = timedelta(minutes=1)


class DeliveryMixin:
    """The delivery-state columns of a table with one row per outgoing message."""

    status: Mapped[str] = mapped_column(sa.String(10), default=DeliveryStatus.QUEUED)
    #: Claims so far (each claim is one attempt).
    attempts: Mapped[int] = mapped_column(default=0)
    #: Not to be tried before this time (back-off after a temporary failure).
    next_attempt_dt: Mapped[datetime] = mapped_column(default=utcnow)
    #: Random id of the job run that claimed the row.
    claim_token: Mapped[str | None] = mapped_column(sa.String(32))
    claimed_dt: Mapped[datetime | None]
    #: When the SMTP server accepted it.
    sent_dt: Mapped[datetime | None]
    #: The last SMTP answer or reason, for people reading the status.
    last_error: Mapped[str | None] = mapped_column(sa.String(500))
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)


def delivery_table_args(table: str) -> tuple[Any, ...]:
    """The named status constraint and the "due" index every delivery table has."""
    statuses = ", ".join(f"'{s}'" for s in DeliveryStatus)
    return (
        sa.CheckConstraint(f"status IN ({statuses})", "status_valid"),
        sa.Index(f"ix_{table}_due", "status", "next_attempt_dt"),
    )


class Cancel(Exception):
    """Raised by :meth:`Deliverer.build`: this message must not be sent (e.g. unsubscribed)."""


@dataclass
class BatchResult:
    claimed: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    bounced: int = 0
    cancelled: int = 0
    ids_sent: list[int] = field(default_factory=list)


class Deliverer:
    """How one feature's delivery rows are turned into e-mails; subclass per table."""

    model: ClassVar[type[Any]]

    def __init__(self) -> None:
        #: Statements waiting for the next commit (see :meth:`defer`).
        self._pending: list[tuple[sa.Executable, dict[str, Any] | None]] = []

    # --- what a feature provides -------------------------------------------------------------

    def load(self, ids: Sequence[int]) -> list[Any]:
        """The claimed rows, with whatever :meth:`build` needs loaded (override to eager-load)."""
        return list(db.session.scalars(
            sa.select(self.model).where(self.model.id.in_(ids)).order_by(self.model.id)))

    def build(self, row: Any) -> Message:
        """The message for ``row``; :raises Cancel: it must not be sent."""
        raise NotImplementedError

    def on_sent(self, row: Any, now: datetime) -> None:
        """The SMTP server accepted the message (use :meth:`defer` for writes)."""

    def on_bounced(self, row: Any, reason: str, now: datetime) -> None:
        """The recipient address was refused permanently."""

    def on_failed(self, row: Any, reason: str, now: datetime) -> None:
        """Given up: permanent non-bounce error, too many attempts, or interrupted mid-send."""

    # --- the engine ----------------------------------------------------------------------------

    def claim(self, ids: Sequence[int], now: datetime | None = None) -> list[int]:
        """Take the queued, due rows among ``ids`` for this run and commit; others are left."""
        now = now or utcnow()
        model = self.model
        statement = (
            sa.update(model)
            .where(model.id.in_(list(ids)), model.status == DeliveryStatus.QUEUED,
                   model.next_attempt_dt <= now)
            .values(status=DeliveryStatus.CLAIMED, claim_token=secrets.token_hex(16),
                    claimed_dt=now, attempts=model.attempts + 1)
            .returning(model.id)
            .execution_options(synchronize_session=False)
        )
        claimed = sorted(db.session.scalars(statement).all())
        db.session.commit()
        return claimed

    def run(self, ids: Sequence[int], now: datetime | None = None) -> BatchResult:
        """Claim ``ids`` and send them over one SMTP connection; commits as it goes."""
        claimed = self.claim(ids, now)
        result = BatchResult(claimed=len(claimed))
        if claimed:
            # One commit per message: were loaded rows expired at each commit, every next row
            # would be read again, query by query. Rows change only through this run's UPDATEs.
            session = db.session()
            expire_on_commit, session.expire_on_commit = session.expire_on_commit, False
            try:
                self._send(self.load(claimed), result)
            finally:
                session.expire_on_commit = expire_on_commit
                session.expire_all()  # the UPDATEs bypassed the loaded objects
            logger.info("%s: %s claimed, %s sent, %s retrying, %s failed, %s bounced, "
                        "%s cancelled", self.model.__tablename__, result.claimed, result.sent,
                        result.retrying, result.failed, result.bounced, result.cancelled)
        return result

    def defer(self, statement: sa.Executable, params: dict[str, Any] | None = None) -> None:
        """Run ``statement`` (an UPDATE) in the next commit, with the next row's ``sending`` mark.

        Hooks use it instead of changing ORM objects: one short write transaction per message,
        no unit-of-work flush (most of the database cost of a message otherwise). Build the
        statement once with bind parameters and pass ``params``: cheaper than a new one each
        time.
        """
        self._pending.append((statement, params))

    def _send(self, rows: list[Any], result: BatchResult) -> None:
        with ExitStack() as stack:
            connection: mail.Connection | None = None
            try:
                for row in rows:
                    try:
                        with db.session.no_autoflush:  # reads only: no write lock held here
                            message = self.build(row)
                    except Cancel as reason:
                        self._finish(row, DeliveryStatus.CANCELLED, str(reason))
                        result.cancelled += 1
                        continue
                    self._set(row.id, status=DeliveryStatus.SENDING)
                    self._commit()  # with the previous row's result
                    try:
                        if connection is None:
                            connection = stack.enter_context(mail.connect())
                        connection.send(message)
                    except Exception as error:  # classified below; unknown errors re-raised
                        problem = mail.classify(error)
                        if problem.is_broken and connection is not None:
                            mail.close_quietly(connection)
                            stack.close()
                            connection = None
                        self._failure(row, problem, result)
                    else:
                        now = utcnow()
                        self._finish(row, DeliveryStatus.SENT, None, sent_dt=now)
                        self.on_sent(row, now)
                        result.sent += 1
                        result.ids_sent.append(row.id)
            finally:
                self._commit()

    def _set(self, row_id: int, **values: Any) -> None:
        """``UPDATE <model> SET <values> WHERE id = row_id``, deferred; one statement per shape."""
        self.defer(_row_update(self.model, tuple(sorted(values))), {"_row_id": row_id, **values})

    def _run_pending(self) -> None:
        for statement, params in self._pending:
            db.session.execute(statement, params,
                               execution_options={"synchronize_session": False})
        self._pending.clear()

    def _commit(self) -> None:
        self._run_pending()
        db.session.commit()

    def _failure(self, row: Any, problem: mail.MailError, result: BatchResult) -> None:
        now = utcnow()
        if problem.permanent and problem.is_bounce:
            self._finish(row, DeliveryStatus.BOUNCED, problem.reason)
            self.on_bounced(row, problem.reason, now)
            result.bounced += 1
        elif problem.permanent or row.attempts >= current_app.config["MAIL_MAX_ATTEMPTS"]:
            self._finish(row, DeliveryStatus.FAILED, problem.reason)
            self.on_failed(row, problem.reason, now)
            result.failed += 1
        else:
            self._set(row.id, status=DeliveryStatus.QUEUED, claim_token=None,
                      last_error=problem.reason,
                      next_attempt_dt=now + retry_delay(row.attempts))
            result.retrying += 1

    def _finish(self, row: Any, status: str, reason: str | None,
                sent_dt: datetime | None = None) -> None:
        values: dict[str, Any] = {"status": status, "claim_token": None, "last_error": reason}
        if sent_dt is not None:
            values["sent_dt"] = sent_dt
        self._set(row.id, **values)

    def sweep(self, now: datetime | None = None) -> list[int]:
        """Repair what dead workers left and return the ids due to be enqueued (commits).

        - ``claimed`` too long: never handed to SMTP → back to ``queued`` (or ``failed`` after
          ``MAIL_MAX_ATTEMPTS`` claims, so a row that kills its worker cannot loop forever);
        - ``sending`` too long: SMTP may have taken it → ``failed``, not sent again;
        - ``queued`` and due (retries, and fresh rows whose enqueue was lost) → returned.
        """
        now = now or utcnow()
        model = self.model
        stuck = now - timedelta(minutes=current_app.config["DELIVERY_STUCK_MINUTES"])
        max_attempts = current_app.config["MAIL_MAX_ATTEMPTS"]
        requeued = db.session.execute(
            sa.update(model)
            .where(model.status == DeliveryStatus.CLAIMED, model.claimed_dt < stuck,
                   model.attempts < max_attempts)
            .values(status=DeliveryStatus.QUEUED, claim_token=None,
                    last_error="taken back from a worker that stopped before sending")
            .execution_options(synchronize_session=False)
        ).rowcount
        abandoned = list(db.session.scalars(sa.select(model).where(
            sa.or_(model.status == DeliveryStatus.SENDING,
                   sa.and_(model.status == DeliveryStatus.CLAIMED,
                           model.attempts >= max_attempts)),
            model.claimed_dt < stuck)))
        for row in abandoned:
            reason = ("interrupted during the SMTP exchange: it may have arrived, so it is not "
                      "sent again" if row.status == DeliveryStatus.SENDING
                      else f"abandoned by {row.attempts} workers; given up")
            row.status, row.claim_token, row.last_error = DeliveryStatus.FAILED, None, reason
            self.on_failed(row, reason, now)
        self._run_pending()
        due = list(db.session.scalars(
            sa.select(model.id).where(
                model.status == DeliveryStatus.QUEUED, model.next_attempt_dt <= now,
                sa.or_(model.attempts > 0, model.created_dt <= now - FRESH_GRACE))
            .order_by(model.id)))
        db.session.commit()
        if requeued or abandoned:
            logger.warning("%s: %s rows taken back from dead workers, %s interrupted sends "
                           "marked failed", model.__tablename__, requeued, len(abandoned))
        return due


def retry_delay(attempts: int) -> timedelta:
    """Wait before the next attempt: MAIL_RETRY_SECONDS, then 4×, 16× … (``attempts`` ≥ 1)."""
    return timedelta(seconds=current_app.config["MAIL_RETRY_SECONDS"] * 4 ** max(attempts - 1, 0))


def chunks(ids: Sequence[int], size: int) -> list[list[int]]:
    """``ids`` cut into lists of at most ``size``."""
    return [list(ids[i:i + size]) for i in range(0, len(ids), size)]


@functools.cache
def _row_update(model: type[Any], columns: tuple[str, ...]) -> sa.Update:
    """A reusable ``UPDATE model SET columns… WHERE id = :_row_id`` (compiled once)."""
    table = model.__table__
    return (sa.update(table).where(table.c.id == sa.bindparam("_row_id"))
            .values({name: sa.bindparam(name, type_=table.c[name].type) for name in columns}))
