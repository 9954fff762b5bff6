"""Hostile input refused once for every view: control characters, out-of-range ids and pages.

Policy (``docs/architecture.md``, "Hostile input"): no path or query argument may hold a
control character (C0 or DEL); in form values, text areas may hold tab, CR and LF and
single-line fields nothing (:class:`survey_app.core.forms.BaseForm`). Ids in URLs fit the
database's 32-bit ``integer``; anything larger is a 404 before any query runs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from flask import request
from flask_babel import gettext as _
from werkzeug.exceptions import BadRequest, MethodNotAllowed, NotFound
from werkzeug.routing import IntegerConverter, Map

#: Largest id in a URL: PostgreSQL ``integer`` (SQLite's keys are 64-bit, ours never that big).
MAX_ID = 2**31 - 1
#: Highest page number of any listing (a request for more is a 400).
MAX_PAGE = 10_000

#: Every C0 control character and DEL.
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
#: Control characters a multi-line text may not hold: all but tab, LF and CR.
CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CONTROL_RUN = re.compile(CONTROL.pattern + "+")


class InputRefusedError(BadRequest):
    """A 400 whose page shows why (``explanation``), not the generic "form too old" text."""

    def __init__(self, explanation: str) -> None:
        super().__init__(explanation)
        self.explanation = explanation


class BoundedIntConverter(IntegerConverter):
    """``<int:…>`` that matches only 0…:data:`MAX_ID`; a larger number finds no route (404)."""

    def __init__(self, map: Map, fixed_digits: int = 0, min: int | None = None,
                 max: int | None = MAX_ID, signed: bool = False) -> None:
        super().__init__(map, fixed_digits, min, max, signed)


def out_of_range_id_is_not_found() -> None:
    """``before_request``: a number above :data:`MAX_ID` in the path is a 404 also where
    another method's route has the same shape (``GET`` and ``POST /settings/webhooks/<id>`` as
    two views): Werkzeug then answers 405, having matched the other route's pattern before
    its converter refused the number."""
    if isinstance(request.routing_exception, MethodNotAllowed) and any(
            part.isdigit() and int(part) > MAX_ID for part in request.path.split("/")):
        raise NotFound()


def refuse_control_characters() -> None:
    """``before_request``: a control character in the path is a 404 (it names nothing); in a
    query argument's name or value, a 400. The body is left unread (an upload's size limit is
    set by its view): form values are checked by the forms
    (:class:`survey_app.core.forms.BaseForm`), which show the page again with what was typed,
    and a form field name that no form declares is never read."""
    if CONTROL.search(request.path):
        raise NotFound()
    if any(CONTROL.search(name) or any(CONTROL.search(v) for v in values)
           for name, values in request.args.lists()):
        raise InputRefusedError(_("The address or a field contains a control character "
                                  "(such as NUL or a line break); please remove it."))


def one_line(text: str) -> str:
    """``text`` with each run of control characters made one space (for e-mail headers)."""
    return _CONTROL_RUN.sub(" ", text).strip()


def page_arg(args: Mapping[str, str], name: str = "page") -> int:
    """The page number in ``args`` (1 when absent); 400 unless a whole number 1…:data:`MAX_PAGE`.

    A page past the last one is the listing's business (it shows its last page).
    """
    raw = args.get(name) or "1"
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 5 and 1 <= int(raw) <= MAX_PAGE):
        raise InputRefusedError(_("The page must be a whole number from 1 to %(max)s.",
                                  max=MAX_PAGE))
    return int(raw)
