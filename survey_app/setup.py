"""The steps of :func:`survey_app.create_app`, kept out of the package ``__init__``."""

from __future__ import annotations

import logging
import re
from email.utils import getaddresses, quote
from pathlib import Path

from flask import Flask
from flask_babel import get_locale

from survey_app.config import ConfigError
from survey_app.core import headers, logs, requestlog
from survey_app.core.db import db, set_write_intent
from survey_app.core.errors import register_error_pages
from survey_app.core.i18n import (
    format_day,
    format_number,
    format_when,
    is_time_zone,
    select_locale,
    select_timezone,
)
from survey_app.core.inputs import (
    BoundedIntConverter,
    out_of_range_id_is_not_found,
    refuse_control_characters,
)
from survey_app.core.pool import ping_after_idle
from survey_app.core.proxy import TrustedProxies, check_trusted_proxies
from survey_app.core.sessions import CookieSessions
from survey_app.core.sqlite import configure_sqlite, engine_options
from survey_app.extensions import babel, csrf, limiter, login_manager, migrate


def check_config(app: Flask) -> None:
    """Refuse to start without a secret key outside debug and tests, or with bad thresholds."""
    if not app.config.get("SECRET_KEY"):
        if app.debug or app.testing:
            app.config["SECRET_KEY"] = "dev-only-not-secret"
        else:
            raise ConfigError("Set POLSO_SECRET_KEY (a long random string) to run Polso.")
    app.config["SQLALCHEMY_DATABASE_URI"] = app.config["DATABASE_URL"]
    if app.config["DATABASE_URL"].startswith("sqlite"):
        app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", engine_options(
            app.config["DATABASE_URL"], app.config["SQLITE_BUSY_TIMEOUT"]))
    app.config["SENTIMENT_THRESHOLDS"] = _thresholds(app.config["SENTIMENT_THRESHOLDS"])
    app.config["TRUSTED_PROXIES"] = check_trusted_proxies(app.config["TRUSTED_PROXIES"])
    app.config["MAIL_DEFAULT_SENDER"] = _sender(app.config)
    if not is_time_zone(app.config["TIMEZONE"]):
        raise ConfigError(f"POLSO_TIMEZONE must be an IANA time zone such as 'Europe/Rome' or "
                           f"'UTC', not {app.config['TIMEZONE']!r}")
    days = app.config["RETENTION_ACTIVE_DAYS"]
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 3660:
        raise ConfigError(f"POLSO_RETENTION_ACTIVE_DAYS must be a number of days from 1 to "
                           f"3660, not {days!r}")
    currency = app.config["RETENTION_CURRENCY"]
    if not isinstance(currency, str) or not re.fullmatch(r"[A-Z]{3}", currency):
        raise ConfigError(f"POLSO_RETENTION_CURRENCY must be an ISO 4217 code such as 'EUR', "
                           f"not {currency!r}")
    _check_health_rules(app.config)
    if app.config["LOG_FORMAT"] not in ("text", "json"):
        raise ConfigError(f"POLSO_LOG_FORMAT must be text or json, "
                           f"not {app.config['LOG_FORMAT']!r}")


#: The health light's whole-number settings and their least allowed value (docs/retention.md).
_HEALTH_MINIMUMS = {"HEALTH_SCORE_DROP": 1, "HEALTH_MIN_ORDERS": 2, "HEALTH_UNANSWERED": 1,
                    "HEALTH_UNANSWERED_DAYS": 0, "HEALTH_MOVEMENT_MONTHS": 1}


def _check_health_rules(config: dict) -> None:
    for name, least in _HEALTH_MINIMUMS.items():
        value = config[name]
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise ConfigError(f"POLSO_{name} must be a whole number of at least {least}, "
                               f"not {value!r}")
    factor = config["HEALTH_INACTIVITY_FACTOR"]
    if isinstance(factor, bool) or not isinstance(factor, int | float) or not factor > 0:
        raise ConfigError(f"POLSO_HEALTH_INACTIVITY_FACTOR must be a number above 0, "
                           f"not {factor!r}")


