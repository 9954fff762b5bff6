"""Reading waves: the delivery summary and the per-invitation status list (SQL aggregates)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select

from survey_app.core.db import db
from survey_app.core.delivery import DeliveryStatus
from survey_app.invitations.models import Invitation, InvitationStatus
from survey_app.people.models import Person
from survey_app.responses.models import ProvisionalAnswer, Response
from survey_app.surveys.models import Wave
from survey_app.waves.models import InvitationEmail

#: Invitations shown per page of the status list.
PAGE_SIZE = 100


@dataclass(frozen=True)
class WaveSummary:
    invited: int
    queued: int
    sent: int
    failed: int
    bounced: int
    opened: int
    answered: int
    #: Scores clicked in the e-mail, waiting to count (``responses.provisional``).
    provisional: int
    reminders_sent: int
    #: E-mails (invitations and reminders) sent after an interrupted send that may have arrived.
    possibly_duplicated: int
    suspected_automated: int

    @property
    def response_rate(self) -> float:
        """Answered ÷ delivered (0 before anything was delivered)."""
        return self.answered / self.sent if self.sent else 0.0


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
    reminders: int
    email_status: str | None
    problem: str | None


def invitation_rows(wave: Wave, *, status: str | None = None, page: int = 1
                    ) -> tuple[list[InvitationRow], int]:
    """One page of the wave's invitations with their first e-mail's state, and the total."""
    conditions = [Invitation.wave_id == wave.id]
    if status:
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
    return [InvitationRow(*row) for row in db.session.execute(query)], total or 0
