"""Benchmark the dashboard's key phrases: the stemmer choice and the cost of one sample.

Run: ``python bench/key_phrases.py [--seconds 2]``.  Prints microseconds per word for the two
Snowball implementations (PyStemmer, C, which Polso uses; snowballstemmer, pure Python, when
installed), then the time to find the key phrases of a dashboard's sample
(``POLSO_DASHBOARD_WORDS_SAMPLE`` = 500 comments per side) built from the labelled comments in
``tests/data/sentiment/``, and the phrases found, per language.
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import random
import time
from pathlib import Path

import Stemmer

from survey_app.core.sentiment.evaluation import read_labelled
from survey_app.dashboards.phrases import key_phrases

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "sentiment"
SAMPLE = 500


def per_call(fn, items: list, seconds: float) -> float:
    """CPU microseconds per item of *fn* over *items* (waiting for a core not counted)."""
    done, start = 0, time.process_time()
    while (elapsed := time.process_time() - start) < seconds:
        for item in items:
            fn(item)
        done += len(items)
    return elapsed / done * 1e6


def comments() -> list[tuple[str, str]]:
    """Every labelled comment with its language, survey comments first."""
    rows = []
    for lang in ("en", "it"):
        for path in sorted(DATA.glob(f"{lang}_*.tsv")):
            rows += [(text, lang) for _, text in read_labelled(path)]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0)
    args = parser.parse_args()
    corpus = comments()
    words = {lang: " ".join(t for t, code in corpus if code == lang).lower().split()
             for lang in ("en", "it")}

    print("| stemmer | lang | µs per word |\n|---|---|---|")
    for lang, name in (("en", "english"), ("it", "italian")):
        stem = Stemmer.Stemmer(name).stemWord
        print(f"| PyStemmer 3.1 (C) | {lang} | {per_call(stem, words[lang], args.seconds):.2f} |")
        if importlib.util.find_spec("snowballstemmer"):
            # Its pure-Python stemmers, not the PyStemmer it would hand back when installed.
            module = importlib.import_module(f"snowballstemmer.{name}_stemmer")
            pure = getattr(module, f"{name.capitalize()}Stemmer")().stemWord
            rate = per_call(pure, words[lang][:2000], args.seconds)
            print(f"| snowballstemmer (pure Python) | {lang} | {rate:.2f} |")

    random.Random(0).shuffle(corpus)  # the same mix of languages and sets on every run
    sample = list(itertools.islice(itertools.cycle(corpus), SAMPLE))
    cost = per_call(lambda batch: key_phrases(batch), [sample], args.seconds) / 1000
    print(f"\nKey phrases of {SAMPLE} comments ({len(corpus)} distinct, EN and IT): "
          f"{cost:.1f} ms ({SAMPLE / cost * 1000:,.0f} comments/s); a dashboard reads two.\n")
    for group in key_phrases(sample):
        found = ", ".join(f"{p.text} {p.comments}" for p in group.phrases)
        print(f"{group.lang} ({group.comments} comments): {found}")


if __name__ == "__main__":
    main()
