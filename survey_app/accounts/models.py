"""The staff User model and the API tokens that act with a staff role."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey_app.core.db import IDS_NEVER_REUSED, db, utcnow


class Role(StrEnum):
    #: Everything, including users, roles and the audit log.
    ADMIN = "admin"
    #: Employee surveys (eNPS, pulse), their dashboards and the HR follow-up queue.
    HR = "hr"
    #: Customer surveys' dashboards and the support follow-up queue.
    SUPPORT = "support"
    #: Read-only customer dashboards.
    VIEWER = "viewer"


class User(UserMixin, db.Model):
    """A staff member who signs in at ``/login``."""

    __tablename__ = "users"
    __table_args__ = (
        sa.CheckConstraint("role IN ('admin', 'hr', 'support', 'viewer')", "role_valid"),
        sa.CheckConstraint("locale IN ('en', 'it')", "locale_valid"),
        sa.CheckConstraint("email = lower(email)", "email_lower_case"),
        sa.CheckConstraint("session_version > 0", "session_version_valid"),
        IDS_NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Sign-in name, stored lower-case so ``Ann@X.com`` and ``ann@x.com`` are one account.
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200), default="")
    role: Mapped[str] = mapped_column(sa.String(8))
    #: argon2id hash (argon2-cffi's default profile); never the password itself. Empty while
    #: an invited user has not set a password (``is_invited``; no password matches it).
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    #: Deactivated users cannot sign in and their sessions end at once.
    is_active: Mapped[bool] = mapped_column(default=True)
    #: Part of the session's user id: bumping it ends every existing session of this user.
    session_version: Mapped[int] = mapped_column(default=1)
    #: Language of the staff pages for this user.
    locale: Mapped[str] = mapped_column(sa.String(8), default="en")
    #: IANA time zone of the times on this user's pages and e-mails; NULL: ``POLSO_TIMEZONE``.
    timezone: Mapped[str | None] = mapped_column(sa.String(64))
    #: E-mail me at once about red follow-up cases of my team (and cases about to breach).
    has_case_alerts: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    #: E-mail me the daily follow-up digest (new, overdue, resolved).
    has_daily_digest: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_dt: Mapped[datetime | None]

    def get_id(self) -> str:
        """Flask-Login stores this in the session; the loader checks both parts."""
        return f"{self.id}:{self.session_version}"

    @property
    def is_invited(self) -> bool:
        """Invited by e-mail and no password set yet (inactive until they set one)."""
        return not self.password_hash

    @property
    def display_name(self) -> str:
        return self.name or self.email

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


class ApiToken(db.Model):
    """A bearer token for the JSON API that acts with one staff role; only its hash is kept."""

    __tablename__ = "api_tokens"
    __table_args__ = (
        sa.CheckConstraint("role IN ('admin', 'hr', 'support', 'viewer')", "role_valid"),
        #: A name names one token in use (``polso tokens revoke NAME``); revoked ones free it.
        sa.Index("uq_api_tokens_name_active", "name", unique=True,
                 sqlite_where=sa.text("revoked_dt IS NULL"),
                 postgresql_where=sa.text("revoked_dt IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: What the token is for, e.g. ``helpdesk``; shown in the audit log as ``token:NAME``.
    name: Mapped[str] = mapped_column(sa.String(64))
    #: The staff role it acts as: it sees and may do exactly what that role may.
    role: Mapped[str] = mapped_column(sa.String(8))
    #: ``core.tokens.hash_api_token`` of the token (hex); the token itself is shown once.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    #: The admin who created it; NULL when made with ``polso tokens create``.
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)
    #: Last authenticated request, updated at most once a minute (see ``api.auth``).
    last_used_dt: Mapped[datetime | None]
    #: Set when revoked; a revoked token authenticates nothing (401).
    revoked_dt: Mapped[datetime | None]

    created_by: Mapped[User | None] = relationship()

    @property
    def is_active(self) -> bool:
        return self.revoked_dt is None

    @property
    def actor(self) -> str:
        """How the audit log names it."""
        return f"token:{self.name}"

    def __repr__(self) -> str:
        return f"<ApiToken {self.name} {self.role}>"
