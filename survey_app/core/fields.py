"""Strict WTForms fields: one value per field name, ASCII digits only for numbers."""

from __future__ import annotations

import re
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import Field
from wtforms.fields import BooleanField, HiddenField, TextAreaField

_DIGITS = re.compile(r"[0-9]{1,6}")


class SingleValueMixin:
    """Refuse a field name sent more than once (``score=1&score=9``)."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        if len(valuelist) > 1:
            self.data = None
            raise ValueError(_l("This field was sent more than once."))
        super().process_formdata(valuelist)  # type: ignore[misc]


class StrictIntegerField(SingleValueMixin, Field):
    """An integer written with ASCII digits only: no sign, ``1_0``, ``NaN``, ``true`` or ``٣``."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        if len(valuelist) > 1:
            self.data = None
            raise ValueError(_l("This field was sent more than once."))
        self.data = None
        if not valuelist or valuelist[0] == "":
            return
        raw = str(valuelist[0]).strip()
        self.raw_data = [raw]
        if not _DIGITS.fullmatch(raw):
            raise ValueError(_l("Choose one of the numbers offered."))
        self.data = int(raw)

    def _value(self) -> str:
        return "" if self.data is None else str(self.data)


class StrictTextAreaField(SingleValueMixin, TextAreaField):
    """A text area that refuses duplicates (control characters: see ``core.forms.BaseForm``)."""


class StrictBooleanField(SingleValueMixin, BooleanField):
    pass


class StrictHiddenIntegerField(StrictIntegerField):
    widget = HiddenField.widget
