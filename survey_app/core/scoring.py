"""Score categories for NPS, eNPS and CSAT — the one place the cut-offs live."""

from __future__ import annotations

from enum import StrEnum


class Category(StrEnum):
    PROMOTER = "promoter"
    PASSIVE = "passive"
    DETRACTOR = "detractor"
    SATISFIED = "satisfied"
    NEUTRAL = "neutral"
    DISSATISFIED = "dissatisfied"


#: Categories counted as "unhappy" — the ones that open a follow-up case.
UNHAPPY = frozenset({Category.DETRACTOR, Category.DISSATISFIED})


def categorise(kind: str, score: int) -> Category:
    """Category of ``score`` for a survey of ``kind``.

    NPS, eNPS and pulse (0–10): promoter 9–10, passive 7–8, detractor 0–6.
    CSAT (1–5): satisfied 4–5, neutral 3, dissatisfied 1–2.

    :raises ValueError: the score is outside the kind's scale.
    """
    if kind == "csat":
        if not 1 <= score <= 5:
            raise ValueError(f"CSAT scores run from 1 to 5, not {score}")
        if score >= 4:
            return Category.SATISFIED
        return Category.NEUTRAL if score == 3 else Category.DISSATISFIED
    if not 0 <= score <= 10:
        raise ValueError(f"scores run from 0 to 10, not {score}")
    if score >= 9:
        return Category.PROMOTER
    return Category.PASSIVE if score >= 7 else Category.DETRACTOR


def is_happy(category: str) -> bool:
    """Promoters, passives and satisfied or neutral CSAT answers."""
    return category not in UNHAPPY