def _thresholds(value: object) -> tuple[float, float]:
    """``SENTIMENT_THRESHOLDS`` as ``(negative, positive)`` with −1 ≤ negative < positive ≤ 1."""
    try:
        negative, positive = (float(v) for v in value)  # type: ignore[union-attr]
    except (TypeError, ValueError):
        negative = positive = float("nan")
    if not -1 <= negative < positive <= 1:
        raise ConfigError(f"POLSO_SENTIMENT_THRESHOLDS must be [negative, positive] with "
                           f"-1 <= negative < positive <= 1, not {value!r}")
    return negative, positive


#: One plain address (no display name, no line break): ``polso@example.com``.
_ADDRESS = re.compile(r"[^\s@<>\"(),;:]+@[^\s@<>\"(),;:]+")


def _sender(config: dict) -> str:
    """``From:`` of every e-mail: ``MAIL_SENDER_NAME`` and ``MAIL_SENDER_ADDRESS`` where given,
    else the parts of ``MAIL_DEFAULT_SENDER``, as ``"Name" <address>``.

    The name is quoted so Flask-Mail's parser keeps any name (``Acme, Inc.``, ``Società``)
    whole: an unquoted comma used to send from the address ``Acme``.
    """
    default = config["MAIL_DEFAULT_SENDER"]
    pairs = ([tuple(default)] if isinstance(default, list | tuple)
             else getaddresses([str(default)]))
    if len(pairs) != 1 or len(pairs[0]) != 2:
        raise ConfigError(f"POLSO_MAIL_DEFAULT_SENDER must be one 'Name <address>' (quote a "
                           f"name with a comma), not {default!r}")
    name = config.get("MAIL_SENDER_NAME") or pairs[0][0]
    address = config.get("MAIL_SENDER_ADDRESS") or pairs[0][1]
    if not isinstance(name, str) or "\n" in name or "\r" in name or len(name) > 100:
        raise ConfigError(f"POLSO_MAIL_SENDER_NAME must be one line of at most 100 "
                           f"characters, not {name!r}")
    if not isinstance(address, str) or not _ADDRESS.fullmatch(address):
        raise ConfigError(f"POLSO_MAIL_SENDER_ADDRESS must be an e-mail address such as "
                           f"'surveys@example.com', not {address!r}")
    return f'"{quote(name)}" <{address}>' if name else address


def import_models() -> None:
    """Import every feature's models so the metadata (and Alembic) sees all tables."""
    import survey_app.accounts.models  # noqa: F401
    import survey_app.api.models  # noqa: F401
    import survey_app.audit.models  # noqa: F401
    import survey_app.dashboards.models  # noqa: F401
    import survey_app.followups.models  # noqa: F401
    import survey_app.invitations.models  # noqa: F401
    import survey_app.people.models  # noqa: F401
    import survey_app.referrals.models  # noqa: F401
    import survey_app.responses.models  # noqa: F401
    import survey_app.retention.models  # noqa: F401
    import survey_app.surveys.models  # noqa: F401
    import survey_app.themes.models  # noqa: F401
    import survey_app.waves.models  # noqa: F401
    import survey_app.webhooks.models  # noqa: F401


