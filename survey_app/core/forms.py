"""The base form: Flask-WTF with WTForms' own messages translated, loaded once per language."""

from __future__ import annotations

import hashlib
import hmac
import time
from functools import lru_cache
from typing import Any

from babel import support
from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.csrf import _FlaskFormCSRF
from wtforms import ValidationError
from wtforms.csrf.core import CSRF, CSRFTokenField
from wtforms.fields import FieldList, FormField, HiddenField, TextAreaField
from wtforms.i18n import messages_path

from survey_app.core.i18n import select_locale
from survey_app.core.inputs import CONTROL, CONTROL_IN_TEXT


@lru_cache(maxsize=8)
def _wtforms_translations(locale: str) -> support.Translations:
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


class _LazyCSRFTokenField(CSRFTokenField):
    """Signs a fresh CSRF token only when the form is rendered, not on every POST."""

    def process(self, *args: Any, **kwargs: Any) -> None:
        HiddenField.process(self, *args, **kwargs)

    def _value(self) -> str:
        if self.current_token is None:
            self.current_token = self.csrf_impl.generate_csrf_token(self)
        return self.current_token


#: For a missing, forged, expired or other link's token; the page comes back with a fresh one.
OUT_OF_DATE = _l("This page is out of date: please send it again.")


class _LazyFlaskFormCSRF(_FlaskFormCSRF):
    field_class = _LazyCSRFTokenField

    def validate_csrf_token(self, form: Any, field: Any) -> None:
        try:
            super().validate_csrf_token(form, field)
        except ValidationError:  # Flask-WTF's own words are English and technical
            raise ValidationError(OUT_OF_DATE) from None


class LinkBoundCSRF(CSRF):
    """CSRF tokens bound to a secret link instead of a session: ``<issued>.<HMAC>`` of the
    link's hash (the form's ``meta.csrf_context``) and the time, keyed by the app's secret.

    A personal link is its holder's credential, so its form needs no cookie at all; a token
    works only for the link it was issued on, and expires after ``WTF_CSRF_TIME_LIMIT``
    seconds when that is set.
    """

    field_class = _LazyCSRFTokenField

    def setup_form(self, form: Any) -> Any:
        self.meta = form.meta
        return super().setup_form(form)

    def generate_csrf_token(self, csrf_token_field: Any) -> str:
        issued = str(int(time.time()))
        return f"{issued}.{self._mac(issued)}"

    def validate_csrf_token(self, form: Any, field: Any) -> None:
        issued, _, mac = (field.data or "").partition(".")
        if not (issued.isascii() and issued.isdigit()) or not hmac.compare_digest(
                mac.encode(), self._mac(issued).encode()):
            raise ValidationError(OUT_OF_DATE)
        limit = self.meta.csrf_time_limit
        if limit is not None and int(issued) + limit < time.time():
            raise ValidationError(OUT_OF_DATE)

    @staticmethod
    def age(token: str | None) -> int | None:
        """Whole seconds since ``token`` (a validated one) was issued; ``None`` if unreadable."""
        issued = (token or "").partition(".")[0]
        if not (issued.isascii() and issued.isdigit()):
            return None
        return int(time.time()) - int(issued)

    def _mac(self, issued: str) -> str:
        secret = self.meta.csrf_secret
        key = secret if isinstance(secret, bytes) else str(secret).encode()
        message = f"polso-link-csrf|{self.meta.csrf_context}|{issued}".encode()
        return hmac.new(key, message, hashlib.sha256).hexdigest()


#: Shown on a single-line field that holds a tab, line break or other control character.
SINGLE_LINE = _l("Write this on one line, without tabs, line breaks or other control "
                 "characters.")
#: Shown on a text area (or hidden field) that holds a control character other than tab/CR/LF.
CONTROL_IN_TEXT_MESSAGE = _l("The text contains a control character (such as NUL); "
                             "please remove it.")


def control_character_errors(form: Any) -> bool:
    """Add an error to every text field of ``form`` and its sub-forms that holds a control
    character — any in a single-line field, any but tab, CR and LF in a text area or hidden
    field; ``True`` if any did.

    NUL breaks PostgreSQL queries; a line break in a single-line value breaks log lines and
    e-mail headers ("header contains a line break"). Checking here covers every form at once.
    """
    found = False
    for field in form:
        if isinstance(field, FormField | FieldList):
            entries = field.entries if isinstance(field, FieldList) else [field]
            found |= any(control_character_errors(entry.form) if isinstance(entry, FormField)
                         else _check(entry) for entry in entries)
        else:
            found |= _check(field)
    return found


def _check(field: Any) -> bool:
    if not isinstance(field.data, str):
        return False
    if isinstance(field, TextAreaField | HiddenField):
        pattern, message = CONTROL_IN_TEXT, CONTROL_IN_TEXT_MESSAGE
    else:
        pattern, message = CONTROL, SINGLE_LINE
    if not pattern.search(field.data):
        return False
    field.errors = [*field.errors, message]
    return True


class BaseForm(FlaskForm):
    """Use for every form: text fields refuse control characters (see
    :func:`control_character_errors`); Flask-WTF would reload WTForms' catalogue on every request
    and sign a new CSRF token even for a POST that is not shown again."""

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        return not control_character_errors(self) and valid

    class Meta:
        csrf_class = _LazyFlaskFormCSRF

        def get_translations(self, form: Any) -> Any:
            if not current_app.config.get("WTF_I18N_ENABLED", True):
                return None
            # The locale's name, not Flask-Babel's parsed Locale (that costs as much as the form).
            return _wtforms_translations(select_locale())
