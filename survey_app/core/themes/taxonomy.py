"""The themes of each audience, in the order the documentation lists them."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

#: Survey audiences with a taxonomy (``Survey.audience``).
AUDIENCES = ("customers", "employees")
#: Languages with a lexicon.
LANGUAGES = ("en", "it")


@dataclass(frozen=True, slots=True)
class Theme:
    """One theme: its stored key and its name as shown."""

    key: str
    label: str


_TAXONOMY = {
    "customers": (
        ("delivery", _l("Delivery")),
        ("price", _l("Price")),
        ("billing", _l("Billing and refunds")),
        ("support", _l("Support responsiveness")),
        ("staff", _l("Staff attitude")),
        ("quality", _l("Product quality")),
        ("usability", _l("Ease of use and app")),
        ("communication", _l("Communication")),
        ("availability", _l("Stock and availability")),
    ),
    "employees": (
        ("workload", _l("Workload")),
        ("manager", _l("Manager")),
        ("pay", _l("Pay and benefits")),
        ("growth", _l("Growth")),
        ("recognition", _l("Recognition")),
        ("tools", _l("Tools")),
        ("team", _l("Team")),
        ("communication", _l("Communication")),
        ("balance", _l("Work–life balance")),
    ),
}


def themes_of(audience: str) -> tuple[str, ...]:
    """The built-in theme keys of *audience*, in documented order.

    :raises KeyError: not an audience.
    """
    return tuple(key for key, _label in _TAXONOMY[audience])


def taxonomy(audience: str) -> list[Theme]:
    """The built-in themes of *audience* with their names in the current language."""
    return [Theme(key, str(label)) for key, label in _TAXONOMY[audience]]

