"""Reading waves: the delivery summary and the per-invitation status list (SQL aggregates)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy import func, or_, select

from survey_app.core.db import db
from survey_app.core.delivery import DeliveryStatus
from survey_app.dashboards.anonymity import Policy
from survey_app.invitations.models import Invitation, InvitationStatus
from survey_app.people.models import Person
from survey_app.responses.models import ProvisionalAnswer, Response
from survey_app.surveys.models import Wave
from survey_app.waves.models import InvitationEmail

#: Invitations shown per page of the status list.
PAGE_SIZE = 100
#: Anonymous surveys: statuses that tell answerers apart, shown (and filtered) as "sent".
DELIVERY_ONLY = {"opened": "sent", "responded": "sent", "expired": "sent"}


@dataclass(frozen=True)
class WaveSummary:
    """A wave's figures; ``None`` where an anonymous survey's count is not shown."""

    invited: int
    queued: int
    sent: int
    failed: int
    bounced: int
    opened: int | None
    answered: int | None
    #: Scores clicked in the e-mail, waiting to count (``responses.provisional``).
    provisional: int
    #: Invitations reminded at least once.
    reminded: int | None
    reminders_sent: int | None
    #: E-mails (invitations and reminders) sent after an interrupted send that may have arrived.
    possibly_duplicated: int
    suspected_automated: int

    @property
    def response_rate(self) -> float | None:
        """Answered ÷ delivered (0 before anything was delivered; ``None`` if not shown)."""
        if self.answered is None:
            return None
        return self.answered / self.sent if self.sent else 0.0

    def masked(self, policy: Policy) -> WaveSummary:
        """The figures ``policy`` lets be seen: for anonymous surveys the opened, answered and
        reminded counts only from the threshold up (a wave of 3 with 1 answer shows none)."""
        def shown(n: int | None) -> int | None:
            return n if n is not None and policy.shows(n) else None

        reminded = shown(self.reminded)
        return replace(self, opened=shown(self.opened), answered=shown(self.answered),
                       reminded=reminded,
                       reminders_sent=None if reminded is None else self.reminders_sent)


def wave_summary(wave: Wave) -> WaveSummary:
    """Counts for ``wave`` in three queries."""
    status = Invitation.status
    row = db.session.execute(
        select(
            func.count(),
            func.count().filter(status == InvitationStatus.QUEUED),
            func.count().filter(Invitation.sent_dt.is_not(None)),
            func.count().filter(status == InvitationStatus.FAILED),
            func.count().filter(status == InvitationStatus.BOUNCED),
            func.count().filter(or_(Invitation.opened_dt.is_not(None),
                                    status == InvitationStatus.RESPONDED)),
            func.count().filter(status == InvitationStatus.RESPONDED),
            func.count(ProvisionalAnswer.id).filter(status != InvitationStatus.RESPONDED),
            func.count().filter(Invitation.reminder_count > 0),
        ).outerjoin(ProvisionalAnswer, ProvisionalAnswer.invitation_id == Invitation.id)
        .where(Invitation.wave_id == wave.id)).one()
    sent = InvitationEmail.status == DeliveryStatus.SENT
    reminders, duplicated = db.session.execute(
        select(func.count().filter(InvitationEmail.sequence > 0, sent),
               func.count().filter(InvitationEmail.interrupted_sends > 0, sent))
        .select_from(InvitationEmail).join(Invitation)
        .where(Invitation.wave_id == wave.id)).one()
    suspected = db.session.scalar(
        select(func.count()).select_from(Response)
        .where(Response.wave_id == wave.id, Response.is_suspected_automated))
    return WaveSummary(*row, reminders_sent=reminders, possibly_duplicated=duplicated,
                       suspected_automated=suspected or 0)


@dataclass(frozen=True)
class InvitationRow:
    email: str
    name: str
    status: str
    #: ``None`` when only delivery is shown.
    reminders: int | None
    email_status: str | None
    problem: str | None


def invitation_rows(wave: Wave, *, status: str | None = None, page: int = 1,
                    delivery_only: bool = False) -> tuple[list[InvitationRow], int]:
    """One page of the wave's invitations with their first e-mail's state, and the total.

    ``delivery_only`` (anonymous surveys): opened, answered and expired read as "sent" (in
    the rows and the status filter) and no reminder count, so no row tells an answerer apart.
    """
    conditions = [Invitation.wave_id == wave.id]
    if delivery_only and status in DELIVERY_ONLY:
        status = None
    if delivery_only and status == "sent":
        conditions.append(Invitation.status.in_(["sent", *DELIVERY_ONLY]))
    elif status:
        conditions.append(Invitation.status == status)
    total = db.session.scalar(select(func.count()).select_from(Invitation).where(*conditions))
    query = (
        select(Person.email, Person.name, Invitation.status, Invitation.reminder_count,
               InvitationEmail.status, InvitationEmail.last_error)
        .join(Person, Person.id == Invitation.person_id)
        .outerjoin(InvitationEmail, (InvitationEmail.invitation_id == Invitation.id)
                   & (InvitationEmail.sequence == 0))
        .where(*conditions).order_by(Invitation.id)
        .limit(PAGE_SIZE).offset((max(page, 1) - 1) * PAGE_SIZE))
    rows = [InvitationRow(*row) for row in db.session.execute(query)]
    if delivery_only:
        rows = [replace(r, status=DELIVERY_ONLY.get(r.status, r.status), reminders=None)
                for r in rows]
    return rows, total or 0
