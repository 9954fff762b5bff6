"""Outgoing messages whose state lives in our tables: claim, send, retry, sweep.

A feature keeps one row per message in a table built from :class:`DeliveryMixin` and subclasses
:class:`Deliverer` to say how a row becomes an e-mail and what a result means to it. A row moves

``queued → claimed → sending → sent`` (or ``failed``, ``bounced``, ``cancelled``)

- **claimed**: a job took a batch (one ``UPDATE … WHERE status='queued' RETURNING``, so two jobs
  never take the same row) and committed; nothing has been handed to SMTP yet.
- **sending**: committed just before this one message goes to SMTP. The row's result is committed
  together with the next row's ``sending`` mark: one commit per message.

A claim is a **lease**: the job's random ``claim_token`` on the row, valid for
``DELIVERY_STUCK_MINUTES`` from ``claimed_dt``. A running batch renews the lease of the rows it
still holds whenever a third of it has passed, and every write it makes to a row matches its
token: a job whose rows were taken back sends none of them and records no result for them.

The sweep takes back only rows whose lease ran out (their worker died or stalled): ``claimed``
ones were never handed to SMTP; a ``sending`` one may have arrived. Both go back to the queue —
a person never asked is worse than a duplicate — and the interrupted send is counted in
``interrupted_sends``, so pages can say "possibly duplicated"; every send of a row carries the
same ``Message-ID`` (:func:`survey_app.core.mail.message_id`), so mail systems and people can
tell a duplicate. Temporary failures go back to ``queued`` with a later ``next_attempt_dt`` (4×
longer each time); the periodic sweep re-enqueues rows that are due.
"""

from __future__ import annotations

import functools
import logging
import secrets
import time
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
    #: Random id of the job run holding the row (its lease); every write of that run matches it.
    claim_token: Mapped[str | None] = mapped_column(sa.String(32))
    #: When the claim was taken or last renewed: the lease runs DELIVERY_STUCK_MINUTES from here.
    claimed_dt: Mapped[datetime | None]
    #: Sends cut off mid-SMTP (worker killed or stalled past its lease): each may have arrived,
    #: so a later successful send is "possibly duplicated".
    interrupted_sends: Mapped[int] = mapped_column(default=0, server_default="0")
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
    #: Rows taken back from this run (its lease ran out) before it came to them: not sent.
    lost: int = 0
    ids_sent: list[int] = field(default_factory=list)


@dataclass
class _Write:
    """Statements for the next commit; with a ``guard`` (a row's own update, matching the run's
    token) the rest runs only if the guard still matches a row."""

    guard: tuple[sa.Executable, dict[str, Any]] | None = None
    then: list[tuple[sa.Executable, dict[str, Any] | None]] = field(default_factory=list)


