"""Sentiment on informal texts and one-line product reviews: rules, labelled sets, targets."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from survey_app.core.sentiment import analyze, label_for
from survey_app.core.sentiment.evaluation import (
    FLAGS,
    evaluate,
    gold_class,
    part_of,
    read_labelled,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "sentiment"

#: Labelled sets besides the survey comments: (language, set) → fewest texts.
SETS = {("en", "informal"): 250, ("en", "reviews"): 250, ("it", "informal"): 150,
        ("it", "reviews"): 150}


def polarity(text: str, lang: str) -> float:
    result = analyze(text, lang)
    assert result.polarity is not None, result
    return result.polarity


# --- typical and tricky phrasings ----------------------------------------------------------


@pytest.mark.parametrize(("text", "label"), [
    ("sooo good!!!", "positive"),
    ("this app is AMAZING lol", "positive"),
    ("u guys rock 🤘", "positive"),
    ("props to the delivery guy", "positive"),
    ("not bad tbh", "positive"),
    ("can't complain, works great", "positive"),
    ("love it <3", "positive"),
    ("meh", "negative"),
    ("ugh, on hold again smh", "negative"),
    ("slow af", "negative"),
    ("this ain't it", "negative"),
    ("ngl pretty disappointed :(", "negative"),
    ("wtf, charged twice", "negative"),
    ("lol no. just no.", "negative"),
    ("oh great, another update that breaks everything 🙄", "negative"),
    ("just love waiting 3 weeks for a t-shirt 🙃", "negative"),
    ("Waited an hour on hold. Fantastic.", "negative"),
    ("lol", "neutral"),
    ("idk", "neutral"),
    ("tbh haven't tried it yet", "neutral"),
])
def test_english_informal(text: str, label: str) -> None:
    assert analyze(text, "en").label == label


@pytest.mark.parametrize(("text", "label"), [
    ("Returned it after a week.", "negative"),
    ("Stopped working after 2 days", "negative"),
    ("Broke after a month.", "negative"),
    ("Waste of money", "negative"),
    ("Would not buy again", "negative"),
    ("Wouldn't buy it again.", "negative"),
    ("Don't waste your money.", "negative"),
    ("Don't bother.", "negative"),
    ("Fell apart in the wash", "negative"),
    ("Dead on arrival.", "negative"),
    ("Cheaply made.", "negative"),
    ("One star.", "negative"),
    ("Five stars", "positive"),
    ("Would buy again.", "positive"),
    ("Exceeded my expectations", "positive"),
    ("Works like a charm", "positive"),
    ("Setup was a breeze", "positive"),
    ("Fits a 15 inch laptop.", "positive"),  # fitting is the point of a laptop sleeve
    ("Bought it as a gift.", "neutral"),
    ("Haven't used it yet.", "neutral"),
])
def test_english_reviews(text: str, label: str) -> None:
    assert analyze(text, "en").label == label


@pytest.mark.parametrize(("text", "label"), [
    ("bellissimo!!!", "positive"),
    ("top", "positive"),
    ("ci sta", "positive"),
    ("spettacolo 😍", "positive"),
    ("cmq tutto ok", "positive"),
    ("nn male dai", "positive"),
    ("una schifezza", "negative"),
    ("mah", "negative"),
    ("nn mi piace", "negative"),
    ("uffa, ancora niente rimborso", "negative"),
    ("xké nessuno risponde???", "negative"),
    ("grazie eh, mi avete perso il pacco", "negative"),
    ("boh", "neutral"),
    ("nì", "neutral"),
    ("ok ricevuto, ci sentiamo domani", "positive"),
])
def test_italian_informal(text: str, label: str) -> None:
    assert analyze(text, "it").label == label


@pytest.mark.parametrize(("text", "label"), [
    ("Reso dopo una settimana.", "negative"),
    ("Smesso di funzionare dopo due giorni", "negative"),
    ("Si è rotto dopo un mese.", "negative"),
    ("Soldi buttati.", "negative"),
    ("Non lo ricomprerei.", "negative"),
    ("Lo sconsiglio.", "negative"),
    ("Una stella.", "negative"),
    ("Non vale quello che costa.", "negative"),
    ("Fa il suo lavoro", "positive"),
    ("Cinque stelle", "positive"),
    ("Lo ricomprerei subito", "positive"),
    ("Calza a pennello", "positive"),
    ("Proprio quello che cercavo!", "positive"),
    ("Preso per mio figlio.", "neutral"),
])
def test_italian_reviews(text: str, label: str) -> None:
    assert analyze(text, "it").label == label


def test_elongation_emphasises_a_known_word_only() -> None:
    assert polarity("sooo good", "en") > polarity("so good", "en") > 0
    assert polarity("goooood", "en") > polarity("good", "en")
    assert polarity("bellooo", "it") > polarity("bello", "it") > 0
    assert analyze("zzzzz", "en").label == "neutral"


def test_intensifier_after_its_word() -> None:
    assert polarity("slow af", "en") < polarity("slow", "en") < 0


def test_a_sincere_closing_word_is_not_irony() -> None:
    # Irony needs a clear complaint before, a full stop, and English.
    assert analyze("Thanks.", "en").label == "positive"
    assert analyze("The box was late but the support sorted it. Great!", "en").label == \
        "positive"
    assert analyze("Honest prices, no surprises. Recommended.", "en").label == "positive"
    assert analyze("Il pacco era in ritardo, me l'hanno cambiato subito. Ottimo.",
                   "it").label == "positive"


# --- the labelled sets ---------------------------------------------------------------------


def _lines(lang: str, name: str, part: str) -> list[list[str]]:
    text = (DATA / f"{lang}_{name}_{part}.tsv").read_text(encoding="utf-8")
    return [line.split("\t") for line in text.splitlines()]


@pytest.mark.parametrize(("lang", "name"), list(SETS))
def test_labelled_set_is_large_balanced_and_split_by_hash(lang: str, name: str) -> None:
    dev, test = (read_labelled(DATA / f"{lang}_{name}_{part}.tsv") for part in ("dev", "test"))
    assert len(dev) + len(test) >= SETS[lang, name]
    assert min(len(dev), len(test)) >= 0.4 * (len(dev) + len(test))
    allowed = {x / 4 for x in range(-4, 5)}
    classes = Counter()
    for part, rows in (("dev", dev), ("test", test)):
        texts = [t for _, t in rows]
        assert len(set(texts)) == len(texts), f"duplicate text in {lang}_{name}_{part}"
        assert all(part_of(t) == part for t in texts)  # the split is fixed by the text
        assert all(g in allowed for g, _ in rows)
        assert all(t == t.strip() and t for t in texts)
        classes.update(gold_class(g) for g, _ in rows)
    total = sum(classes.values())
    assert all(classes[c] >= 0.15 * total for c in ("negative", "neutral", "positive")), classes


@pytest.mark.parametrize(("lang", "name"), list(SETS))
def test_lines_have_two_or_three_columns_and_known_flags(lang: str, name: str) -> None:
    for part in ("dev", "test"):
        for fields in _lines(lang, name, part):
            assert len(fields) in (2, 3), fields
            assert len(fields) == 2 or set(fields[2].split(",")) <= FLAGS
    sarcastic = read_labelled(DATA / f"{lang}_{name}_dev.tsv", flag="sarcasm")
    assert all(g < 0 for g, _ in sarcastic)  # labelled by what is meant


@pytest.mark.parametrize("lang", ["en", "it"])
def test_no_text_is_in_both_parts_of_a_language(lang: str) -> None:
    parts = {part: {t for path in DATA.glob(f"{lang}_*{part}.tsv")
                    for _, t in read_labelled(path)} for part in ("dev", "test")}
    assert parts["dev"] and parts["test"]
    assert not parts["dev"] & parts["test"]


# --- the targets: better than VADER on the test parts --------------------------------------


def _vader(text: str) -> tuple[float, str]:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    global _VADER
    _VADER = _VADER or SentimentIntensityAnalyzer()
    p = _VADER.polarity_scores(text)["compound"]
    return p, label_for(p)


_VADER = None


@pytest.mark.parametrize(("lang", "name"), list(SETS))
def test_beats_vader_on_pearson_and_negative_recall(lang: str, name: str) -> None:
    rows = read_labelled(DATA / f"{lang}_{name}_test.tsv")
    ours = evaluate(rows, lambda t: ((r := analyze(t, lang)).polarity or 0.0, r.label))
    vader = evaluate(rows, _vader)
    assert ours.pearson > vader.pearson, (ours, vader)
    assert ours.negative_recall > vader.negative_recall, (ours, vader)
