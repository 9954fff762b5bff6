"""The one place staff roles are enforced: view decorator, visible surveys, permissions.

Every staff feature imports from here. A page the role may not open answers 403 in the staff
layout; a forbidden object answers 404, never its contents; both are in the security log;
see ``docs/roles.md`` for the role table. The rules take a :class:`Principal` — a signed-in
:class:`User` or an API token (``ApiToken``), which acts with its role — so the API applies the
very same rules as the pages.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, Protocol, TypeVar
from urllib.parse import urlsplit

from blinker import Namespace
from flask import abort, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import Select, select

from survey_app.accounts.models import Role, User
from survey_app.core import requestlog
from survey_app.core.db import db
from survey_app.core.i18n import use_locale
from survey_app.surveys.models import Survey

#: Sent when a signed-in user is refused a page or an object (``target``: the object or None),
#: before the answer; ``survey_app.audit.security`` logs and audits it (the one upward
#: notification of this module, so that accounts need not import audit).
access_denied = Namespace().signal("access-denied")

F = TypeVar("F", bound=Callable[..., Any])


class Principal(Protocol):
    """Whoever acts: a staff :class:`User` or an API token; only the role decides."""

    @property
    def role(self) -> str: ...


#: Roles that see each survey audience.
AUDIENCE_ROLES = {
    "employees": frozenset({Role.ADMIN, Role.HR}),
    "customers": frozenset({Role.ADMIN, Role.SUPPORT, Role.VIEWER}),
}
#: Roles that may work each follow-up team's queue.
TEAM_ROLES = {
    "support": frozenset({Role.ADMIN, Role.SUPPORT}),
    "hr": frozenset({Role.ADMIN, Role.HR}),
}
#: Kinds of people each role may read (the people pages, the API): support and viewers no
#: employees, HR no customers.
PERSON_KINDS = {
    Role.ADMIN: ("customer", "employee"),
    Role.HR: ("employee",),
    Role.SUPPORT: ("customer",),
    Role.VIEWER: (),
}
#: Every staff role (``role_required(*STAFF)`` = any signed-in user).
STAFF = tuple(Role)


def load_user(user_id: str) -> User | None:
    """Flask-Login's user loader: ``"<id>:<session_version>"`` of an active user, else nobody.

    A session whose version is older than the user's (after logout, a password or role change,
    or deactivation) no longer loads, so it ends on its next request.
    """
    ident, _, version = user_id.partition(":")
    if not (ident.isascii() and ident.isdigit() and version.isascii() and version.isdigit()):
        return None
    user = db.session.get(User, int(ident))
    if user is None or not user.is_active or user.session_version != int(version):
        return None
    requestlog.note_user(user.id)
    return user


def role_required(*roles: str) -> Callable[[F], F]:
    """Only signed-in users with one of ``roles`` may use the view.

    Not signed in → redirect to ``/login?next=<this page>``; signed in with another role → 403
    in the staff layout (navigation kept), written to the security log.
    Also switches the page to the user's language (``?lang=`` still wins).
    """
    allowed = frozenset(roles)
    unknown = allowed - set(Role)
    if unknown or not allowed:
        raise ValueError(f"unknown roles {sorted(unknown)}" if unknown else "no role given")

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return redirect(url_for("accounts.login", next=_here()))
            use_locale(current_user.locale)
            if current_user.role not in allowed:
                return _role_refused(allowed)
            return view(*args, **kwargs)

        wrapper.allowed_roles = allowed  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate


def _role_refused(allowed: frozenset[str]) -> tuple[str, int]:
    """403 in the staff layout, saying which roles may open the page; audited."""
    access_denied.send(None, target=None, role=current_user.role)
    roles = [role for role in Role if role in allowed]
    return render_template("errors/forbidden.html", roles=roles), 403


def _here() -> str:
    """The current path and query, for ``next=`` (GET only: a POST cannot be replayed)."""
    if request.method != "GET":
        return request.path
    return request.full_path.rstrip("?")


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a relative path on this site, else ``None``.

    Refuses absolute URLs, scheme-relative ``//host``, backslash tricks (``/\\host``, which
    browsers read as ``//host``) and control characters.
    """
    if not target or len(target) > 2000 or not target.startswith("/"):
        return None
    if "\\" in target or any(ord(c) < 32 or ord(c) == 127 for c in target):
        return None
    if target.startswith("//"):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def visible_surveys(user: Principal) -> Select[tuple[Survey]]:
    """``select(Survey)`` limited to the audiences ``user``'s role may see (none if no role)."""
    audiences = [a for a, roles in AUDIENCE_ROLES.items() if user.role in roles]
    return select(Survey).where(Survey.audience.in_(audiences))


def visible_person_kinds(user: Principal) -> tuple[str, ...]:
    """Kinds of people ``user``'s role may read (:data:`PERSON_KINDS`)."""
    return PERSON_KINDS.get(user.role, ())


def can_see_survey(user: Principal, survey: Survey) -> bool:
    return user.role in AUDIENCE_ROLES.get(survey.audience, frozenset())


def get_visible_survey_or_404(survey_id: int) -> Survey:
    """The survey if the signed-in user may see it; 404 if it is missing or not theirs."""
    survey = db.session.get(Survey, survey_id)
    if survey is None or not current_user.is_authenticated:
        abort(404)
    if not can_see_survey(current_user, survey):
        access_denied.send(None, target=survey, role=current_user.role)
        abort(404)
    return survey


def can_manage_survey(user: Principal, survey: Survey) -> bool:
    """Create/edit/activate/close: admins for all, HR for employee surveys."""
    return user.role == Role.ADMIN or (user.role == Role.HR and survey.audience == "employees")


def manageable_audiences(user: Principal) -> list[str]:
    """Audiences ``user`` may create surveys for."""
    if user.role == Role.ADMIN:
        return ["customers", "employees"]
    return ["employees"] if user.role == Role.HR else []


def can_collect(user: Principal, survey: Survey) -> bool:
    """Invite people to and submit answers for ``survey`` through the API: whoever sees the
    survey, except read-only viewers (support: customer surveys; HR: employee surveys)."""
    return user.role != Role.VIEWER and can_see_survey(user, survey)


def can_export_survey(user: Principal, survey: Survey) -> bool:
    """Responses export: whoever sees the survey, except read-only viewers."""
    return user.role != Role.VIEWER and can_see_survey(user, survey)


def can_work_followups(user: Principal, team: str) -> bool:
    """Support works team ``support``, HR team ``hr``, admins both."""
    return user.role in TEAM_ROLES.get(team, frozenset())


def followup_teams(user: Principal) -> list[str]:
    """Follow-up teams ``user`` may work, for filtering the queue in SQL."""
    return [team for team, roles in TEAM_ROLES.items() if user.role in roles]