class Deliverer:
    """How one feature's delivery rows are turned into e-mails; subclass per table."""

    model: ClassVar[type[Any]]

    def __init__(self) -> None:
        #: Statements waiting for the next commit (see :meth:`defer`).
        self._pending: list[_Write] = []
        #: This run's claim token, and when (``time.monotonic``) its lease was last renewed.
        self._token: str | None = None
        self._renewed = 0.0

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
        self._token = secrets.token_hex(16)
        statement = (
            sa.update(model)
            .where(model.id.in_(list(ids)), model.status == DeliveryStatus.QUEUED,
                   model.next_attempt_dt <= now)
            .values(status=DeliveryStatus.CLAIMED, claim_token=self._token,
                    claimed_dt=now, attempts=model.attempts + 1)
            .returning(model.id)
            .execution_options(synchronize_session=False)
        )
        claimed = sorted(db.session.scalars(statement).all())
        db.session.commit()
        self._renewed = time.monotonic()
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
                        "%s cancelled, %s taken back", self.model.__tablename__, result.claimed,
                        result.sent, result.retrying, result.failed, result.bounced,
                        result.cancelled, result.lost)
        return result

    def defer(self, statement: sa.Executable, params: dict[str, Any] | None = None) -> None:
        """Run ``statement`` (an UPDATE) in the next commit, with the next row's ``sending`` mark,
        and only if this run still holds the row whose result it belongs to.

        Hooks use it instead of changing ORM objects: one short write transaction per message,
        no unit-of-work flush (most of the database cost of a message otherwise). Build the
        statement once with bind parameters and pass ``params``: cheaper than a new one each
        time.
        """
        if not self._pending:
            self._pending.append(_Write())
        self._pending[-1].then.append((statement, params))

    def _send(self, rows: list[Any], result: BatchResult) -> None:
        held = [row.id for row in rows]
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
                    if not self._mark_sending(row.id, held):  # with the previous row's result
                        result.lost += 1
                        continue
                    message.msgId = mail.message_id(f"{self.model.__tablename__}:{row.id}")
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

    def _mark_sending(self, row_id: int, held: list[int]) -> bool:
        """Commit the pending results and ``sending`` for ``row_id``, renewing the lease of the
        ``held`` rows when a third of it has passed; ``False``: the row is no longer ours."""
        self._run_pending()
        if time.monotonic() - self._renewed >= lease().total_seconds() / 3:
            db.session.execute(_renewal(self.model),
                               {"_ids": held, "_token": self._token, "now": utcnow()})
            self._renewed = time.monotonic()
        marked = db.session.execute(
            _row_update(self.model, ("status",)),
            {"_row_id": row_id, "_token": self._token, "status": DeliveryStatus.SENDING})
        db.session.commit()
        return marked.rowcount == 1

    def _set(self, row_id: int, **values: Any) -> None:
        """``UPDATE <model> SET <values> WHERE id = row_id AND claim_token = <this run's>``,
        deferred with the hooks that follow it; one statement per shape."""
        params = {"_row_id": row_id, "_token": self._token, **values}
        self._pending.append(_Write(guard=(_row_update(self.model, tuple(sorted(values))),
                                           params)))

    def _run_pending(self) -> None:
        for write in self._pending:
            if write.guard is not None and db.session.execute(*write.guard).rowcount == 0:
                logger.warning("%s %s: taken back from this run meanwhile; result not recorded",
                               self.model.__tablename__, write.guard[1]["_row_id"])
                continue
            for statement, params in write.then:
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
        """Take back rows whose lease ran out and return the ids due to be enqueued (commits).

        - ``claimed``: never handed to SMTP → back to ``queued``;
        - ``sending``: SMTP may have taken it → back to ``queued`` as well, one more
          ``interrupted_sends`` (a duplicate is better than a person never asked);
        - either, after ``MAIL_MAX_ATTEMPTS`` claims → ``failed`` (a row that kills its worker
          cannot loop forever);
        - ``queued`` and due (retries, and fresh rows whose enqueue was lost) → returned.
        """
        now = now or utcnow()
        model = self.model
        max_attempts = current_app.config["MAIL_MAX_ATTEMPTS"]
        expired = sa.and_(model.status.in_((DeliveryStatus.CLAIMED, DeliveryStatus.SENDING)),
                          model.claimed_dt < now - lease())
        in_flight = model.status == DeliveryStatus.SENDING
        given_up = list(db.session.scalars(
            sa.select(model).where(expired, model.attempts >= max_attempts)))
        for row in given_up:
            if row.status == DeliveryStatus.SENDING:
                row.interrupted_sends += 1
            reason = f"abandoned by {row.attempts} workers; given up" + (
                f" ({row.interrupted_sends} during the SMTP exchange: it may have arrived)"
                if row.interrupted_sends else "")
            row.status, row.claim_token, row.last_error = DeliveryStatus.FAILED, None, reason
            self._pending.append(_Write())
            self.on_failed(row, reason, now)
        requeued = db.session.execute(
            sa.update(model).where(expired, model.attempts < max_attempts)
            .values(status=DeliveryStatus.QUEUED, claim_token=None,
                    interrupted_sends=model.interrupted_sends + sa.case((in_flight, 1), else_=0),
                    last_error=sa.case((in_flight, INTERRUPTED), else_=ABANDONED))
            .execution_options(synchronize_session=False)
        ).rowcount
        self._run_pending()
        due = list(db.session.scalars(
            sa.select(model.id).where(
                model.status == DeliveryStatus.QUEUED, model.next_attempt_dt <= now,
                sa.or_(model.attempts > 0, model.created_dt <= now - FRESH_GRACE))
            .order_by(model.id)))
        db.session.commit()
        if requeued or given_up:
            logger.warning("%s: %s rows taken back from workers whose lease ran out, %s given up",
                           model.__tablename__, requeued, len(given_up))
        return due


#: Why a row whose lease ran out is in the queue again.
ABANDONED = "taken back from a worker that stopped before sending"
INTERRUPTED = ("interrupted during the SMTP exchange: it may have arrived, so this is sent again "
               "with the same Message-ID")


def lease() -> timedelta:
    """How long a claim holds without renewal (``DELIVERY_STUCK_MINUTES``, may be fractional)."""
    return timedelta(minutes=current_app.config["DELIVERY_STUCK_MINUTES"])


def retry_delay(attempts: int) -> timedelta:
    """Wait before the next attempt: MAIL_RETRY_SECONDS, then 4×, 16× … (``attempts`` ≥ 1)."""
    return timedelta(seconds=current_app.config["MAIL_RETRY_SECONDS"] * 4 ** max(attempts - 1, 0))


def chunks(ids: Sequence[int], size: int) -> list[list[int]]:
    """``ids`` cut into lists of at most ``size``."""
    return [list(ids[i:i + size]) for i in range(0, len(ids), size)]


@functools.cache
def _row_update(model: type[Any], columns: tuple[str, ...]) -> sa.Update:
    """A reusable ``UPDATE model SET columns… WHERE id = :_row_id AND claim_token = :_token``."""
    table = model.__table__
    return (sa.update(table).where(table.c.id == sa.bindparam("_row_id"),
                                   table.c.claim_token == sa.bindparam("_token"))
            .values({name: sa.bindparam(name, type_=table.c[name].type) for name in columns}))


@functools.cache
def _renewal(model: type[Any]) -> sa.Update:
    """``UPDATE model SET claimed_dt = :now WHERE id IN :_ids AND claim_token = :_token``."""
    table = model.__table__
    return (sa.update(table)
            .where(table.c.id.in_(sa.bindparam("_ids", expanding=True)),
                   table.c.claim_token == sa.bindparam("_token"))
            .values(claimed_dt=sa.bindparam("now", type_=table.c.claimed_dt.type)))
