"""The tagger without a database: every theme's typical and tricky phrasings in both languages."""

from __future__ import annotations

import pytest

from survey_app.core.themes import Matcher, normalise, tag, themes_of, tokens
from survey_app.core.themes.tagger import read_lexicon

#: (audience, language, theme, typical phrasing, tricky phrasing: negated, inflected, elided).
CASES = [
    ("customers", "en", "delivery", "The courier lost my parcel.",
     "It was not a delivery problem at all."),
    ("customers", "en", "price", "Way too expensive.", "Not a price problem."),
    ("customers", "en", "billing", "Still waiting for my refund.",
     "I was never charged twice, only once."),
    ("customers", "en", "support", "Customer service never replied.",
     "No one got back to me."),
    ("customers", "en", "staff", "The cashier was rude.", "The staff weren't unfriendly."),
    ("customers", "en", "quality", "The handle broke after a week.", "It's not faulty."),
    ("customers", "en", "usability", "The app keeps crashing.",
     "Can't log in since the update."),
    ("customers", "en", "communication", "Nobody told me about the change.",
     "I wasn't informed."),
    ("customers", "en", "availability", "Out of stock again.", "Never in stock in my size."),
    ("customers", "it", "delivery", "Il corriere ha perso il pacco.",
     "La spedizione non è stata un problema."),
    ("customers", "it", "price", "Troppo caro.", "Non è un problema di prezzo."),
    ("customers", "it", "billing", "Aspetto ancora il rimborso.",
     "Non mi hanno addebitato nulla di strano."),
    ("customers", "it", "support", "L'assistenza non risponde mai.",
     "Nessuno mi ha ricontattato."),
    ("customers", "it", "staff", "La commessa era maleducata.",
     "Il personale non è stato scortese."),
    ("customers", "it", "quality", "Si è rotto dopo una settimana.", "Non è difettoso."),
    ("customers", "it", "usability", "L’app si blocca sempre.",
     "Dopo l'aggiornamento non riesco più ad accedere."),
    ("customers", "it", "communication", "Nessuno mi ha avvisato.",
     "Le comunicazioni non erano chiare."),
    ("customers", "it", "availability", "Prodotto esaurito.", "Mai disponibile nella mia taglia."),
    ("employees", "en", "workload", "Too much work, not enough people.",
     "Workload isn't the issue."),
    ("employees", "en", "manager", "My manager never listens.", "Not a problem with my boss."),
    ("employees", "en", "pay", "Salary is below market.", "It's not about the money."),
    ("employees", "en", "growth", "There is no career path.", "I haven't had any training."),
    ("employees", "en", "recognition", "Nobody ever says thank you.",
     "I don't feel appreciated."),
    ("employees", "en", "tools", "My laptop is ancient.", "The VPN doesn't work."),
    ("employees", "en", "team", "Great colleagues.", "My coworkers aren't toxic."),
    ("employees", "en", "communication", "Too many meetings.", "There is no transparency."),
    ("employees", "en", "balance", "Flexible hours help a lot.",
     "I can't switch off in the evening."),
    ("employees", "it", "workload", "Troppo lavoro.", "Il carico di lavoro non è un problema."),
    ("employees", "it", "manager", "Il mio responsabile non ascolta.", "Il capo non c'entra."),
    ("employees", "it", "pay", "Stipendio basso.", "Non è una questione di stipendio."),
    ("employees", "it", "growth", "Nessuna formazione.", "Non vedo prospettive di carriera."),
    ("employees", "it", "recognition", "Nessun riconoscimento.", "Non mi sento apprezzato."),
    ("employees", "it", "tools", "Il portatile è lentissimo.", "Il gestionale non funziona."),
    ("employees", "it", "team", "Colleghi fantastici.", "Il clima non è tossico."),
    ("employees", "it", "communication", "Nessuna trasparenza.", "Le riunioni non servono."),
    ("employees", "it", "balance", "Lo smart working aiuta.",
     "Non riesco a prendere le ferie."),
]


