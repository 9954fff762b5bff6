"""Key phrases of a bounded sample of comments, per language: stop words out, stems, bigrams."""

from __future__ import annotations

import re
import threading
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

import Stemmer

#: Languages with stop words and a stemmer; a comment in another language is assigned to the
#: one whose stop words it uses most (:func:`language_of`).
LANGUAGES = {"en": "english", "it": "italian"}

#: Words of a comment read at most: a pasted essay costs no more than a long comment.
MAX_WORDS = 300

#: Longer "words" are pasted links, codes or key mashing, not phrases.
MAX_WORD_LENGTH = 30

#: Letters with English contractions kept together ("don't"); an Italian elision splits
#: ("dell'assistenza" → "dell", "assistenza"), the article being a stop word.
_WORD = {"en": re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*"), "it": re.compile(r"[^\W\d_]+")}

#: What ends a phrase: sentence and clause punctuation, brackets, quotes, line breaks.
_BREAK = re.compile(r"[.!?;:,()\[\]{}\"“”«»\n\r\t/|–—-]+")

#: Stop words allowed inside a two-word phrase ("tempi di consegna", "waste of money").
CONNECTORS = {
    "en": frozenset({"of"}),
    "it": frozenset("di del della dello dei degli delle dell da dal dalla dallo dai dagli "
                    "dalle dall".split()),
}


#: Connectors that were elided before a vowel ("dall'alto"): written back with the apostrophe.
_ELIDED = frozenset({"dell", "dall"})


def _joined(connector: str, token: str) -> str:
    return f"{connector}'{token}" if connector in _ELIDED else f"{connector} {token}"


@dataclass(frozen=True, slots=True)
class KeyPhrase:
    """A word or two-word phrase and in how many comments it occurs."""

    #: The form people wrote most often for this stem (or pair of stems).
    text: str
    comments: int


@dataclass(slots=True)
class LanguagePhrases:
    """The key phrases of the comments in one language."""

    lang: str
    #: Comments of the sample in this language (the anonymity rule counts them).
    comments: int = 0
    phrases: list[KeyPhrase] = field(default_factory=list)


@cache
def stop_words(lang: str) -> frozenset[str]:
    """The stop words of *lang* from ``data/stop_words_<lang>.txt``, read once per process."""
    text = resources.files(__package__).joinpath("data", f"stop_words_{lang}.txt").read_text(
        encoding="utf-8")
    return frozenset(w.strip() for w in text.splitlines()
                     if w.strip() and not w.startswith("#"))


_local = threading.local()


def _stemmer(lang: str) -> Stemmer.Stemmer:
    """PyStemmer's Snowball stemmer for *lang*, one per thread (a stemmer is not thread-safe)."""
    stemmers = getattr(_local, "stemmers", None)
    if stemmers is None:
        stemmers = _local.stemmers = {}
    if lang not in stemmers:
        stemmers[lang] = Stemmer.Stemmer(LANGUAGES[lang])
    return stemmers[lang]


def language_of(text: str, locale: str | None) -> str:
    """The response's language when it is English or Italian, else the one whose stop words
    the text uses most (English on a tie)."""
    lang = (locale or "").strip().lower().replace("-", "_").split("_")[0]
    if lang in LANGUAGES:
        return lang
    words = _WORD["it"].findall(text.lower())[:MAX_WORDS]
    hits = {code: sum(w in stop_words(code) for w in words) for code in LANGUAGES}
    return max(LANGUAGES, key=lambda code: (hits[code], code == "en"))


def _candidates(text: str, lang: str) -> tuple[dict, dict]:
    """Words and two-word phrases of one comment: ``{key: surface}`` each.

    A word is a key when it is not a stop word and has 2 to 30 letters; a phrase is two different
    such words next to each other, or with one connector between them, within a clause.
    Keys are stems, so "consegna" and "consegne" count together.
    """
    stops, connectors, stem = stop_words(lang), CONNECTORS[lang], _stemmer(lang).stemWords
    words: dict[tuple[str, ...], str] = {}
    pairs: dict[tuple[str, ...], tuple[str, tuple[str, ...]]] = {}
    budget = MAX_WORDS
    for clause in _BREAK.split(text.lower()):
        tokens = [t.removesuffix("'s") for t in
                  _WORD[lang].findall(clause.replace("\u2019", "'"))[:budget]]
        budget -= len(tokens)
        content = [t not in stops and 2 <= len(t) <= MAX_WORD_LENGTH for t in tokens]
        stems = iter(stem([t for t, c in zip(tokens, content, strict=True) if c]))
        previous: tuple[str, str] | None = None  # (stem, surface) of the last content word
        connector = ""
        for token, is_content in zip(tokens, content, strict=True):
            if not is_content:
                if previous and not connector and token in connectors:
                    connector = token
                else:
                    previous, connector = None, ""
                continue
            key = next(stems)
            words.setdefault((key,), token)
            if previous and previous[0] != key:  # "app app" is no phrase
                surface = (f"{previous[1]} {_joined(connector, token)}" if connector
                           else f"{previous[1]} {token}")
                pairs.setdefault((previous[0], key), (surface, ((previous[0],), (key,))))
            previous, connector = (key, token), ""
        if budget <= 0:
            break
    return words, pairs


def key_phrases(comments: Iterable[tuple[str, str | None]], *, limit: int = 10,
                min_comments: int = 2) -> list[LanguagePhrases]:
    """The ``limit`` key phrases per language of ``(comment, locale)`` pairs, most used first.

    Each comment counts a phrase once.  Phrases in fewer than ``min_comments`` comments are
    left out (a phrase one person wrote says little and could point at them).  A two-word
    phrase that qualifies takes the place of its words where it occurs: "customer service" in
    five comments and "service" alone in one gives "customer service 5", not "service 6".
    Languages come in order of their number of comments.
    """
    per_lang: dict[str, list[tuple[dict, dict]]] = defaultdict(list)
    for text, locale in comments:
        lang = language_of(text, locale)
        per_lang[lang].append(_candidates(text, lang))
    result = [LanguagePhrases(lang, len(found), _rank(found, limit, min_comments))
              for lang, found in per_lang.items()]
    return sorted(result, key=lambda group: (-group.comments, group.lang))


def _rank(found: list[tuple[dict, dict]], limit: int, min_comments: int) -> list[KeyPhrase]:
    pair_counts = Counter(key for _, pairs in found for key in pairs)
    kept = {key for key, n in pair_counts.items() if n >= min_comments}
    seen: Counter[tuple[tuple[str, ...], str]] = Counter()  # (key, surface) → comments
    for words, pairs in found:
        covered = set()
        for key, (surface, parts) in pairs.items():
            if key in kept:
                seen[key, surface] += 1
                covered.update(parts)
        seen.update((key, surface) for key, surface in words.items() if key not in covered)
    counts: Counter[tuple[str, ...]] = Counter()
    best: dict[tuple[str, ...], tuple[int, str]] = {}  # the most written surface of a key
    for (key, surface), n in seen.items():
        counts[key] += n
        if key not in best or (-n, surface) < (-best[key][0], best[key][1]):
            best[key] = (n, surface)
    ranked = sorted(((best[key][1], n, len(key)) for key, n in counts.items()
                     if n >= min_comments), key=lambda item: (-item[1], -item[2], item[0]))
    return [KeyPhrase(text, n) for text, n, _ in ranked[:limit]]
