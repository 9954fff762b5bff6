"""Unbound Flask extension singletons, initialised once in :func:`survey_app.create_app`."""

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

from survey_app.core.db import db

__all__ = ["babel", "csrf", "db", "limiter", "login_manager", "migrate"]

migrate = Migrate()
csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
#: Staff sign-in; the user loader and session checks live in ``accounts.access``.
login_manager = LoginManager()
