"""Comment sentiment: polarity and label per language (see docs/sentiment.md)."""

from __future__ import annotations

from dataclasses import dataclass

#: Version of the analyzers as a whole; bump when any scoring rule or lexicon changes.
ANALYZER_VERSION = 1

#: ``(negative_at_or_below, positive_at_or_above)`` polarity thresholds for the label.
DEFAULT_THRESHOLDS: tuple[float, float] = (-0.05, 0.05)


@dataclass(frozen=True, slots=True)
class Sentiment:
    """The sentiment of one comment."""

    #: -1..1; ``None`` when ``label == "unknown"``.
    polarity: float | None
    #: ``"negative"``, ``"neutral"``, ``"positive"`` or ``"unknown"``.
    label: str
    #: Name and version of what scored it, e.g. ``"polso-en-1"``; ``"none"`` when unscored.
    analyzer: str


UNKNOWN = Sentiment(None, "unknown", "none")


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

    Empty text or a language without an analyzer gives ``label="unknown"``.
    """
    if text is None or not text.strip():
        return UNKNOWN
    if (lang or "").lower().replace("-", "_").split("_")[0] != "en":
        return UNKNOWN
    from textblob import TextBlob

    polarity = max(-1.0, min(1.0, float(TextBlob(text).sentiment.polarity)))
    return Sentiment(polarity, label_for(polarity, thresholds), f"polso-en-{ANALYZER_VERSION}")


__all__ = ["ANALYZER_VERSION", "DEFAULT_THRESHOLDS", "Sentiment", "analyze", "label_for"]
