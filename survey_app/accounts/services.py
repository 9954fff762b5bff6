"""Staff users: passwords (argon2id), sign-in checks, roles, deactivation, session ending."""

from __future__ import annotations

import logging
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from survey_app.accounts.models import Role, User
from survey_app.core.db import db, utcnow
from survey_app.core.errors import DomainError
from survey_app.core.i18n import is_time_zone

logger = logging.getLogger(__name__)

#: Shortest and longest accepted password (characters). Long passphrases welcome.
PASSWORD_MIN_LENGTH = 10
PASSWORD_MAX_LENGTH = 256

_hasher = PasswordHasher()  # argon2id, argon2-cffi's default (RFC 9106 low-memory) profile


LAST_ADMIN = _l("This is the last active admin; make someone else admin first.")


class AccountError(DomainError):
    """A user setting was not acceptable."""


class LastAdminError(AccountError):
    """The change would leave no active admin."""


def hash_password(password: str) -> str:
    return _hasher.hash(password)


@cache
def _dummy_hash() -> str:
    return _hasher.hash("polso-dummy-password-for-unknown-emails")


def normalise_email(email: str) -> str:
    """Lower-cased, trimmed e-mail.

    :raises AccountError: not an e-mail address.
    """
    email = (email or "").strip().lower()
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        raise AccountError(_l("%(email)s is not a valid e-mail address.", email=email)) from None
    return email


def check_password_rules(password: str) -> None:
    """:raises AccountError: too short, too long or contains a NUL character."""
    if len(password) < PASSWORD_MIN_LENGTH:
        raise AccountError(_l("The password must have at least %(n)s characters.",
                                n=PASSWORD_MIN_LENGTH))
    if len(password) > PASSWORD_MAX_LENGTH or "\x00" in password:
        raise AccountError(_l("The password must have at most %(n)s characters.",
                                n=PASSWORD_MAX_LENGTH))


def check_role(role: str) -> None:
    if role not in set(Role):
        raise AccountError(_l("The role must be one of admin, hr, support, viewer."))


def find_user(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == (email or "").strip().lower()))


def create_user(*, email: str, role: str, password: str, name: str = "",
                locale: str = "en") -> User:
    """Create an active staff user.

    :raises AccountError: bad e-mail, role, password or locale, or the e-mail is taken.
    """
    check_password_rules(password)
    return _add_user(email=email, role=role, name=name, locale=locale,
                     password_hash=hash_password(password))


def invite_user(*, email: str, role: str, name: str = "", locale: str = "en") -> User:
    """Create a user who sets their own password through an e-mailed invitation link; they
    stay inactive (no sign-in, no e-mails) until then.

    :raises AccountError: bad e-mail, role or locale, or the e-mail is taken.
    """
    return _add_user(email=email, role=role, name=name, locale=locale, password_hash="")


def _add_user(*, email: str, role: str, name: str, locale: str, password_hash: str) -> User:
    email = normalise_email(email)
    check_role(role)
    name = (name or "").strip()
    if len(name) > 200:
        raise AccountError(_l("The name must have at most 200 characters."))
    if locale not in ("en", "it"):
        raise AccountError(_l("The language must be en or it."))
    if find_user(email) is not None:
        raise AccountError(_l("A user with e-mail %(email)s already exists.", email=email))
    user = User(email=email, role=role, name=name, locale=locale, password_hash=password_hash,
                is_active=bool(password_hash), session_version=1)
    db.session.add(user)
    db.session.flush()
    logger.info("user %s %s with role %s", user.id,
                "created" if password_hash else "invited", role)
    return user


def renew_invitation(user: User) -> None:
    """Before sending an invitation again: links sent earlier stop working.

    :raises AccountError: the user has already set a password.
    """
    _check_invited(user)
    end_sessions(user)


def cancel_invitation(user: User) -> None:
    """Delete an invited user who never set a password (their link stops working).

    :raises AccountError: the user has already set a password.
    """
    _check_invited(user)
    db.session.delete(user)
    db.session.flush()


