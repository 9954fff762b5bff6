"""What the follow-up e-mails say (replies, alerts, SLA warnings, digest) and how they go out.

Text parts are rendered from ``.txt`` templates (no HTML escaping needed: plain text); HTML
parts from ``.html`` templates with Jinja's autoescape, so a comment such as ``<script>`` is shown
as text in every e-mail. Staff e-mails never name the respondent, and HR cases never quote the
comment (HR reads it on the case page, after signing in).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import force_locale, format_timedelta
from flask_babel import gettext as _
from flask_mail import Message
from sqlalchemy.orm import joinedload

from survey_app.accounts.access import followup_teams
from survey_app.accounts.models import User
from survey_app.core import mail
from survey_app.core.db import db, utcnow
from survey_app.core.delivery import Cancel, Deliverer
from survey_app.core.i18n import format_day, use_timezone
from survey_app.followups.models import (
    OPEN_STATUSES,
    CaseStatus,
    FollowUp,
    FollowUpMail,
    MailKind,
    Team,
)
from survey_app.people.services import mark_bounced
from survey_app.responses.models import Response

#: Characters of a comment quoted in a staff alert.
EXCERPT_LENGTH = 200
#: Cases listed in a digest or SLA warning before "and N more".
LIST_LIMIT = 10


def base_url() -> str:
    return current_app.config["BASE_URL"].rstrip("/")


def case_url(case_id: int) -> str:
    return f"{base_url()}/followups/{case_id}"


def settings_url() -> str:
    return f"{base_url()}/followups/notifications"


# --- the reply to the customer --------------------------------------------------------------------


def placeholder(locale: str) -> str:
    """The line of the draft the agent must replace with their own words."""
    with force_locale(locale):
        return _("[Explain here what you have done or will do.]")


def reply_draft(case: FollowUp, agent: User, locale: str) -> dict[str, str]:
    """The editable first draft of a reply, in ``locale`` (the customer's language)."""
    response = case.response
    name = case.person.name if case.person else ""
    title = response.survey.title_in(locale)
    with force_locale(locale):
        lines = [_("Hello %(name)s,", name=name) if name else _("Hello,"), "",
                 _("thank you for answering our survey \u201c%(title)s\u201d. I am sorry we did "
                   "not live up to your expectations, and I would like to put it right.",
                   title=title), ""]
        if response.comment:
            lines += [_("You wrote:"), *(f"> {line}" for line in response.comment.splitlines()),
                      ""]
        lines += [placeholder(locale), "",
                  _("If you have any questions, just reply to this e-mail."), "",
                  _("Kind regards,"), agent.name or agent.email]
        subject = _("About your feedback: %(title)s", title=title)
    return {"subject": subject, "body": "\n".join(lines) + "\n"}


def render_reply(row: FollowUpMail) -> dict[str, str]:
    """The reply as sent: the agent's text, and the same text as escaped HTML paragraphs."""
    with force_locale(row.locale):
        context = {"subject": row.subject, "paragraphs": _paragraphs(row.body or ""),
                   "body": row.body, "locale": row.locale,
                   "title": (row.followup.response.survey.title_in(row.locale)
                             if row.followup else "")}
        return {"subject": row.subject or "",
                "text": render_template("emails/followups/reply.txt", **context),
                "html": render_template("emails/followups/reply.html", **context)}


def _paragraphs(text: str) -> list[list[str]]:
    """Paragraphs (split on blank lines), each a list of lines: the HTML keeps the layout."""
    blocks = [b for b in text.replace("\r\n", "\n").split("\n\n") if b.strip()]
    return [block.strip("\n").split("\n") for block in blocks]


# --- staff notices --------------------------------------------------------------------------------


def case_summary(case: FollowUp, now: datetime, *, quote: bool = False) -> dict[str, Any]:
    """One case as staff e-mails list it (HR cases: no comment, whatever ``quote`` says)."""
    response = case.response
    left = case.due_dt - now
    comment = response.comment if quote and case.team == Team.SUPPORT else None
    if comment and len(comment) > EXCERPT_LENGTH:
        comment = comment[:EXCERPT_LENGTH].rstrip() + "…"
    return {
        "id": case.id, "priority": case.priority, "url": case_url(case.id),
        "priority_label": {"red": _("Red"), "yellow": _("Yellow"), "green": _("Green")}.get(
            case.priority, case.priority),
        "survey": response.survey.title, "score": response.score, "comment": comment,
        "team": case.team, "is_overdue": left < timedelta(0),
        "due": (_("overdue by %(time)s", time=format_timedelta(-left, threshold=1.1))
                if left < timedelta(0)
                else _("due in %(time)s", time=format_timedelta(left, threshold=1.1))),
    }


def _notice(row: FollowUpMail, now: datetime) -> dict[str, Any]:
    """Heading, lines and listed cases of an alert, SLA warning or digest."""
    if row.kind == MailKind.ALERT:
        case = row.followup
        if case is None or case.status not in OPEN_STATUSES:
            raise Cancel("the case was closed before the alert went out")
        if not row.user.has_case_alerts:
            raise Cancel("alerts switched off")
        title = case.response.survey.title
        return {"subject": _("Red case #%(id)s: %(title)s", id=case.id, title=title),
                "heading": _("A red follow-up case was just opened"),
                "lines": [_("Please get back to the customer soon.") if case.team == Team.SUPPORT
                          else _("An employee asked to be contacted.")],
                "cases": [case_summary(case, now, quote=True)], "more": 0}
    if row.kind == MailKind.SLA:
        cases = _open_cases(row.case_ids or [])
        if not cases:
            raise Cancel("every case was closed before the warning went out")
        return {"subject": _("%(n)s follow-up case(s) about to miss their due time",
                             n=len(cases)),
                "heading": _("These cases are about to miss (or have missed) their due time"),
                "lines": [], "cases": [case_summary(c, now) for c in cases[:LIST_LIMIT]],
                "more": max(len(cases) - LIST_LIMIT, 0)}
    return _digest(row, now)


def _open_cases(ids: list[int]) -> list[FollowUp]:
    return list(db.session.scalars(
        sa.select(FollowUp).where(FollowUp.id.in_(ids), FollowUp.status.in_(OPEN_STATUSES))
        .options(joinedload(FollowUp.response).joinedload(Response.survey))
        .order_by(FollowUp.priority_rank, FollowUp.due_dt)))


def _digest(row: FollowUpMail, now: datetime) -> dict[str, Any]:
    user = row.user
    if not user.has_daily_digest:
        raise Cancel("digest switched off")
    teams = followup_teams(user)
    since = now - timedelta(days=1)
    mine = FollowUp.team.in_(teams)
    overdue = sa.and_(FollowUp.status.in_(OPEN_STATUSES), FollowUp.due_dt < now)
    counts = db.session.execute(sa.select(
        sa.func.count().filter(FollowUp.created_dt >= since),
        sa.func.count().filter(overdue),
        sa.func.count().filter(FollowUp.status == CaseStatus.RESOLVED, FollowUp.ended_dt >= since),
    ).where(mine)).one()
    if not any(counts):
        raise Cancel("nothing new, overdue or resolved")
    listed = list(db.session.scalars(
        sa.select(FollowUp).where(mine, overdue)
        .options(joinedload(FollowUp.response).joinedload(Response.survey))
        .order_by(FollowUp.priority_rank, FollowUp.due_dt).limit(LIST_LIMIT)))
    return {"subject": _("Follow-ups: %(new)s new, %(overdue)s overdue, %(resolved)s resolved",
                         new=counts[0], overdue=counts[1], resolved=counts[2]),
            "heading": _("Your follow-up digest for %(day)s",
                         day=format_day(now)),
            "lines": [_("New in the last 24 hours: %(n)s", n=counts[0]),
                      _("Overdue now: %(n)s", n=counts[1]),
                      _("Resolved in the last 24 hours: %(n)s", n=counts[2])],
            "cases": [case_summary(c, now) for c in listed],
            "more": max(counts[1] - len(listed), 0)}


def render_notice(row: FollowUpMail, now: datetime) -> dict[str, str]:
    with force_locale(row.locale), use_timezone(row.user.timezone if row.user else None):
        context = _notice(row, now) | {"locale": row.locale, "settings_url": settings_url(),
                                       "kind": row.kind}
        return {"subject": context["subject"],
                "text": render_template("emails/followups/notice.txt", **context),
                "html": render_template("emails/followups/notice.html", **context)}


class FollowUpMailDeliverer(Deliverer):
    """Delivers :class:`FollowUpMail` rows; a bounced reply marks the customer's address."""

    model = FollowUpMail

    def load(self, ids: list[int]) -> list[FollowUpMail]:  # type: ignore[override]
        return list(db.session.scalars(
            sa.select(FollowUpMail).where(FollowUpMail.id.in_(ids))
            .options(joinedload(FollowUpMail.user), joinedload(FollowUpMail.author),
                     joinedload(FollowUpMail.followup).joinedload(FollowUp.person),
                     joinedload(FollowUpMail.followup).joinedload(FollowUp.response)
                     .joinedload(Response.survey))
            .order_by(FollowUpMail.id)))

    def build(self, row: FollowUpMail) -> Message:
        if row.kind == MailKind.REPLY:
            return self._reply(row)
        if row.user is None or not row.user.is_active:
            raise Cancel("the staff user is no longer active")
        content = render_notice(row, utcnow())
        return mail.build_message(to=row.to_address, to_name=row.user.name,
                                  subject=content["subject"], text=content["text"],
                                  html=content["html"],
                                  headers={"Auto-Submitted": "auto-generated"})

    @staticmethod
    def _reply(row: FollowUpMail) -> Message:
        case = row.followup
        person = case.person if case else None
        if person is None:
            raise Cancel("the customer was erased")
        if person.bounced_dt is not None:
            raise Cancel("address bounced earlier")
        content = render_reply(row)
        reply_to = current_app.config["FOLLOWUP_REPLY_TO"] or (
            row.author.email if row.author else None)
        return mail.build_message(to=row.to_address, to_name=person.name,
                                  subject=content["subject"], text=content["text"],
                                  html=content["html"],
                                  headers={"Reply-To": reply_to} if reply_to else None)

    def on_bounced(self, row: FollowUpMail, reason: str, now: datetime) -> None:
        if row.kind == MailKind.REPLY and row.followup and row.followup.person:
            mark_bounced(row.followup.person, now)

