"""A survey's themes: built-in ones of its audience, its own, and the terms admins add."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable

import sqlalchemy as sa
from flask_babel import gettext as _

from survey_app.core.db import db
from survey_app.core.errors import DomainError
from survey_app.core.themes import (
    LANGUAGES,
    Matcher,
    Theme,
    tag,
    taxonomy,
    themes_of,
    tokens,
)
from survey_app.core.themes.tagger import Extra, freeze
from survey_app.surveys.models import Survey
from survey_app.themes.models import (
    KEY_MAX_LENGTH,
    TERM_MAX_LENGTH,
    ResponseTheme,
    SurveyTheme,
    SurveyThemeTerm,
)

#: Most words in one term.
TERM_MAX_WORDS = 4
#: Most themes a survey may add, and terms per survey.
MAX_OWN_THEMES = 20
MAX_TERMS = 500
_KEY = re.compile(r"[^a-z0-9]+")
#: Surveys whose terms a process keeps (see :func:`survey_terms`).
TERMS_CACHE_SIZE = 1000
_terms_cache: dict[tuple[int, str], Extra] = {}


class ThemeError(DomainError):
    """A theme or term is not acceptable; the message says why."""


def survey_themes(survey: Survey) -> list[Theme]:
    """The built-in themes of the survey's audience, then its own ones (read only when the
    survey's ``themes_stamp`` says an admin ever changed them)."""
    if survey.themes_stamp is None:
        return taxonomy(survey.audience)
    own = db.session.scalars(sa.select(SurveyTheme).where(SurveyTheme.survey_id == survey.id)
                             .order_by(SurveyTheme.label, SurveyTheme.id))
    return taxonomy(survey.audience) + [Theme(t.key, t.label) for t in own]


def builtin_keys(survey: Survey) -> tuple[str, ...]:
    """The built-in theme keys of the survey's audience."""
    return themes_of(survey.audience)


def theme_labels(survey: Survey) -> dict[str, str]:
    """Theme key → name for every theme of the survey."""
    return {theme.key: theme.label for theme in survey_themes(survey)}


def survey_terms(survey: Survey) -> Extra:
    """The survey's own terms, as :func:`survey_app.core.themes.tag` takes them.

    Read once per process and ``themes_stamp`` of the survey (none without a stamp): tagging
    is on the respondent's hot path, which costs a fixed handful of statements.
    """
    if survey.themes_stamp is None:
        return ()
    key = (survey.id, survey.themes_stamp)
    extra = _terms_cache.get(key)
    if extra is None:
        rows = db.session.execute(
            sa.select(SurveyThemeTerm.theme, SurveyThemeTerm.lang, SurveyThemeTerm.term)
            .where(SurveyThemeTerm.survey_id == survey.id)).all()
        extra = freeze((theme, lang, term) for theme, lang, term in rows)
        if len(_terms_cache) >= TERMS_CACHE_SIZE:
            _terms_cache.clear()
        _terms_cache[key] = extra
    return extra


def _changed(survey: Survey) -> None:
    """A new ``themes_stamp`` (the survey's themes or terms changed): random, so neither a
    concurrent change nor a survey id used again meets terms cached under the old one."""
    survey.themes_stamp = secrets.token_hex(8)


def themes_of_texts(survey: Survey, locale: str, texts: Iterable[tuple[int | None, str | None]],
                    extra: Extra) -> set[tuple[str, int | None]]:
    """``(theme, question id or None)`` for each theme each of ``texts`` mentions.

    :param texts: ``(question id, text)`` pairs; ``None`` stands for the comment.
    :param extra: the survey's own terms (:func:`survey_terms`).
    """
    return {(theme, question_id) for question_id, text in texts
            for theme in tag(text, locale, survey.audience, extra)}


def list_terms(survey: Survey) -> list[SurveyThemeTerm]:
    """The survey's own terms by theme, language and term."""
    return list(db.session.scalars(
        sa.select(SurveyThemeTerm).where(SurveyThemeTerm.survey_id == survey.id)
        .order_by(SurveyThemeTerm.theme, SurveyThemeTerm.lang, SurveyThemeTerm.term)))