def _check_invited(user: User) -> None:
    if not user.is_invited:
        raise AccountError(_l("%(email)s has already accepted the invitation.",
                              email=user.email))


def set_password_by_link(user: User, password: str) -> None:
    """Set the password an e-mailed link (invitation or reset) asked for; an invited user
    becomes active. Ends the user's sessions, and with them every earlier link.

    :raises AccountError: the password breaks the rules.
    """
    set_password(user, password)
    user.is_active = True
    db.session.flush()


def reset_candidate(email: str) -> User | None:
    """The active user (with a password) to send a reset link for ``email``, if any."""
    user = find_user(email)
    return user if user is not None and user.is_active and not user.is_invited else None


def authenticate(email: str, password: str) -> User | None:
    """The active user with this e-mail and password, else ``None``.

    Costs one argon2 verification whether or not the e-mail exists, so timing does not reveal
    which e-mails have accounts. Upgrades the stored hash when the hasher's defaults changed.
    """
    user = find_user(email)
    candidate = user.password_hash if user is not None and user.password_hash else _dummy_hash()
    try:
        _hasher.verify(candidate, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.is_active or user.is_invited:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_dt = utcnow()
    db.session.flush()
    return user


def verify_password(user: User, password: str) -> bool:
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def end_sessions(user: User) -> None:
    """End every existing session of ``user`` on its next request."""
    user.session_version += 1
    db.session.flush()


def set_password(user: User, password: str) -> None:
    """Set a new password and end the user's sessions.

    :raises AccountError: the password breaks the rules.
    """
    check_password_rules(password)
    user.password_hash = hash_password(password)
    end_sessions(user)


def change_own_password(user: User, *, current: str, new: str) -> None:
    """:raises AccountError: ``current`` is wrong or ``new`` breaks the rules."""
    if not verify_password(user, current):
        raise AccountError(_l("The current password is not correct."))
    set_password(user, new)


def _active_admins() -> int:
    return db.session.scalar(
        select(func.count()).select_from(User).where(User.role == Role.ADMIN, User.is_active)
    ) or 0


def set_role(user: User, role: str, *, by: User | None = None) -> None:
    """Change ``user``'s role and end their sessions.

    :raises AccountError: unknown role, or an admin changing their own role.
    :raises LastAdminError: the last active admin would be demoted.
    """
    check_role(role)
    if user.role == role:
        return
    if by is not None and by.id == user.id:
        raise AccountError(_l("You cannot change your own role; ask another admin."))
    if user.role == Role.ADMIN and user.is_active and _active_admins() <= 1:
        raise LastAdminError(LAST_ADMIN)
    user.role = role
    end_sessions(user)


def set_active(user: User, active: bool, *, by: User | None = None) -> None:
    """Deactivate (ending their sessions) or reactivate ``user``.

    :raises AccountError: an admin deactivating themselves, or an invited user.
    :raises LastAdminError: the last active admin would be deactivated.
    """
    if user.is_active == active:
        return
    if user.is_invited:
        raise AccountError(_l("%(email)s becomes active by accepting the invitation.",
                              email=user.email))
    if not active:
        if by is not None and by.id == user.id:
            raise AccountError(_l("You cannot deactivate yourself; ask another admin."))
        if user.role == Role.ADMIN and _active_admins() <= 1:
            raise LastAdminError(LAST_ADMIN)
    user.is_active = active
    end_sessions(user)


def set_timezone(user: User, name: str | None) -> None:
    """The user's own time zone for pages and e-mails; ``None`` or ``""``: ``POLSO_TIMEZONE``.

    :raises AccountError: not an IANA time-zone name.
    """
    if name and not is_time_zone(name):
        raise AccountError(_l("Choose a time zone from the list."))
    user.timezone = name or None
    db.session.flush()


def set_locale(user: User, locale: str) -> None:
    """:raises AccountError: not a language of the interface."""
    if locale not in ("en", "it"):
        raise AccountError(_l("The language must be en or it."))
    user.locale = locale
    db.session.flush()
