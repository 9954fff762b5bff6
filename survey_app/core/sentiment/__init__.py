"""Comment sentiment: polarity and label per language (see docs/sentiment.md)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from .engine import Analyzer

#: Version of the analyzers; bump it whenever a rule, weight or lexicon changes, so stored
#: scores from an older analyzer can be told apart (and re-scored with ``polso sentiment rescore``).
ANALYZER_VERSION = 3

#: Label thresholds ``(negative, positive)``: negative if polarity <= the first, positive if
#: >= the second, neutral in between.  Chosen on the development data (docs/sentiment.md).
DEFAULT_THRESHOLDS: tuple[float, float] = (-0.05, 0.05)


@dataclass(frozen=True, slots=True)
class Sentiment:
    """The sentiment of one comment."""

    #: -1..1; ``None`` when ``label == "unknown"``.
    polarity: float | None
    #: ``"negative"``, ``"neutral"``, ``"positive"`` or ``"unknown"``.
    label: str
    #: Name and version of what scored it, e.g. ``"polso-en-2"``; ``"none"`` when unscored.
    analyzer: str


#: What empty text, or text in a language without an analyzer, gets.
UNKNOWN = Sentiment(None, "unknown", "none")


def _english() -> Analyzer:
    from . import english

    return english.build()


def _italian() -> Analyzer:
    from . import italian

    return italian.build()


_BUILDERS: dict[str, Callable[[], Analyzer]] = {"en": _english, "it": _italian}
_analyzers: dict[str, Analyzer] = {}
_lock = threading.Lock()


def languages() -> tuple[str, ...]:
    """Languages with an analyzer."""
    return tuple(_BUILDERS)


def language_of(lang: str | None) -> str:
    """The primary language subtag of a locale: ``"it_IT"``, ``"it-IT"``, ``"IT"`` → ``"it"``."""
    return (lang or "").strip().lower().replace("-", "_").split("_")[0]


def get_analyzer(lang: str) -> Analyzer | None:
    """The analyzer for *lang*, built on first use and kept for the process; ``None`` if none."""
    code = language_of(lang)
    analyzer = _analyzers.get(code)
    if analyzer is None and code in _BUILDERS:
        with _lock:
            analyzer = _analyzers.get(code)
            if analyzer is None:
                analyzer = _analyzers[code] = _BUILDERS[code]()
    return analyzer


def analyzer_name(lang: str) -> str:
    """What :func:`analyze` records as ``analyzer`` for non-empty text in *lang*."""
    code = language_of(lang)
    return f"polso-{code}-{ANALYZER_VERSION}" if code in _BUILDERS else "none"


def label_for(polarity: float, thresholds: tuple[float, float] | None = None) -> str:
    """Return the label of *polarity* under *thresholds* (default :data:`DEFAULT_THRESHOLDS`)."""
    negative, positive = thresholds or DEFAULT_THRESHOLDS
    if polarity <= negative:
        return "negative"
    if polarity >= positive:
        return "positive"
    return "neutral"


def analyze(
    text: str | None, lang: str, *, thresholds: tuple[float, float] | None = None
) -> Sentiment:
    """Score *text* written in *lang* (``"en"``, ``"it"``, ``"it_IT"`` …).

    Empty text, or a language without an analyzer, gives ``label="unknown"``, never a guess.

    :param thresholds: ``(negative, positive)`` label thresholds; default
        :data:`DEFAULT_THRESHOLDS`.
    """
    if text is None or not text.strip():
        return UNKNOWN
    analyzer = get_analyzer(lang)
    if analyzer is None:
        return UNKNOWN
    polarity = round(analyzer.polarity(text), 4)
    return Sentiment(polarity, label_for(polarity, thresholds), analyzer_name(lang))


__all__ = [
    "ANALYZER_VERSION",
    "DEFAULT_THRESHOLDS",
    "Sentiment",
    "analyze",
    "analyzer_name",
    "get_analyzer",
    "label_for",
    "languages",
]
