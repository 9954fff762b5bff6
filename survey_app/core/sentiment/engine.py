"""Lexicon-and-rules scoring shared by every language (see docs/sentiment.md)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

# Kinds of lexicon entries.  A term is one token or a phrase of up to four tokens.
SENT = 0  #: carries a valence (-1..1)
NEG = 1  #: negator: flips the valence of the next content words ("not", "non", "mai")
STRONG = 2  #: negation strengthener ("at all", "per niente"): a full flip, or a negator alone
BOOST = 3  #: intensifier (>1) or diminisher (<1) of the next valence ("very", "un po'")
BUT = 4  #: contrast: what follows weighs more ("but", "ma", "però", "tuttavia")
YET = 5  #: concession: what follows, to the end of the sentence, weighs less ("although")
SKIP = 6  #: function word: does not use up the scope of a negator or an intensifier
AGAIN = 7  #: repetition marker ("still", "again"); value 1 when it also makes praise ironic
EMOJI = 8  #: emoji or emoticon: a valence that negation does not flip
EVENT = 9  #: service event that only counts when it did not happen ("nobody answered")
AFTER = 10  #: intensifier written after its word ("slow af"): multiplies the previous valence
IRONY = 11  #: irony marker ("🙃"): praise in the text is meant the other way round

KINDS = {
    "sent": SENT,
    "neg": NEG,
    "strong": STRONG,
    "boost": BOOST,
    "but": BUT,
    "yet": YET,
    "skip": SKIP,
    "again": AGAIN,
    "emoji": EMOJI,
    "event": EVENT,
    "after": AFTER,
    "irony": IRONY,
}

#: Three or more of the same letter ("sooo", "yesss", "pleeease"): written emphasis.
ELONGATED = re.compile(r"([^\W\d_])\1{2,}")

#: Tokens: emoticons, emoji (with modifiers), words, and the punctuation that shapes clauses.
EMOTICON = r"(?:[:;=8][\-o']?[()\[\]dDpP/\\|*]+|<3+|\^\^|\^_\^)(?!\w)"
_EMOJI_BASE = r"[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B50\u2B55]"
EMOJI_CHARS = rf"{_EMOJI_BASE}(?:[\uFE0F\U0001F3FB-\U0001F3FF]|\u200D{_EMOJI_BASE})*"
PUNCT = r"[!?.;,:]"


@dataclass(frozen=True, slots=True)
class Rules:
    """The numeric weights of the rules; one instance per language."""

    #: Multiplier of a negated valence ("not good" ≈ -0.75 × good).
    negation: float = -0.75
    #: Multiplier of a valence negated with a strengthener ("not helpful at all").
    strong_negation: float = -1.1
    #: Content words after a negator that it still reaches.
    negation_scope: int = 3
    #: Weight of what comes before a contrast word, and of what follows it.
    before_but: float = 0.5
    after_but: float = 1.5
    #: Weight of a concession clause ("although …", "anche se …").
    concession: float = 0.5
    #: Multiplier for a word written in capitals (3+ letters) in mixed-case text, or with a
    #: letter repeated ("goood", "bellooo").
    caps: float = 1.3
    #: Added to the magnitude per exclamation mark (at most 4).
    exclamation: float = 0.08
    #: Multipliers of negative and of positive valences when a repetition marker is present
    #: alongside a complaint ("Great, another broken charger": the praise is ironic).
    again: float = 1.3
    again_positive: float = 0.5
    #: Multiplier of positive valences in a question ("is it possible to …?" is no praise).
    question: float = 0.25
    #: Multiplier of praise meant ironically: after an irony marker ("love it 🙃"), or a
    #: one-word praise sentence closing a complaint ("On hold for an hour. Fantastic.").
    irony: float = -0.75
    #: Smallest valence of a one-word praise sentence read as irony (so "Thanks." is not).
    irony_min: float = 0.5
    #: How negative the rest of the text must be for that praise to be read as irony.
    irony_complaint: float = -0.3
    #: Normalisation: polarity = s / sqrt(s² + alpha).
    alpha: float = 1.0


@dataclass(slots=True)
class Lexicon:
    """Single tokens and phrases mapped to ``(kind, value)``."""

    words: dict[str, tuple[int, float]] = field(default_factory=dict)
    #: First token → phrases starting with it, longest first, as ``(tokens, kind, value)``.
    phrases: dict[str, list[tuple[tuple[str, ...], int, float]]] = field(default_factory=dict)

    def has(self, parts: tuple[str, ...]) -> bool:
        """Whether the term made of the tokens *parts* is present."""
        if len(parts) == 1:
            return parts[0] in self.words
        return any(p[0] == parts for p in self.phrases.get(parts[0], ()))

    def add(self, parts: tuple[str, ...], kind: int, value: float) -> None:
        """Add or replace the term made of the tokens *parts*."""
        if not parts:
            return
        if len(parts) == 1:
            self.words[parts[0]] = (kind, value)
            return
        entries = [p for p in self.phrases.get(parts[0], []) if p[0] != parts]
        entries.append((parts, kind, value))
        entries.sort(key=lambda p: -len(p[0]))
        self.phrases[parts[0]] = entries


class Analyzer:
    """Score texts of one language with a :class:`Lexicon` and :class:`Rules`."""

    def __init__(
        self,
        name: str,
        lexicon: Lexicon,
        rules: Rules,
        word_pattern: str,
        fold: dict[int, str] | None = None,
    ) -> None:
        self.name = name
        self.lexicon = lexicon
        self.rules = rules
        self._token_re = re.compile(f"{EMOTICON}|{EMOJI_CHARS}|{word_pattern}|{PUNCT}")
        #: ``str.translate`` table applied to lower-cased tokens (e.g. accents off in Italian).
        self._fold = fold or {}

    def tokens(self, text: str) -> list[str]:
        """Split *text* into the tokens the rules look at (original case kept)."""
        return self._token_re.findall(text.replace("\u2019", "'").replace("`", "'"))

    def lower_tokens(self, text: str) -> list[str]:
        """The tokens of *text* as the lexicon stores them: lower-cased and folded."""
        return self._lower(self.tokens(text))

    def _lower(self, toks: list[str]) -> list[str]:
        return "\x00".join(toks).lower().translate(self._fold).split("\x00") if toks else []

    def units(self, text: str) -> list[tuple[int, float, bool, str]]:
        """Return ``(kind, value, emphasised, token)`` per token or matched phrase.

        *emphasised*: written in capitals in mixed-case text, or elongated ("goood").
        """
        toks = self.tokens(text)
        lower = self._lower(toks)
        # Capitals are emphasis only when the writer also uses lower case.
        mixed_case = any(not t.isupper() for t in toks if t.isalpha())
        elongated = ELONGATED.search(text) is not None  # one search, not one per token
        words, phrases = self.lexicon.words, self.lexicon.phrases
        out: list[tuple[int, float, bool, str]] = []
        i, n = 0, len(toks)
        while i < n:
            tok = lower[i]
            following = lower[i + 1] if i + 1 < n else None
            for parts, kind, value in phrases.get(tok, ()):
                # The second word first: most candidates fail there, without a slice.
                if parts[1] == following and tuple(lower[i : i + len(parts)]) == parts:
                    out.append((kind, value, False, " ".join(parts)))
                    i += len(parts)
                    break
            else:
                kind, value = words.get(tok, (-1, 0.0))
                caps = mixed_case and len(tok) > 2 and toks[i].isupper()
                if elongated and kind < 0 and len(tok) > 2 and ELONGATED.search(tok):
                    tok, kind, value = self._unelongated(tok)
                    caps = kind >= 0
                out.append((kind, value, caps, tok))
                i += 1
        return out

    def _unelongated(self, tok: str) -> tuple[str, int, float]:
        """Look ``goood`` up as ``good``, ``sooo`` as ``so``: runs cut to two letters, then one."""
        for repeat in (r"\1\1", r"\1"):
            short = ELONGATED.sub(repeat, tok)
            if short in self.lexicon.words:
                return (short, *self.lexicon.words[short])
        return tok, -1, 0.0

    def polarity(self, text: str) -> float:
        """Return the polarity of *text* in -1..1."""
        r = self.rules
        items: list[list[float]] = []  # [valence, weight]
        neg_left = 0  # content words the current negator still reaches
        dangling = 0.0  # valence of a negator that found nothing to flip ("nobody …")
        strong = False
        boost, boost_left = 1.0, 0
        after_but = 1.0
        conceding = False
        exclamations = 0
        repeated = ironic = False
        negated_last = False
        sentence_start = 0
        irony = False
        units = self.units(text)
        sentence_unit = 0  # index of the current sentence's first unit
        lone_praise: list[float] | None = None  # the item of a closing one-word praise sentence
        for index, (kind, value, caps, tok) in enumerate(units):
            if kind == SENT or kind == EMOJI:
                v = value * boost
                if caps:
                    v *= r.caps
                negated_last = kind == SENT and neg_left > 0
                if negated_last:
                    # One negator flips one opinion: "non ha risolto il problema".
                    v *= r.strong_negation if strong else r.negation
                    dangling, neg_left = 0.0, 0
                items.append([v, after_but * (r.concession if conceding else 1.0)])
                boost, boost_left = 1.0, 0
                lone_praise = items[-1] if (v >= r.irony_min and index == sentence_unit
                                            and " " not in tok) else None
                continue
            if kind == AFTER:
                if items:
                    items[-1][0] *= value
                continue
            if kind == IRONY:
                irony = True
                items.append([value, 1.0])
                continue
            if kind == EVENT and neg_left:
                v = value * r.strong_negation / r.negation if strong else value
                items.append([v, after_but])
                dangling, negated_last, neg_left = 0.0, True, 0
                continue
            if kind == NEG:
                if not neg_left:
                    strong = False
                neg_left = r.negation_scope
                dangling = min(dangling, value)
                continue
            if kind == STRONG:
                if negated_last and items:
                    # "not helpful at all": strengthen the flip already applied.
                    items[-1][0] *= r.strong_negation / r.negation
                    negated_last = False
                else:
                    # "per niente" alone negates what follows; finding nothing, it means "in vain".
                    neg_left, strong = r.negation_scope, True
                    dangling = min(dangling, value)
                continue
            if kind == BOOST:
                boost, boost_left = boost * value, 2
                continue
            if kind == SKIP:
                continue
            if kind == AGAIN:
                repeated = True
                ironic = ironic or value > 0
                continue
            # Anything else ends or shortens the reach of negators and intensifiers.
            if kind == BUT:
                for item in items:
                    item[1] *= r.before_but
                after_but, conceding, neg_left = r.after_but, False, 0
            elif kind == YET:
                conceding, neg_left = True, 0
            elif tok in ".!?;":
                exclamations += tok == "!"
                if tok == "?":
                    for item in items[sentence_start:]:
                        if item[0] > 0:
                            item[0] *= r.question
                neg_left, conceding, boost_left = 0, False, 1
                sentence_start = len(items) + (1 if dangling else 0)
                if index - sentence_unit != 1 or tok == "!":  # "Fantastic." irony, "Bravi!" not
                    lone_praise = None
                sentence_unit = index + 1
            elif tok in ",:":
                neg_left, conceding = 0, False
            elif neg_left:
                neg_left -= 1
            negated_last = False
            if boost_left:
                boost_left -= 1
                if not boost_left:
                    boost = 1.0
            if dangling and not neg_left:
                items.append([dangling, after_but])
                dangling = 0.0
        if dangling:
            items.append([dangling, after_but])
        if len(units) - sentence_unit > 1:
            lone_praise = None
        if irony:
            for item in items:
                if item[0] > 0:
                    item[0] *= r.irony
        elif lone_praise is not None and sum(v for v, _ in items if v < 0) <= r.irony_complaint:
            lone_praise[0] *= r.irony
        s = 0.0
        if repeated and any(v < 0 for v, _ in items):
            praise = r.again_positive if ironic else 1.0
            for v, w in items:
                s += v * w * (r.again if v < 0 else praise)
        else:
            for v, w in items:
                s += v * w
        if s:
            s += math.copysign(min(exclamations, 4) * r.exclamation, s)
        return s / math.sqrt(s * s + r.alpha)
