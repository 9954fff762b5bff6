"""The forms of an HTML page as a browser would submit them (for tests that post real forms)."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

#: ``<input type=…>`` kinds whose value is typed on one line.
SINGLE_LINE_TYPES = {"text", "email", "password", "search", "url", "number", "tel", "date"}


@dataclass
class Field:
    name: str
    #: ``textarea``, ``select``, ``hidden`` or the input's type.
    kind: str
    value: str = ""


@dataclass
class Form:
    action: str
    method: str
    fields: list[Field] = field(default_factory=list)

    def data(self) -> list[tuple[str, str]]:
        """The name/value pairs a browser sends for the form as shown."""
        return [(f.name, f.value) for f in self.fields]


class _Parser(HTMLParser):
    def __init__(self, page: str) -> None:
        super().__init__()
        self.page, self.forms = page, []
        self._text: Field | None = None
        self._select: Field | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "option" and self._select is not None:
            if "selected" in a or not self._select.value:
                self._select.value = a.get("value", "")
        elif tag == "form":
            self.forms.append(Form(a.get("action") or self.page, a.get("method", "get").upper()))
        elif not self.forms or "name" not in a or "disabled" in a:
            return
        elif tag == "input" and a.get("type", "text") not in ("submit", "button", "file",
                                                               "image", "reset"):
            kind = a.get("type", "text")
            if kind not in ("checkbox", "radio") or "checked" in a:
                self.forms[-1].fields.append(Field(a["name"], kind, a.get("value", "")))
        elif tag == "textarea":
            self._text = Field(a["name"], "textarea")
            self.forms[-1].fields.append(self._text)
        elif tag == "select":
            self._select = Field(a["name"], "select")
            self.forms[-1].fields.append(self._select)

    def handle_data(self, data: str) -> None:
        if self._text is not None:
            self._text.value += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea":
            self._text = None
        elif tag == "select":
            self._select = None


def page_forms(html: str, page: str) -> list[Form]:
    """Every ``<form>`` of ``html`` (served at ``page``) with its fields' current values."""
    parser = _Parser(page)
    parser.feed(html)
    return parser.forms
