"""Agreement of an analyzer with labelled comments: the figures bench/ and tests report."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

LABELS = ("negative", "neutral", "positive")


#: Flags a labelled line may carry in its optional third column.
FLAGS = frozenset({"sarcasm"})


def read_labelled(path: str | Path, *, flag: str | None = None) -> list[tuple[float, str]]:
    """Read ``label<TAB>text[<TAB>flags]`` lines (the format of ``tests/data/sentiment/*.tsv``).

    :param flag: keep only the lines carrying this flag (e.g. ``"sarcasm"``).
    """
    rows = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.strip():
            label, text, *flags = line.split("\t")
            if flag is None or flag in ",".join(flags).split(","):
                rows.append((float(label), text))
    return rows


def part_of(text: str) -> str:
    """The fixed part (``"dev"`` or ``"test"``) a labelled text belongs to: SHA-256 parity.

    A stable hash, so adding texts later never moves an existing one between the parts.
    """
    return "dev" if hashlib.sha256(text.encode("utf-8")).digest()[0] % 2 == 0 else "test"


def gold_class(value: float) -> str:
    """Class of a human label: negative ≤ -0.25, neutral 0, positive ≥ 0.25."""
    return "negative" if value < 0 else "positive" if value > 0 else "neutral"


def pearson(xs: Sequence[float], ys: Sequence[float]) -> float:
    """Pearson correlation; 0.0 when either side is constant."""
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    return sxy / math.sqrt(sxx * syy) if sxx and syy else 0.0


@dataclass(frozen=True, slots=True)
class Agreement:
    """How well predicted polarities and labels agree with the human ones."""

    n: int
    pearson: float
    accuracy: float
    macro_f1: float
    negative_recall: float


def agreement(
    gold: Sequence[float], polarities: Sequence[float], labels: Iterable[str]
) -> Agreement:
    """Compare predictions with human labels (``labels`` are the predicted classes)."""
    truth = [gold_class(g) for g in gold]
    pred = list(labels)
    f1s = []
    for c in LABELS:
        tp = sum(t == p == c for t, p in zip(truth, pred, strict=True))
        fp = sum(p == c != t for t, p in zip(truth, pred, strict=True))
        fn = sum(t == c != p for t, p in zip(truth, pred, strict=True))
        f1s.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    negatives = truth.count("negative")
    found = sum(t == p == "negative" for t, p in zip(truth, pred, strict=True))
    return Agreement(
        n=len(truth),
        pearson=pearson(gold, polarities),
        accuracy=sum(t == p for t, p in zip(truth, pred, strict=True)) / len(truth),
        macro_f1=sum(f1s) / len(LABELS),
        negative_recall=found / negatives if negatives else 1.0,
    )


def evaluate(
    rows: Sequence[tuple[float, str]], score: Callable[[str], tuple[float, str]]
) -> Agreement:
    """Score every ``(label, text)`` row with *score* (text → polarity, label) and compare."""
    results = [score(text) for _, text in rows]
    return agreement([g for g, _ in rows], [p for p, _ in results], [lab for _, lab in results])
