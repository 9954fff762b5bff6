"""Tagging a text: the built-in lexicon of its language and audience, plus a survey's terms."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources

from survey_app.core.sentiment import language_of

from .matcher import Matcher
from .taxonomy import AUDIENCES, LANGUAGES, themes_of

#: A survey's own terms: ``(theme, language, term)`` triples (see ``themes.models``).
Extra = tuple[tuple[str, str, str], ...]

_matchers: dict[tuple[str, str], Matcher] = {}
_lock = threading.Lock()


def read_lexicon(audience: str) -> list[tuple[str, str, str]]:
    """``(theme, language, term)`` rows of ``data/<audience>.tsv``; ``#`` starts a comment.

    :raises ValueError: a row is malformed or names an unknown theme or language.
    """
    name = f"{audience}.tsv"
    text = resources.files(__package__).joinpath("data", name).read_text(encoding="utf-8")
    known, rows = set(themes_of(audience)), []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = [f.strip() for f in line.split("\t")]
        if len(fields) != 3 or fields[0] not in known or fields[1] not in LANGUAGES:
            raise ValueError(f"{name}:{number}: expected theme, language, term: {line!r}")
        rows.append((fields[0], fields[1], fields[2]))
    return rows


def get_matcher(audience: str, lang: str) -> Matcher:
    """The built-in matcher of *audience* in *lang*, built on first use and kept.

    :raises KeyError: no such audience or language.
    """
    key = (audience, language_of(lang))
    matcher = _matchers.get(key)
    if matcher is None:
        if audience not in AUDIENCES or key[1] not in LANGUAGES:
            raise KeyError(key)
        with _lock:
            matcher = _matchers.get(key)
            if matcher is None:
                terms = [(t, term) for t, lg, term in read_lexicon(audience) if lg == key[1]]
                matcher = _matchers[key] = Matcher(terms)
    return matcher


@lru_cache(maxsize=256)
def _extra_matcher(extra: Extra, lang: str) -> Matcher:
    return Matcher((theme, term) for theme, lg, term in extra if lg == lang)


def tag(text: str | None, lang: str, audience: str, extra: Extra = ()) -> list[str]:
    """The theme keys *text* mentions, sorted; ``[]`` for empty text or an unknown language.

    :param extra: the survey's own terms, added to the built-in ones of *lang*.
    """
    code = language_of(lang)
    if not text or not text.strip() or code not in LANGUAGES or audience not in AUDIENCES:
        return []
    found = get_matcher(audience, code).themes(text)
    if extra:
        found |= _extra_matcher(extra, code).themes(text)
    return sorted(found)


def freeze(rows: Iterable[tuple[str, str, str]]) -> Extra:
    """A survey's terms as the hashable :data:`Extra` that :func:`tag` caches on."""
    return tuple(sorted(set(rows)))
