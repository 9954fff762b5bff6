"""Language selection (the person's or survey's language, then ``?lang=``, then the browser),
the time zone of displayed times, and the one date/time format per language."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from functools import cache
from zoneinfo import available_timezones

import pytz
from flask import current_app, g, has_request_context, request
from flask_babel import format_date, format_datetime, format_decimal, get_locale, refresh
from flask_login import current_user

#: How every page and e-mail shows a moment, per language (CLDR patterns): no seconds, 24 hours,
#: in the reader's time zone (:func:`select_timezone`).
DATETIME_FORMATS = {"en": "d MMM y, HH:mm", "it": "d MMM y, HH:mm"}
#: How every page and e-mail shows a day.
DATE_FORMATS = {"en": "d MMM y", "it": "d MMM y"}


def supported(locale: str | None) -> str | None:
    """``locale`` if the interface speaks it, else ``None``."""
    return locale if locale in current_app.config["LANGUAGES"] else None


def select_locale() -> str:
    """Flask-Babel's locale selector."""
    if not has_request_context():  # CLI and jobs: the command's choice, else the fallback
        return g.get("locale") or current_app.config["LANGUAGES"][0]
    chosen = supported(request.args.get("lang")) or g.get("locale")
    if chosen:
        return chosen
    best = request.accept_languages.best_match(current_app.config["LANGUAGES"])
    return best or current_app.config["LANGUAGES"][0]


def use_locale(*preferences: str | None) -> str:
    """Use the first supported of ``preferences`` for this request (``?lang=`` still wins)."""
    g.locale = next((p for p in preferences if supported(p)), None)
    return select_locale()


@cache
def time_zones() -> frozenset[str]:
    """The IANA time-zone names (``Europe/Rome``, ``UTC`` …) known both to this machine and to
    pytz, which Flask-Babel converts with (the system's ``localtime`` is not one of them)."""
    return frozenset(available_timezones() & pytz.all_timezones_set)


def is_time_zone(name: object) -> bool:
    return isinstance(name, str) and name in time_zones()


def select_timezone() -> str:
    """Flask-Babel's time-zone selector: the e-mail's reader (:func:`use_timezone`), else the
    signed-in user's choice, else ``POLSO_TIMEZONE``."""
    if g.get("timezone"):
        return g.timezone
    if has_request_context() and current_user and current_user.is_authenticated \
            and current_user.timezone:
        return current_user.timezone
    return current_app.config["TIMEZONE"]


@contextmanager
def use_timezone(name: str | None) -> Iterator[None]:
    """Show times in ``name`` (``None``: ``POLSO_TIMEZONE``) inside the block: an e-mail is
    written for its reader, not for whoever's request or job happens to send it."""
    previous = g.get("timezone")
    g.timezone = name or current_app.config["TIMEZONE"]
    refresh()
    try:
        yield
    finally:
        g.timezone = previous
        refresh()


def format_when(value: datetime) -> str:
    """A moment as every page and e-mail shows it, in the reader's language and time zone."""
    return format_datetime(value, DATETIME_FORMATS.get(str(get_locale()), DATETIME_FORMATS["en"]))


def format_day(value: date | datetime) -> str:
    """A day (a moment's day in the reader's time zone) in the reader's language."""
    return format_date(value, DATE_FORMATS.get(str(get_locale()), DATE_FORMATS["en"]))


def format_number(value: float, places: int = 0, *, signed: bool = False) -> str:
    """A figure with ``places`` decimals in the reader's language ("3,46" in Italian, "3.46"
    in English); ``signed`` writes "+" before a positive one ("+0,12")."""
    digits = "0." + "0" * places if places else "0"
    pattern = f"+#,##{digits};-#,##{digits}" if signed else f"#,##{digits}"
    return format_decimal(value, pattern)
