"""Italian analyzer: our own lexicon (data/it_lexicon.tsv) with inflection, and shared rules."""

from __future__ import annotations

import math

from .engine import Analyzer, Lexicon, Rules
from .lexicon import load

#: Elisions split into two tokens ("dell'assistenza" → dell, assistenza; "po'" → po).
WORD = r"\d+(?:[/.,]\d+)?|[^\W\d_]+"

#: Accents are dropped before lookup: comments often write "perche", "e'" or "piu".
FOLD = str.maketrans("àáâèéêìíîòóôùúû", "aaaeeeiiiooouuu")

#: The one-word ironic closing ("Fantastic.") is left to English: an Italian closing word such as
#: "Ottimo." after a problem is as often sincere (a problem solved well, rule 2 of the guidelines).
RULES = Rules(irony_min=math.inf)


def build() -> Analyzer:
    """Build the Italian analyzer (lexicon and inflected forms, about 30 ms once per process)."""
    analyzer = Analyzer("polso-it", Lexicon(), RULES, WORD, FOLD)
    load(analyzer.lexicon, "emoji.tsv", analyzer.lower_tokens)
    load(analyzer.lexicon, "it_lexicon.tsv", analyzer.lower_tokens)
    return analyzer