def init_extensions(app: Flask) -> None:
    import_models()
    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            configure_sqlite(db.engine)
        else:
            ping_after_idle(db.engine)
    migrate.init_app(app, db, directory=str(Path(app.root_path).parent / "migrations"),
                     render_as_batch=True, compare_type=True)
    app.url_map.converters["int"] = BoundedIntConverter  # before any route is added
    app.session_interface = CookieSessions()
    limiter.init_app(app)  # before CSRF: an over-limit request is refused first, cheaply
    app.before_request(refuse_control_characters)
    app.before_request(out_of_range_id_is_not_found)
    csrf.init_app(app)
    _init_login(app)
    _init_mail_and_jobs(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone,
                   default_translation_directories=str(Path(app.root_path) / "translations"))
    app.jinja_env.filters.update(when=format_when, day=format_day, decimal=format_number)
    headers.init_app(app)
    app.before_request(_flag_writes)
    app.wsgi_app = TrustedProxies(app)  # type: ignore[method-assign]
    app.jinja_env.globals.update(get_locale=get_locale)
    register_error_pages(app)
    _init_security_log(app)
    # ``app.logger`` (the "survey_app" logger) gets Flask's stderr handler unless one is
    # configured; untouched, our INFO lines were dropped under gunicorn until an error touched it.
    app.logger.setLevel(logging.INFO)
    requestlog.init_app(app)
    logs.install_token_redaction(app.logger)
    logs.install_control_escaping()


def _init_login(app: Flask) -> None:
    """Flask-Login with the session-version check of ``accounts.access.load_user``."""
    from survey_app.accounts.access import load_user

    login_manager.init_app(app)
    login_manager.user_loader(load_user)
    login_manager.login_view = "accounts.login"
    login_manager.session_protection = "basic"


def _init_security_log(app: Flask) -> None:
    from survey_app.audit import security

    security.init_app(app)


def _init_mail_and_jobs(app: Flask) -> None:
    """Flask-Mail, and the job modules (jobs are declared at import; huey is built lazily)."""
    from survey_app.core import jobs, mail

    mail.init_app(app)
    jobs.check_config(app)
    import survey_app.accounts.emails  # noqa: F401
    import survey_app.api.tasks  # noqa: F401
    import survey_app.followups.tasks  # noqa: F401
    import survey_app.privacy.tasks  # noqa: F401
    import survey_app.referrals.tasks  # noqa: F401
    import survey_app.responses.tasks  # noqa: F401
    import survey_app.waves.tasks  # noqa: F401
    import survey_app.webhooks.tasks  # noqa: F401
    from survey_app.webhooks import events

    events.connect()


def _flag_writes() -> None:
    """POSTs and other unsafe methods take SQLite's write lock at BEGIN (see core.db)."""
    from flask import request

    set_write_intent(request.method not in ("GET", "HEAD", "OPTIONS"))


def register_blueprints(app: Flask) -> None:
    from survey_app import api
    from survey_app.accounts.admin_views import bp as accounts_admin_bp
    from survey_app.accounts.views import bp as accounts_bp
    from survey_app.audit.views import bp as audit_bp
    from survey_app.core.health import bp as health_bp
    from survey_app.dashboards.views import bp as dashboards_bp
    from survey_app.followups.views import bp as followups_bp
    from survey_app.invitations.views import bp as invitations_bp
    from survey_app.ops import metrics
    from survey_app.people.views import bp as people_bp
    from survey_app.referrals.views import bp as referrals_bp
    from survey_app.respond.views import bp as respond_bp
    from survey_app.retention.views import bp as retention_bp
    from survey_app.surveys.views import bp as surveys_bp
    from survey_app.themes.views import bp as themes_bp
    from survey_app.waves.views import bp as waves_bp
    from survey_app.webhooks.views import bp as webhooks_bp

    app.register_blueprint(health_bp)
    app.register_blueprint(respond_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(accounts_admin_bp)
    app.register_blueprint(invitations_bp)
    app.register_blueprint(people_bp)
    app.register_blueprint(referrals_bp)
    app.register_blueprint(waves_bp)
    app.register_blueprint(audit_bp)
    app.register_blueprint(surveys_bp)
    app.register_blueprint(dashboards_bp)
    app.register_blueprint(followups_bp)
    app.register_blueprint(webhooks_bp)
    app.register_blueprint(themes_bp)
    app.register_blueprint(retention_bp)
    metrics.init_app(app)
    api.init_app(app)


def register_cli(app: Flask) -> None:
    from survey_app.cli import register_commands

    register_commands(app)
