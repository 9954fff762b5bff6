"""Themes of a response's comment and free-text answers: tagging on write, re-tagging."""

from __future__ import annotations

import logging
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from survey_app.core.db import db
from survey_app.core.jobs import task
from survey_app.core.themes.tagger import Extra
from survey_app.responses.models import Answer, Response
from survey_app.surveys.models import Survey
from survey_app.themes.models import ResponseTheme
from survey_app.themes.services import survey_terms, themes_of_texts

logger = logging.getLogger(__name__)


def tag_response(response: Response, extra: Extra) -> bool:
    """Make the themes of ``response`` what its texts mention now; ``True`` if they changed.

    A new response gets them in its ``themes`` collection (inserted with it). A stored one
    keeps the rows still wanted; the others are deleted and new ones added through the session,
    not the collection, which would count as a change of the response and bump its version
    (an edit is one version, a re-tag none).

    :param extra: the survey's own terms (``themes.services.survey_terms``).
    """
    texts = [(None, response.comment)]
    texts += [(a.question_id, a.value_text) for a in response.answers if a.value_text]
    wanted = themes_of_texts(response.survey, response.locale, texts, extra)
    stored = sa.inspect(response).persistent
    current = {(row.theme, row.question_id): row for row in response.themes} if stored else {}
    if wanted == current.keys():
        return False
    new = [ResponseTheme(survey_id=response.survey_id or response.survey.id, theme=theme,
                         question_id=question_id)
           for theme, question_id in sorted(wanted - current.keys(), key=str)]
    if not stored:
        response.themes[:] = new
        return True
    for key in current.keys() - wanted:
        db.session.delete(current[key])
    for row in new:
        row.response_id = response.id
        db.session.add(row)
    db.session.expire(response, ["themes"])
    return True


def has_text() -> sa.ColumnElement[bool]:
    """Responses with a comment or a free-text answer: the only ones tagging can change (an
    erased or anonymised answer has lost its texts and keeps the themes it had)."""
    text_answer = sa.exists().where(Answer.response_id == Response.id,
                                    Answer.value_text.is_not(None), Answer.value_text != ""
                                    ).correlate(Response)
    return sa.or_(Response.comment.is_not(None), text_answer)


def count_texts(survey: Survey | None = None) -> int:
    """How many responses :func:`retag_responses` will look at."""
    query = sa.select(sa.func.count()).select_from(Response).where(has_text())
    if survey is not None:
        query = query.where(Response.survey_id == survey.id)
    return db.session.execute(query).scalar_one()


def retag_responses(survey: Survey | None = None, *,
                    progress: Callable[[int], object] | None = None,
                    batch_size: int = 500) -> int:
    """Tag every stored comment and free-text answer again; return how many changed.

    Only ``response_themes`` rows change (responses keep their version, so an open edit page
    stays valid). Run after the lexicon or a survey's own terms change.

    :param progress: called with the number of responses handled after each batch.
    """
    query = (sa.select(Response).where(has_text()).order_by(Response.id).limit(batch_size)
             .options(selectinload(Response.answers), selectinload(Response.themes)))
    if survey is not None:
        query = query.where(Response.survey_id == survey.id)
    extras: dict[int, Extra] = {}
    changed, last_id = 0, 0
    while rows := list(db.session.scalars(query.where(Response.id > last_id))):
        for response in rows:
            if response.survey_id not in extras:
                extras[response.survey_id] = survey_terms(response.survey)
            changed += tag_response(response, extras[response.survey_id])
        db.session.flush()
        last_id = rows[-1].id
        if progress is not None:
            progress(len(rows))
    logger.info("themes re-tagged: %s responses changed", changed)
    return changed


@task()
def retag_survey(survey_id: int) -> None:
    """Re-tag one survey's stored answers (queued by the themes page after a term changes).

    Idempotent: running it twice tags the same way; a lost run leaves the old themes until
    the page or ``polso themes retag`` asks again.
    """
    survey = db.session.get(Survey, survey_id)
    if survey is not None:
        retag_responses(survey)
        db.session.commit()
