"""Read lexicon data files and expand Italian lemmas into their inflected forms."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from importlib import resources

from .engine import EVENT, KINDS, SENT, Lexicon

#: Kinds whose value is a valence (scaled for superlatives); others keep theirs.
VALENCED = (SENT, EVENT)

#: Valence multiplier of an absolute superlative ("lentissimo" = 1.5 × "lento").
SUPERLATIVE = 1.5


def read_tsv(name: str) -> Iterator[tuple[str, float, str, str]]:
    """Yield ``(term, value, kind, forms)`` from ``data/<name>``; ``#`` starts a comment line.

    Columns: term, value, kind, and optionally the inflection class (``adj``, ``noun``,
    ``verb``) whose forms the term stands for.
    """
    text = resources.files(__package__).joinpath("data", name).read_text(encoding="utf-8")
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) not in (3, 4) or fields[2] not in KINDS:
            raise ValueError(f"{name}:{number}: expected term, value, kind[, forms]: {line!r}")
        forms = fields[3] if len(fields) == 4 else ""
        if forms and forms not in INFLECTIONS:
            raise ValueError(f"{name}:{number}: unknown inflection class {forms!r}")
        yield fields[0].strip(), float(fields[1]), fields[2], forms


def load(lexicon: Lexicon, name: str, tokenize: Callable[[str], list[str]] = str.split) -> None:
    """Add every entry of ``data/<name>`` to *lexicon*; explicit forms win over inflected ones.

    Terms are split with *tokenize* (the analyzer's own tokenizer, lower-cased), so a phrase
    such as ``un po'`` matches the tokens the analyzer will see.
    """
    generated: dict[tuple[str, ...], tuple[int, float]] = {}
    for term, value, kind, forms in read_tsv(name):
        code = KINDS[kind]
        if forms:
            head, _, rest = term.partition(" ")  # a phrase inflects its first word
            for form, factor in INFLECTIONS[forms](head):
                form = f"{form} {rest}" if rest else form
                valence = max(-1.0, min(1.0, value * factor)) if code in VALENCED else value
                generated.setdefault(tuple(tokenize(form)), (code, valence))
        lexicon.add(tuple(tokenize(term)), code, value)
    for tokens, (code, value) in generated.items():
        if not lexicon.has(tokens):
            lexicon.add(tokens, code, value)


def _superlatives(stem: str) -> list[tuple[str, float]]:
    stems = [stem[:-1]] if stem.endswith("i") else [stem]
    if stem.endswith(("c", "g")):
        stems.append(stem + "h")  # stanchissimo, lunghissimo (simpaticissimo keeps "c")
    return [(s + "issim" + e, SUPERLATIVE) for s in stems for e in "oaie"]


def adjective_forms(lemma: str) -> list[tuple[str, float]]:
    """Inflected forms of an Italian adjective lemma with their valence factors.

    ``lento`` → lenta, lenti, lente, lentissimo …, lentamente; ``veloce`` → veloci,
    velocissima …, velocemente; ``gentile`` → gentilmente.
    """
    stem, last = lemma[:-1], lemma[-1:]
    if last == "o":
        forms = [stem + e for e in "oae"]
        forms += [stem] if stem.endswith("i") else [stem + "i"]
        if stem.endswith(("c", "g")):
            forms += [stem + "hi", stem + "he"]
        adverb = stem + "amente"
    elif last == "e":
        forms = [lemma, stem + "i"]
        adverb = (stem if stem.endswith(("l", "r")) else lemma) + "mente"
    elif last == "a":
        forms = [lemma, stem + "i", stem + "e"]
        adverb = lemma + "mente"
    else:
        return [(lemma, 1.0)]
    return [(f, 1.0) for f in forms] + [(adverb, 1.0)] + _superlatives(stem)


def noun_forms(lemma: str) -> list[tuple[str, float]]:
    """Singular and plural of an Italian noun lemma (``ritardo`` → ritardi)."""
    stem, last = lemma[:-1], lemma[-1:]
    if last == "o":
        plural = [stem] if stem.endswith("i") else [stem + "i"]
        if stem.endswith(("c", "g")):
            plural.append(stem + "hi")
    elif last == "a":
        plural = [stem + "he"] if stem.endswith(("c", "g")) else [stem + "e"]
    elif last == "e":
        plural = [stem + "i"]
    else:
        plural = []
    return [(lemma, 1.0)] + [(p, 1.0) for p in plural]


_VERB_ENDINGS = {
    "are": "o i a iamo ate ano ava avano ato ata ati ate ando erà eranno erebbe ino avo",
    "ere": "o i e iamo ete ono eva evano uto uta uti ute endo erà eranno erebbe ano evo",
    "ire": "o i e iamo ite ono isce iscono isco iva ivano ito ita iti ite endo irà iranno",
}


def verb_forms(lemma: str) -> list[tuple[str, float]]:
    """Common forms of a regular Italian verb (``funzionare`` → funziona, funzionato …).

    Irregular participles (``risposto``) are listed in the data file as plain terms.
    """
    ending = lemma[-3:]
    if ending not in _VERB_ENDINGS:
        return [(lemma, 1.0)]
    stem = lemma[:-3]
    if ending == "are" and stem.endswith(("c", "g")):
        endings = [("h" + e if e[0] in "ie" else e) for e in _VERB_ENDINGS[ending].split()]
    else:
        endings = _VERB_ENDINGS[ending].split()
    return [(lemma, 1.0)] + [(stem + e, 1.0) for e in endings]


INFLECTIONS = {"adj": adjective_forms, "noun": noun_forms, "verb": verb_forms}
