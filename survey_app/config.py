"""Default settings; every one can be overridden by an environment variable ``POLSO_<NAME>``."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

#: The repository root: ``templates/``, ``static/``, ``migrations/`` and ``instance/`` live here.
ROOT = Path(__file__).resolve().parent.parent


class Config:
    """Safe defaults for a laptop; production sets ``POLSO_SECRET_KEY`` and a PostgreSQL URL."""

    #: Required outside debug and tests: signs sessions and CSRF tokens.
    SECRET_KEY: str | None = None
    #: SQLAlchemy URL; default is a SQLite file under ``instance/``.
    DATABASE_URL = f"sqlite:///{ROOT / 'instance' / 'polso.sqlite3'}"
    #: Seconds SQLite waits for a lock before giving up.
    SQLITE_BUSY_TIMEOUT = 10
    #: Public address used in links sent by e-mail or printed by the CLI.
    BASE_URL = "http://127.0.0.1:5000"

    #: Requests larger than this are refused with 413 (bytes).
    MAX_CONTENT_LENGTH = 1024 * 1024
    SESSION_COOKIE_SECURE = True
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_NAME = "polso_session"
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    #: CSRF tokens live as long as the session, so a page left open in a mail client still posts.
    WTF_CSRF_TIME_LIMIT: int | None = None
    #: Redirect plain HTTP to HTTPS and send HSTS (turn on behind TLS in production).
    FORCE_HTTPS = False

    #: Flask-Limiter storage: ``memory://`` counts per process; use ``redis://…`` with several.
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_ENABLED = True
    #: Limit on respondent form submissions per client address.
    RATELIMIT_RESPOND = "60 per minute"
    #: Limit on public-link submissions per client address.
    RATELIMIT_PUBLIC = "10 per minute"
    #: Limit on sign-in attempts, counted both per client address and per e-mail typed.
    RATELIMIT_LOGIN = "10 per minute"
    RATELIMIT_HEADERS_ENABLED = True

    #: Languages the interface speaks; the first is the fallback.
    LANGUAGES = ("en", "it")
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "UTC"

    #: Defaults for new surveys.
    LINK_LIFETIME_DAYS = 30
    EDIT_WINDOW_HOURS = 24
    MIN_GROUP_SIZE = 5
    #: Comment sentiment labels: negative at or below the first, positive at or above the second.
    SENTIMENT_THRESHOLDS = (-0.05, 0.05)
    #: Comments longer than this are refused (characters).
    COMMENT_MAX_LENGTH = 5000
    #: Due time of a new follow-up case by priority (hours).
    SLA_HOURS = {"red": 24, "yellow": 72, "green": 120}
