"""English analyzer: TextBlob's lexicon as the base, VADER's beside it, ours on top."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from xml.etree import ElementTree

from .engine import SENT, Analyzer, Lexicon, Rules
from .lexicon import load

#: Words, numbers (``10/10``) and contractions (``didn't``) stay one token.
WORD = r"\d+(?:[/.,]\d+)?|[^\W\d_]+(?:'[^\W\d_]+)*"

#: Smallest |polarity| a TextBlob entry needs to count; below it the word is mostly descriptive.
TEXTBLOB_MIN = 0.1

RULES = Rules()


def _package_file(package: str, *parts: str) -> Path:
    """Path of a data file shipped inside *package*, found without importing the package."""
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        raise RuntimeError(f"{package} is not installed")
    return Path(spec.origin).parent.joinpath(*parts)


def textblob_lexicon() -> dict[str, float]:
    """TextBlob's (pattern's) word polarities, averaged over senses as TextBlob does.

    Read from the XML file directly: importing ``textblob`` would import NLTK (~250 ms).
    """
    senses: dict[str, list[float]] = {}
    root = ElementTree.parse(_package_file("textblob", "en", "en-sentiment.xml")).getroot()
    for word in root.iter("word"):
        form = word.get("form", "").lower()
        if form and " " not in form:
            senses.setdefault(form, []).append(float(word.get("polarity", 0.0)))
    return {w: sum(p) / len(p) for w, p in senses.items()}


def vader_lexicon() -> dict[str, float]:
    """VADER's word valences rescaled from -4..4 to -1..1."""
    path = _package_file("vaderSentiment", "vader_lexicon.txt")
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        fields = line.split("\t")
        if len(fields) >= 2 and " " not in fields[0]:
            out[fields[0].lower()] = float(fields[1]) / 4
    return out


def build() -> Analyzer:
    """Build the English analyzer (about 60 ms, once per process)."""
    analyzer = Analyzer("polso-en", Lexicon(), RULES, WORD)
    lexicon = analyzer.lexicon
    for word, valence in vader_lexicon().items():
        lexicon.add((word,), SENT, valence)
    for word, polarity in textblob_lexicon().items():
        if abs(polarity) >= TEXTBLOB_MIN:
            lexicon.add((word,), SENT, polarity)
    load(lexicon, "emoji.tsv", analyzer.lower_tokens)
    load(lexicon, "en_lexicon.tsv", analyzer.lower_tokens)
    return analyzer
