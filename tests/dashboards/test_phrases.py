"""Key phrases: stop words in both languages, stems, two-word phrases, languages, bounds."""

from __future__ import annotations

import pytest

from survey_app.dashboards.phrases import (
    MAX_WORDS,
    KeyPhrase,
    key_phrases,
    language_of,
    stop_words,
)


def phrases(comments: list[tuple[str, str | None]], **kwargs) -> dict[str, list[tuple[str, int]]]:
    return {group.lang: [(p.text, p.comments) for p in group.phrases]
            for group in key_phrases(comments, **kwargs)}


@pytest.mark.parametrize("lang", ["en", "it"])
def test_stop_word_files_are_lower_case_words_without_duplicates(lang: str) -> None:
    words = stop_words(lang)
    assert len(words) > 150
    assert all(w == w.lower().strip() and " " not in w for w in words)
    assert stop_words(lang) is words  # read once per process
    if lang == "it":  # elisions are read without their apostrophe: "dell'assistenza"
        assert "dell" in words and not any("'" in w for w in words)


def test_english_stop_words_and_generic_verbs_are_left_out() -> None:
    result = phrases([("Delivery took ages, fine", "en"), ("The delivery took long. Fine.", "en"),
                      ("it was fine, delivery took a while", "en")])
    assert result == {"en": [("delivery", 3)]}


def test_italian_stop_words_and_elisions_are_left_out() -> None:
    result = phrases([("Dell'assistenza non mi lamento", "it"),
                      ("L'assistenza è stata molto gentile", "it")])
    assert result == {"it": [("assistenza", 2)]}


def test_inflections_count_together_under_the_most_written_form() -> None:
    result = phrases([("refund", "en"), ("Refunds!", "en"), ("refunds please", "en"),
                      ("spedizione", "it"), ("spedizioni lente", "it"), ("Spedizioni", "it")])
    assert result == {"en": [("refunds", 3)], "it": [("spedizioni", 3)]}


def test_a_two_word_phrase_takes_the_place_of_its_words() -> None:
    result = phrases([("Customer service never answers", "en"),
                      ("customer service was rude", "en"),
                      ("The service was slow", "en"), ("service", "en")])
    # "service" outside the phrase: 2 comments; inside it: counted as "customer service".
    assert result == {"en": [("customer service", 2), ("service", 2)]}


def test_italian_phrases_keep_di_and_its_articulated_forms() -> None:
    result = phrases([("Tempi di consegna troppo lunghi", "it"),
                      ("i tempi della consegna sono lunghi", "it"),
                      ("tempi di consegna!", "it_IT")])
    assert result["it"][0] == ("tempi di consegna", 3)
    assert ("lunghi", 2) in result["it"]


def test_an_elided_connector_keeps_its_apostrophe() -> None:
    result = phrases([("Le decisioni arrivano dall'alto", "it"),
                      ("Ordini che arrivano dall'alto, sempre", "it")])
    assert result["it"][0] == ("arrivano dall'alto", 2)  # not "arrivano dall alto"


def test_english_of_phrases_and_phrases_do_not_cross_punctuation() -> None:
    result = phrases([("A waste of money.", "en"), ("Total waste of money", "en"),
                      ("Money, waste", "en"), ("money. waste", "en")])
    assert result["en"][0] == ("waste of money", 2)
    assert ("money waste", 2) not in result["en"]


def test_a_phrase_written_once_is_not_shown() -> None:
    assert phrases([("Broken zipper", "en"), ("Lost parcel", "en")]) == {"en": []}
    assert phrases([("Broken zipper", "en")], min_comments=1) == {
        "en": [("broken zipper", 1)]}


def test_each_comment_counts_a_phrase_once_and_limit_applies() -> None:
    result = phrases([("app app app crash", "en"), ("app crash", "en")], limit=1)
    assert result == {"en": [("app crash", 2)]}


def test_languages_are_kept_apart_and_ordered_by_comments() -> None:
    groups = key_phrases([("la app lenta!", "it"), ("app lenta", "it"), ("slow app", "en"),
                          ("slow app", "en"), ("app slow", "en")])
    assert [(g.lang, g.comments) for g in groups] == [("en", 3), ("it", 2)]
    assert groups[0].phrases[0] == KeyPhrase("slow app", 2)
    assert groups[1].phrases[0] == KeyPhrase("app lenta", 2)


@pytest.mark.parametrize(
    ("text", "locale", "lang"),
    [("whatever", "it_IT", "it"), ("Servizio pessimo", "EN-gb", "en"),
     ("il corriere non è mai arrivato e nessuno risponde", None, "it"),
     ("the parcel never arrived and nobody answers", "de", "en"),
     ("asdf", "", "en")],
)
def test_language_is_the_responses_or_guessed_from_stop_words(text, locale, lang) -> None:
    assert language_of(text, locale) == lang


def test_a_long_comment_is_read_up_to_the_word_limit() -> None:
    long = " ".join(["filler"] * MAX_WORDS + ["zipper broken"])
    result = phrases([(long, "en"), (long, "en")])
    assert result == {"en": [("filler", 2)]}


@pytest.mark.parametrize("text", ["", "   ", "!!! ???", "12 34", "\x00\u202e", "a" * 10_000])
def test_odd_comments_give_no_phrase_and_no_error(text: str) -> None:
    assert all(not g.phrases for g in key_phrases([(text, "en"), (text, None)]))