def test_every_theme_of_both_audiences_and_languages_is_covered() -> None:
    covered = {(audience, lang, theme) for audience, lang, theme, *_ in CASES}
    expected = {(audience, lang, theme) for audience in ("customers", "employees")
                for lang in ("en", "it") for theme in themes_of(audience)}
    assert covered == expected


@pytest.mark.parametrize(("audience", "lang", "theme", "typical", "tricky"), CASES,
                         ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in CASES])
def test_typical_and_tricky_phrasings(audience, lang, theme, typical, tricky) -> None:
    assert theme in tag(typical, lang, audience), typical
    assert theme in tag(tricky, lang, audience), tricky


def test_a_negated_mention_keeps_its_theme() -> None:
    assert tag("Non è un problema di prezzo", "it", "customers") == ["price"]
    assert tag("It's not the price", "en", "customers") == ["price"]


def test_text_without_a_theme_gets_none() -> None:
    assert tag("Grazie mille!", "it", "customers") == []
    assert tag("Great, thanks!", "en", "customers") == []
    assert tag("", "en", "customers") == tag("   ", "it", "employees") == []
    assert tag(None, "en", "customers") == []


def test_unknown_language_or_audience_tags_nothing() -> None:
    assert tag("Die Lieferung kam zu spät, delivery", "de", "customers") == []
    assert tag("delivery", "en", "martians") == []


def test_locale_variants_select_the_language() -> None:
    assert tag("Il corriere è in ritardo", "it_IT", "customers") == ["delivery"]
    assert tag("The courier is late", "en-GB", "customers") == ["delivery"]


def test_inflections_and_synonyms_of_delivery_in_italian() -> None:
    for text in ("spedizione lenta", "consegna lenta", "il corriere", "mai consegnato",
                 "spedizioni", "consegne", "spedito tardi"):
        assert tag(text, "it", "customers") == ["delivery"], text


def test_normalisation_folds_case_accents_and_elisions() -> None:
    assert normalise("Perché È COSÌ?") == "perche e cosi?"
    assert tokens("L’assistenza dell'ordine") == ["l", "assistenza", "dell", "ordine"]
    assert tag("QUALITÀ pessima", "it", "customers") == ["quality"]
    assert tag("qualita pessima", "it", "customers") == ["quality"]


def test_multiword_phrases_match_only_whole() -> None:
    assert "availability" in tag("Sold out in a day", "en", "customers")
    assert tag("We sold a car", "en", "customers") == []
    assert "balance" in tag("Need a better work-life balance", "en", "employees")


def test_several_themes_in_one_comment() -> None:
    assert tag("Consegna in ritardo e prezzo troppo alto; l'assistenza non risponde",
               "it", "customers") == ["delivery", "price", "support"]


def test_a_surveys_own_terms_add_to_the_built_in_ones() -> None:
    extra = (("quality", "en", "wobbl*"), ("parking", "en", "car park"),
             ("parking", "it", "parcheggio"))
    assert tag("The table wobbles", "en", "customers") == []
    assert tag("The table wobbles", "en", "customers", extra) == ["quality"]
    assert tag("No space in the car park, late delivery", "en", "customers", extra) == [
        "delivery", "parking"]
    assert tag("car park", "it", "customers", extra) == []  # another language's term


@pytest.mark.parametrize("term", ["", "!!!", "ab*", "ok no*"])
def test_malformed_terms_are_refused(term) -> None:
    with pytest.raises(ValueError):
        Matcher([("quality", term)])


def test_the_lexicon_files_name_only_known_themes() -> None:
    for audience in ("customers", "employees"):
        rows = read_lexicon(audience)
        assert {theme for theme, _lang, _term in rows} == set(themes_of(audience))
        assert {lang for _theme, lang, _term in rows} == {"en", "it"}
