"""Benchmark the comment sentiment analyzers against TextBlob and VADER on the held-out test split.

Run: ``python bench/sentiment.py [--split test|dev] [--seconds 3]``.  Prints, per language and
labelled set (survey comments, informal social-media texts, one-line product reviews), Pearson
r, 3-class accuracy, macro-F1 and negative recall for TextBlob alone, VADER alone and Polso's
analyzer; comments per CPU second of one core; analyzer load time and memory (measured in a fresh
interpreter so nothing is cached).  VADER is English-only: it gets Italian text as it is, which
is what a team using it on Italian comments would get.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from functools import cache
from pathlib import Path

from survey_app.core.sentiment import analyze, label_for
from survey_app.core.sentiment.evaluation import Agreement, evaluate, read_labelled

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "sentiment"

#: Labelled sets: file prefix → name in the table (``<lang>_<prefix><split>.tsv``).
SETS = {"": "comments", "informal_": "informal", "reviews_": "reviews"}

LOAD_PROBE = """
import gc, json, os, sys, time, tracemalloc
import survey_app.core.sentiment as sentiment
def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
gc.collect()
before = rss()
start = time.perf_counter()
sentiment.get_analyzer(sys.argv[1])
seconds = time.perf_counter() - start
grown = rss() - before
sentiment._analyzers.clear()  # build once more under tracemalloc, for the heap figures
gc.collect()
tracemalloc.start()
sentiment.get_analyzer(sys.argv[1])
current, peak = tracemalloc.get_traced_memory()
tracemalloc.stop()
gc.collect()
print(json.dumps({"seconds": seconds, "heap": current, "peak": peak, "rss": grown}))
"""


def textblob_score(text: str) -> tuple[float, str]:
    """TextBlob alone, labelled with the same thresholds as ours."""
    from textblob import TextBlob

    polarity = float(TextBlob(text).sentiment.polarity)
    return polarity, label_for(polarity)


def vader_score(text: str) -> tuple[float, str]:
    """VADER alone (its compound score), labelled with the same thresholds as ours."""
    polarity = _vader().polarity_scores(text)["compound"]
    return polarity, label_for(polarity)


@cache
def _vader():
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def load_probe(lang: str) -> dict[str, float]:
    """Build the analyzer for *lang* in a fresh interpreter; time and memory it needs."""
    out = subprocess.run(
        [sys.executable, "-c", LOAD_PROBE, lang], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


def throughput(texts: list[str], score, seconds: float) -> float:
    """Comments scored per CPU second by *score* in this (single-threaded) process.

    CPU time, not wall time: on a shared machine the wall clock also counts the time the
    process waited for a core, which says nothing about the analyzer.
    """
    score(texts[0])  # build lexicons outside the timing
    done, start = 0, time.process_time()
    while (elapsed := time.process_time() - start) < seconds:
        for text in texts:
            score(text)
        done += len(texts)
    return done / elapsed


def row(lang: str, data: str, name: str, a: Agreement, rate: float) -> str:
    return (
        f"| {lang} | {data} | {name} | {a.n} | {a.pearson:.3f} | {a.accuracy:.1%} "
        f"| {a.macro_f1:.3f} | {a.negative_recall:.1%} | {rate:,.0f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="test", choices=("test", "dev"))
    parser.add_argument("--seconds", type=float, default=3.0, help="per throughput run")
    args = parser.parse_args()

    print(f"Sentiment on the {args.split} split (tests/data/sentiment/*_{args.split}.tsv)\n")
    print("| lang | set | analyzer | n | Pearson r | accuracy | macro-F1 | neg. recall "
          "| comments/s |")
    print("|---|---|---|---|---|---|---|---|---|")
    loads = {}
    for lang in ("en", "it"):

        def ours(text: str, lang: str = lang) -> tuple[float, str]:
            s = analyze(text, lang)
            return s.polarity or 0.0, s.label

        scorers = (("TextBlob alone", textblob_score), ("VADER alone", vader_score),
                   (f"polso-{lang}", ours))
        for prefix, data in SETS.items():
            rows = read_labelled(DATA / f"{lang}_{prefix}{args.split}.tsv")
            texts = [text for _, text in rows]
            for name, score in scorers:
                rate = throughput(texts, score, args.seconds)
                print(row(lang, data, name, evaluate(rows, score), rate))
        loads[lang] = load_probe(lang)
    print("\n| lang | load time | RSS growth | heap kept (tracemalloc) | peak during load |")
    print("|---|---|---|---|---|")
    for lang, m in loads.items():
        print(
            f"| {lang} | {m['seconds'] * 1000:.0f} ms | {m['rss'] / 2**20:.1f} MiB "
            f"| {m['heap'] / 2**20:.1f} MiB | {m['peak'] / 2**20:.1f} MiB |"
        )


if __name__ == "__main__":
    main()