def add_theme(survey: Survey, label: str) -> SurveyTheme:
    """Add a theme of the survey's own, named ``label``; its key is made from the name.

    :raises ThemeError: no usable name, a theme of that name exists, or too many themes.
    """
    label = " ".join(label.split())
    key = _KEY.sub("_", " ".join(tokens(label))).strip("_")[:KEY_MAX_LENGTH]
    if not key or len(label) > 80:
        raise ThemeError(_("Give the theme a name of at most 80 characters, with letters."))
    existing = {theme.key for theme in survey_themes(survey)}
    if key in existing:
        raise ThemeError(_("There is already a theme called %(name)s.", name=label))
    if len(existing) - len(taxonomy(survey.audience)) >= MAX_OWN_THEMES:
        raise ThemeError(_("A survey may add at most %(n)d themes.", n=MAX_OWN_THEMES))
    theme = SurveyTheme(survey_id=survey.id, key=key, label=label)
    db.session.add(theme)
    _changed(survey)
    db.session.flush()
    return theme


def add_term(survey: Survey, theme: str, lang: str, term: str) -> SurveyThemeTerm:
    """Add ``term`` to ``theme`` for comments in ``lang``; stored comments need a re-tag.

    :raises ThemeError: unknown theme or language, a malformed or duplicate term, or too many.
    """
    term = " ".join(term.split())
    if theme not in theme_labels(survey):
        raise ThemeError(_("Choose one of the survey's themes."))
    if lang not in LANGUAGES:
        raise ThemeError(_("Choose English or Italian."))
    try:
        Matcher([(theme, term)])
    except ValueError:
        raise ThemeError(_("A term is one to %(n)d words of letters or digits; a word ending "
                           "in * stands for every word it begins and needs at least 3 letters "
                           "before the *.", n=TERM_MAX_WORDS)) from None
    if len(term) > TERM_MAX_LENGTH or len(term.split()) > TERM_MAX_WORDS:
        raise ThemeError(_("A term has at most %(n)d words and %(chars)d characters.",
                           n=TERM_MAX_WORDS, chars=TERM_MAX_LENGTH))
    terms = list_terms(survey)
    if len(terms) >= MAX_TERMS:
        raise ThemeError(_("A survey may add at most %(n)d terms.", n=MAX_TERMS))
    if any((t.theme, t.lang, t.term.casefold()) == (theme, lang, term.casefold())
           for t in terms):
        raise ThemeError(_("This term is there already."))
    row = SurveyThemeTerm(survey_id=survey.id, theme=theme, lang=lang, term=term)
    db.session.add(row)
    _changed(survey)
    db.session.flush()
    return row


def remove_term(survey: Survey, term_id: int) -> SurveyThemeTerm:
    """Remove one of the survey's terms; stored comments keep their themes until a re-tag.

    :raises ThemeError: no such term in this survey.
    """
    row = db.session.get(SurveyThemeTerm, term_id)
    if row is None or row.survey_id != survey.id:
        raise ThemeError(_("This term no longer exists."))
    db.session.delete(row)
    _changed(survey)
    db.session.flush()
    return row


def remove_theme(survey: Survey, key: str) -> SurveyTheme:
    """Remove one of the survey's own themes, its terms and its tags on stored answers.

    :raises ThemeError: not one of the survey's own themes (built-in ones stay).
    """
    theme = db.session.scalar(sa.select(SurveyTheme).where(
        SurveyTheme.survey_id == survey.id, SurveyTheme.key == key))
    if theme is None:
        raise ThemeError(_("Only a theme the survey added can be removed."))
    for table in (SurveyThemeTerm, ResponseTheme):
        db.session.execute(sa.delete(table).where(table.survey_id == survey.id,
                                                  table.theme == key))
    db.session.delete(theme)
    _changed(survey)
    db.session.flush()
    return theme
