"""Comment themes: the taxonomy per audience and the offline tagger (see docs/themes.md)."""

from __future__ import annotations

from .matcher import Matcher, normalise, tokens
from .taxonomy import AUDIENCES, LANGUAGES, Theme, label_of, taxonomy, themes_of
from .tagger import Extra, get_matcher, tag

__all__ = [
    "AUDIENCES",
    "LANGUAGES",
    "Extra",
    "Matcher",
    "Theme",
    "get_matcher",
    "label_of",
    "normalise",
    "tag",
    "taxonomy",
    "themes_of",
    "tokens",
]
