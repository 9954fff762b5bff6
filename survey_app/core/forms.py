"""The base form: Flask-WTF with WTForms' own messages translated, loaded once per language."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from babel import support
from flask import current_app
from flask_wtf import FlaskForm
from flask_wtf.csrf import _FlaskFormCSRF
from wtforms.csrf.core import CSRFTokenField
from wtforms.fields import HiddenField
from wtforms.i18n import messages_path

from survey_app.core.i18n import select_locale


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


class _LazyFlaskFormCSRF(_FlaskFormCSRF):
    field_class = _LazyCSRFTokenField


class BaseForm(FlaskForm):
    """Use for every form: Flask-WTF reloads WTForms' catalogue on every request otherwise,
    and signs a new CSRF token even for a POST that is not shown again."""

    class Meta:
        csrf_class = _LazyFlaskFormCSRF

        def get_translations(self, form: Any) -> Any:
            if not current_app.config.get("WTF_I18N_ENABLED", True):
                return None
            # The locale's name, not Flask-Babel's parsed Locale (that costs as much as the form).
            return _wtforms_translations(select_locale())
