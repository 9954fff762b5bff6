"""Matching normalised tokens against theme terms: exact words, stems (``consegn*``), phrases."""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable

#: A word: letters and digits; apostrophes split elisions ("dell'ordine" → "dell", "ordine").
_WORD = re.compile(r"[a-z0-9]+")
#: Accents and other combining marks, once letters are decomposed.
_COMBINING = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_NONE: frozenset[str] = frozenset()
#: A word of a term, with the ``*`` that makes it a stem.
_TERM_WORD = re.compile(r"[a-z0-9]+\*?")
#: Shortest prefix a ``stem*`` term may have (shorter ones match too much).
MIN_STEM = 3


def normalise(text: str) -> str:
    """Lower case without accents: "Perché È così?" → "perche e cosi?"."""
    folded = text.casefold()
    if folded.isascii():
        return folded
    return _COMBINING.sub("", unicodedata.normalize("NFKD", folded))


def tokens(text: str) -> list[str]:
    """The words of *text*, normalised; elided articles become words of their own."""
    return _WORD.findall(normalise(text))


class Matcher:
    """Theme terms of one language and audience, compiled for matching token lists.

    A term is one or more words; a word ending in ``*`` matches every word it begins
    ("spedi*" → spedizione, spedito, spedizioni). Matching looks each token up once as a word
    and once per possible stem length, then extends the phrases that start there, so the cost
    grows with the comment's length, not with the size of the lexicon.
    """

    def __init__(self, terms: Iterable[tuple[str, str]]) -> None:
        #: Single words and stems → themes.
        self._words: dict[str, set[str]] = defaultdict(set)
        self._stems: dict[str, set[str]] = defaultdict(set)
        #: First key → ``(keys, theme)`` of the phrases starting with it.
        self._phrases: dict[str, list[tuple[tuple[str, ...], str]]] = defaultdict(list)
        #: Every word and stem any phrase uses, so tokens are resolved against them too.
        self._vocabulary: set[str] = set()
        self._stem_lengths: list[int] = []
        #: The first :data:`MIN_STEM` letters of every stem: most tokens start with none of
        #: them and skip the stem look-ups.
        self._heads: set[str] = set()
        for theme, term in terms:
            self.add(theme, term)

    def add(self, theme: str, term: str) -> None:
        """Add *term* (already in the lexicon's notation) for *theme*.

        :raises ValueError: the term has no word, or a stem shorter than :data:`MIN_STEM`.
        """
        keys = tuple(_TERM_WORD.findall(normalise(term)))
        if not keys:
            raise ValueError(f"not a term: {term!r}")
        for key in keys:
            if key.endswith("*"):
                if len(key) - 1 < MIN_STEM:
                    raise ValueError(f"stem too short: {term!r}")
                if len(key) - 1 not in self._stem_lengths:
                    self._stem_lengths = sorted({*self._stem_lengths, len(key) - 1})
                self._heads.add(key[:MIN_STEM])
            self._vocabulary.add(key)
        if len(keys) == 1:
            key = keys[0]
            (self._stems[key[:-1]] if key.endswith("*") else self._words[key]).add(theme)
        else:
            self._phrases[keys[0]].append((keys, theme))

    def keys_of(self, token: str) -> list[str]:
        """The lexicon keys a token matches: itself, and each ``stem*`` it starts with."""
        keys = [token] if token in self._vocabulary else []
        if token[:MIN_STEM] not in self._heads:
            return keys
        for length in self._stem_lengths:
            if length > len(token):
                break
            if (stem := token[:length] + "*") in self._vocabulary:
                keys.append(stem)
        return keys

    def themes(self, text: str) -> set[str]:
        """The themes *text* mentions (an empty set for none)."""
        words = tokens(text)
        keys = [self.keys_of(word) for word in words]
        found: set[str] = set()
        for index, word in enumerate(words):
            found |= self._words.get(word, _NONE)
            for key in keys[index]:
                if key.endswith("*"):
                    found |= self._stems.get(key[:-1], _NONE)
                for phrase, theme in self._phrases.get(key, ()):
                    if theme not in found and _follows(phrase, keys, index):
                        found.add(theme)
        return found


def _follows(phrase: tuple[str, ...], keys: list[list[str]], start: int) -> bool:
    """Whether the tokens from *start* on match every key of *phrase*."""
    if start + len(phrase) > len(keys):
        return False
    return all(key in keys[start + offset] for offset, key in enumerate(phrase))
