"""Measure the theme tagger on the labelled comments: per-theme precision/recall, micro-F1, cost.

Run: ``python bench/themes.py [--split test|dev] [--seconds 2] [--stemmer]``. Prints, per
language, precision and recall of every theme and micro-F1 on the split (``test`` by default:
the lexicons are tuned on ``dev`` only), then CPU microseconds per comment (best pass) and the
time to build a language's matcher. ``--stemmer`` also runs a variant that matches the
lexicon's plain words on Snowball stems (needs ``pip install snowballstemmer``; not a
dependency of Polso, see docs/themes.md for why).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

from survey_app.core.themes import Matcher, get_matcher, tokens
from survey_app.core.themes.evaluation import Labelled, Scores, read_labelled, score
from survey_app.core.themes.tagger import _matchers, read_lexicon

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "themes"
LANGUAGES = {"en": "english", "it": "italian"}


def report(title: str, scores: Scores) -> None:
    print(f"  {title}: micro-F1 {scores.micro_f1:.3f} (precision {scores.precision:.3f}, "
          f"recall {scores.recall:.3f}; {scores.tp} found, {scores.fp} wrong, "
          f"{scores.fn} missed)")


def per_theme(scores: Scores) -> None:
    print(f"  {'audience':<10} {'theme':<14} {'prec.':>6} {'recall':>6} {'gold':>5}")
    for (audience, theme), (tp, fp, fn) in scores.per_theme.items():
        precision = f"{tp / (tp + fp):.2f}" if tp + fp else "–"
        recall = f"{tp / (tp + fn):.2f}" if tp + fn else "–"
        print(f"  {audience:<10} {theme:<14} {precision:>6} {recall:>6} {tp + fn:>5}")


def cost(rows: list[Labelled], tagger: Callable[[str, str], object], seconds: float) -> float:
    """Microseconds of CPU per comment: the best pass over the rows within about ``seconds``.

    CPU time of this process, not wall time, and the best pass: on a machine shared with
    other work, wall time measures the neighbours.
    """
    best, deadline = float("inf"), time.perf_counter() + seconds
    while time.perf_counter() < deadline or best == float("inf"):
        start = time.process_time()
        for row in rows:
            tagger(row.text, row.audience)
        best = min(best, time.process_time() - start)
    return best / len(rows) * 1e6


class StemMatcher(Matcher):
    """The lexicon with its plain words matched on Snowball stems (``*`` terms unchanged)."""

    def __init__(self, terms: list[tuple[str, str]], stem: Callable[[str], str]) -> None:
        self._stem = stem
        super().__init__((theme, " ".join(w if w.endswith("*") else stem(w)
                                          for w in term.split())) for theme, term in terms)

    def themes(self, text: str) -> set[str]:
        raw = tokens(text)
        stems = [self._stem(word) for word in raw]
        keys = [([s] if s in self._vocabulary else []) + self.keys_of(w)[1 if w in
                                                                           self._vocabulary
                                                                           else 0:]
                for w, s in zip(raw, stems, strict=True)]
        found: set[str] = set()
        for index, key_list in enumerate(keys):
            for key in key_list:
                found |= (self._stems.get(key[:-1], set()) if key.endswith("*")
                          else self._words.get(key, set()))
                for phrase, theme in self._phrases.get(key, ()):
                    if all(k in keys[index + i] for i, k in enumerate(phrase)
                           if index + i < len(keys)) and index + len(phrase) <= len(keys):
                        found.add(theme)
        return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--split", choices=("test", "dev"), default="test")
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--stemmer", action="store_true")
    args = parser.parse_args()
    for lang in LANGUAGES:
        rows = [r for r in read_labelled(DATA / f"{lang}.tsv") if r.split == args.split]
        _matchers.clear()
        start = time.perf_counter()
        for audience in ("customers", "employees"):
            get_matcher(audience, lang)
        built = (time.perf_counter() - start) * 1000

        def tagger(text: str, audience: str, lang: str = lang) -> set[str]:
            return get_matcher(audience, lang).themes(text)

        scores = score(rows, tagger)
        print(f"{lang}: {len(rows)} {args.split} comments, "
              f"{sum(len(r.themes) for r in rows)} theme mentions")
        report("Polso lexicon", scores)
        per_theme(scores)
        print(f"  cost: {cost(rows, tagger, args.seconds):.1f} µs of CPU per comment; "
              f"both audiences' matchers built in {built:.1f} ms")
        if args.stemmer:
            stemmed(lang, rows, args.seconds)


def stemmed(lang: str, rows: list[Labelled], seconds: float) -> None:
    import snowballstemmer

    stem = snowballstemmer.stemmer(LANGUAGES[lang]).stemWord
    matchers = {audience: StemMatcher([(t, term) for t, lg, term in read_lexicon(audience)
                                       if lg == lang], stem)
                for audience in ("customers", "employees")}

    def tagger(text: str, audience: str) -> set[str]:
        return matchers[audience].themes(text)

    report("lexicon + Snowball stems", score(rows, tagger))
    print(f"  cost with stems: {cost(rows, tagger, seconds):.1f} µs of CPU per comment")


if __name__ == "__main__":
    main()
