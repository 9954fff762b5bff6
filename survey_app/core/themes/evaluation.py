"""Agreement of the tagger with labelled comments: per-theme precision/recall and micro-F1."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

#: The ``kind`` column of the labelled files → ``Survey.audience``.
AUDIENCE_OF = {"customer": "customers", "employee": "employees"}


@dataclass(frozen=True, slots=True)
class Labelled:
    """One labelled comment (a row of ``tests/data/themes/<lang>.tsv``)."""

    split: str
    audience: str
    themes: frozenset[str]
    text: str


def read_labelled(path: str | Path) -> list[Labelled]:
    """Read ``split<TAB>kind<TAB>themes<TAB>text`` rows; ``#`` starts a comment line."""
    rows = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        split, kind, themes, text = line.split("\t", 3)
        rows.append(Labelled(split, AUDIENCE_OF[kind],
                             frozenset(t for t in themes.split(",") if t), text))
    return rows


@dataclass(frozen=True, slots=True)
class Scores:
    """True positives, false positives and false negatives, overall and per theme."""

    per_theme: dict[tuple[str, str], tuple[int, int, int]]
    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def micro_f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def score(rows: Iterable[Labelled], tagger: Callable[[str, str], Iterable[str]]) -> Scores:
    """Compare ``tagger(text, audience)`` with each row's themes.

    Themes are counted per audience (``("customers", "communication")`` and
    ``("employees", "communication")`` are different themes).
    """
    tp: Counter[tuple[str, str]] = Counter()
    fp: Counter[tuple[str, str]] = Counter()
    fn: Counter[tuple[str, str]] = Counter()
    for row in rows:
        found = set(tagger(row.text, row.audience))
        for theme in found | row.themes:
            key = (row.audience, theme)
            if theme in found and theme in row.themes:
                tp[key] += 1
            elif theme in found:
                fp[key] += 1
            else:
                fn[key] += 1
    keys = sorted(set(tp) | set(fp) | set(fn))
    return Scores({k: (tp[k], fp[k], fn[k]) for k in keys},
                  sum(tp.values()), sum(fp.values()), sum(fn.values()))
