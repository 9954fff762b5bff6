"""Default settings; every one can be overridden by an environment variable ``POLSO_<NAME>``."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from survey_app.core.sentiment import DEFAULT_THRESHOLDS

#: The repository root: ``templates/``, ``static/``, ``migrations/`` and ``instance/`` live here.
ROOT = Path(__file__).resolve().parent.parent



class ConfigError(RuntimeError):
    """A setting Polso cannot start with; the message says which and what it must be
    (``polso`` prints it as one line, not a traceback)."""

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

    #: Reverse proxies in front of Polso (e.g. 1 for one TLS proxy): the client address and
    #: scheme are read from that many ``X-Forwarded-For``/``-Proto`` hops (Werkzeug's ProxyFix).
    #: 0 ignores those headers (a client could forge them); set it to what is really in front.
    TRUSTED_PROXIES = 0

    #: Flask-Limiter storage: ``memory://`` counts per process; use ``redis://…`` with several.
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_ENABLED = True
    #: Limit on respondent form submissions per client address.
    RATELIMIT_RESPOND = "60 per minute"
    #: Limit on public-link submissions per client address.
    RATELIMIT_PUBLIC = "10 per minute"
    #: Failed sign-ins per client address; more are refused (429). Successes do not count.
    RATELIMIT_LOGIN = "10 per minute"
    #: Failed sign-ins per client address and e-mail typed; more are refused (429).
    RATELIMIT_LOGIN_PAIR = "5 per minute"
    #: Failed sign-ins for one e-mail (last 15 minutes, any address) answered without delay;
    #: each further attempt waits 0.25 s, doubling, up to ``LOGIN_SLOWDOWN_MAX_SECONDS`` — except
    #: a correct password from an address with no recent failures (docs/security.md).
    LOGIN_SLOWDOWN_AFTER = 3
    LOGIN_SLOWDOWN_MAX_SECONDS = 3
    RATELIMIT_HEADERS_ENABLED = True
    #: Requests one API token may make (Flask-Limiter syntax; counted in RATELIMIT_STORAGE_URI).
    API_RATELIMIT = "600/minute"

    #: An e-mailed staff invitation link works this long (once).
    INVITATION_LIFETIME_HOURS = 72
    #: An e-mailed password-reset link works this long (once).
    PASSWORD_RESET_LIFETIME_MINUTES = 60

    # --- Operations: logs and metrics (issue 19, README "Running in production") ---
    #: ``text`` (plain lines) or ``json`` (one JSON object per line on standard error).
    LOG_FORMAT = "text"
    #: Bearer token Prometheus sends to ``GET /metrics``; empty: ``/metrics`` answers 404.
    METRICS_TOKEN = ""

    #: Languages the interface speaks; the first is the fallback.
    LANGUAGES = ("en", "it")
    BABEL_DEFAULT_LOCALE = "en"
    #: IANA time zone of the times shown on pages and in e-mails (a staff user may choose their
    #: own); checked at start-up. Times are stored in UTC whatever this says.
    TIMEZONE = "UTC"

    #: Defaults for new surveys.
    LINK_LIFETIME_DAYS = 30
    EDIT_WINDOW_HOURS = 24
    MIN_GROUP_SIZE = 5
    #: Anonymous surveys: fewest comments a shown list of comments (or key phrases) may draw on.
    COMMENT_MIN_GROUP_SIZE = 5
    #: Comments per page on a dashboard.
    DASHBOARD_COMMENTS_PER_PAGE = 20
    #: Latest comments per category read to find a dashboard's key phrases (a bounded sample).
    DASHBOARD_WORDS_SAMPLE = 500
    #: Read dashboard counts from the daily rollups where they hold them (``False``: always
    #: from the responses; the benchmark's baseline and the rollup = raw tests).
    DASHBOARD_ROLLUPS = True
    #: Comment sentiment labels: negative at or below the first, positive at or above the second
    #: (a JSON list in the environment, e.g. ``POLSO_SENTIMENT_THRESHOLDS='[-0.1, 0.1]'``).
    SENTIMENT_THRESHOLDS = DEFAULT_THRESHOLDS
    #: Comments longer than this are refused (characters).
    COMMENT_MAX_LENGTH = 5000
    #: Due time of a new follow-up case by priority (hours).
    SLA_HOURS = {"red": 24, "yellow": 72, "green": 120}
    # --- Follow-up queue (issue 5, docs/followups.md) ---
    #: Warn the assignee (or the team) this many hours before a case's due time (once a day).
    SLA_WARNING_HOURS = 4
    #: Outcomes an agent chooses from when resolving a case (keys; known ones are translated).
    FOLLOWUP_OUTCOMES = ("fixed", "refunded", "explained", "not_reachable", "other")
    #: Hour of the day (UTC) from which the daily follow-up digest is sent.
    FOLLOWUP_DIGEST_HOUR = 7
    #: ``Reply-To`` of replies to customers; empty: the address of the agent who wrote it.
    FOLLOWUP_REPLY_TO: str | None = None
    #: Cases per page of the queue.
    FOLLOWUPS_PER_PAGE = 50

    # --- Distribution: e-mail, jobs, throttle, reminders (issue 6, docs/distribution.md) ---
    #: SMTP server for outgoing mail; empty: e-mails go to the log and ``instance/outbox/*.eml``.
    MAIL_SERVER: str | None = None
    MAIL_PORT = 25
    MAIL_USE_TLS = False
    MAIL_USE_SSL = False
    MAIL_USERNAME: str | None = None
    #: Secret: give it only as ``POLSO_MAIL_PASSWORD``.
    MAIL_PASSWORD: str | None = None
    #: Folder of the ``.eml`` files written when no MAIL_SERVER is set (default instance/outbox).
    MAIL_OUTBOX_DIR: str | None = None
    #: ``From:`` of every e-mail Polso sends, as ``Name <address>``; the two settings below
    #: override its parts (easier to give: no quoting of a name such as ``Acme, Inc.``).
    MAIL_DEFAULT_SENDER = "Polso <polso@localhost>"
    #: Sender name shown by mail programs, e.g. ``Acme customer care``.
    MAIL_SENDER_NAME: str | None = None
    #: Sender address, e.g. ``surveys@acme.example``.
    MAIL_SENDER_ADDRESS: str | None = None
    #: Flask-Mail would silently not send while ``TESTING``; Polso decides with MAIL_SERVER.
    MAIL_SUPPRESS_SEND = False
    #: E-mails sent per job, over one SMTP connection.
    MAIL_BATCH_SIZE = 200
    #: Attempts before an e-mail that keeps failing temporarily (SMTP 4xx) is marked failed.
    MAIL_MAX_ATTEMPTS = 5
    #: Seconds before the first retry of a temporary failure; each next wait is 4× longer.
    MAIL_RETRY_SECONDS = 60
    #: Job broker: empty = SQLite file ``instance/jobs.sqlite3``; ``redis://…``; ``postgresql://…``.
    JOBS_URL = ""
    #: Queue name (Redis key prefix, SQLite/PostgreSQL queue column): one per Polso instance.
    JOBS_NAME = "polso"
    #: Run jobs at once in the calling process (tests); no consumer needed.
    JOBS_IMMEDIATE = False
    #: ``polso run`` also runs a job consumer in threads, so one command does everything.
    JOBS_EMBEDDED_WORKER = True
    #: Worker threads of the embedded consumer and default of ``polso worker --workers``.
    JOBS_WORKERS = 2
    #: Lease of a worker's claim on an e-mail (renewed while its batch runs): the sweep takes
    #: back and retries e-mails whose lease ran out, i.e. whose worker died or stalled.
    DELIVERY_STUCK_MINUTES = 10
    #: Webhooks: ``host:port`` pairs that may use plain http and private addresses
    #: (development and tests only; a list, or one comma-separated string). Empty in production.
    WEBHOOK_ALLOWED_HOSTS: list[str] = []
    #: Webhooks: seconds to connect, and to wait for each read of the answer.
    WEBHOOK_CONNECT_TIMEOUT = 3.0
    WEBHOOK_READ_TIMEOUT = 5.0
    #: Webhooks: runs sending to one endpoint at once, across all workers; each run sends one
    #: request at a time, so this is also the most requests in flight to it.
    WEBHOOK_MAX_CONCURRENCY = 4
    #: Webhooks: deliveries one run claims and sends over one keep-alive connection.
    WEBHOOK_BATCH_SIZE = 50
    #: Webhooks: lease of a run on the deliveries it claimed (longer than both timeouts,
    #: renewed as it records); the sweep sends again what a dead worker left after this.
    WEBHOOK_LEASE_SECONDS = 60
    #: Webhooks: first retry after this many seconds, then 4× longer each time (±25 %).
    WEBHOOK_RETRY_SECONDS = 5
    #: Webhooks: retries stop once the event is this many hours old.
    WEBHOOK_RETRY_HOURS = 24
    #: Webhooks: an endpoint failing (no success) for this long is disabled, its owner told.
    WEBHOOK_DISABLE_AFTER_HOURS = 24
    #: Webhooks: events (and their delivery log) are deleted this many days after they
    #: happened, once every delivery is finished (their payloads hold personal data).
    WEBHOOK_KEEP_DAYS = 30
    #: Do not invite a person asked (by any survey) within this many days; per survey setting.
    THROTTLE_DAYS = 30
    #: Reminders: the first after this many days without an answer, then as often again.
    REMINDER_AFTER_DAYS = 3
    #: Reminders per invitation for new surveys (a survey allows 0–2).
    REMINDER_COUNT = 1
    #: All score buttons of one e-mail opened within this many seconds = a link scanner.
    SCANNER_BURST_SECONDS = 30
    #: A response submitted this soon after scanner activity carries a note (it still counts).
    SCANNER_WINDOW_MINUTES = 10
    #: A personal-link form sent sooner than this after its page was rendered is suspected
    #: automated (nobody reads and answers that fast).
    MIN_ANSWER_SECONDS = 2
    #: A score clicked in an e-mail counts as the answer after this long, unless a form is sent
    #: meanwhile or the link's opens look like a scanner's (identified surveys only).
    PROVISIONAL_MINUTES = 30
    #: Public links: answers accepted per survey from one network address a day (more: 429).
    PUBLIC_ANSWERS_PER_ADDRESS_DAY = 20
    #: Public links: more than this many answers from one address within
    #: ``PUBLIC_BURST_MINUTES`` are flagged "suspected automated" for review.
    PUBLIC_BURST_ANSWERS = 3
    PUBLIC_BURST_MINUTES = 10
    #: Largest CSV accepted by the people import page (bytes).
    PEOPLE_IMPORT_MAX_BYTES = 32 * 1024 * 1024
    #: Health light (docs/retention.md, "Health light"): red after a drop of this many points
    #: between a customer's last two answers …
    HEALTH_SCORE_DROP = 3
    #: … yellow after no order for longer than their median interval between orders × this,
    HEALTH_INACTIVITY_FACTOR = 1.5
    #: once they have at least this many orders …
    HEALTH_MIN_ORDERS = 3
    #: … or after no answer to this many of their latest invitations, each this many days old.
    HEALTH_UNANSWERED = 2
    HEALTH_UNANSWERED_DAYS = 7
    #: Months of light counts shown on the people page.
    HEALTH_MOVEMENT_MONTHS = 6
    #: Retention (docs/retention.md): a customer stays active this many days after their last
    #: order (purchase, renewal, reactivation) unless they cancel.
    RETENTION_ACTIVE_DAYS = 365
    #: ISO 4217 code of the money figures (average order value, CLV); activity rows in another
    #: currency count as orders but not in the amounts, rows without one are in this currency.
    RETENTION_CURRENCY = "EUR"
    #: Largest CSV accepted by the activity import page (bytes).
    ACTIVITY_IMPORT_MAX_BYTES = 64 * 1024 * 1024
