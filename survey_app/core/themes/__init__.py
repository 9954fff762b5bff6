"""Comment themes: the taxonomy per audience and the offline tagger (see docs/themes.md)."""

from __future__ import annotations

from .matcher import Matcher, normalise, tokens
from .tagger import Extra, get_matcher, tag
from .taxonomy import AUDIENCES, LANGUAGES, Theme, taxonomy, themes_of

__all__ = [
    "AUDIENCES",
    "LANGUAGES",
    "Extra",
    "Matcher",
    "Theme",
    "get_matcher",
    "normalise",
    "tag",
    "taxonomy",
    "themes_of",
    "tokens",
]
