"""Dashboard tests: reading pages (table rows and sections as plain text) and storing
responses directly."""

from __future__ import annotations

import csv
import html
import io
import re
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from survey_app.core.scoring import categorise
from survey_app.responses.models import Response
from survey_app.surveys.models import Survey

TAG = re.compile(r"<[^>]+>")
SPACE = re.compile(r"\s+")
NOT_ENOUGH = "Not enough responses to protect anonymity"


def text(fragment: str) -> str:
    """Visible text of an HTML fragment, SVG charts left out."""
    fragment = re.sub(r"<svg.*?</svg>", " ", fragment, flags=re.S)
    return SPACE.sub(" ", html.unescape(TAG.sub(" ", fragment))).strip()


def section(page: str, heading_id: str) -> str:
    """The ``<section>`` whose heading has ``id=heading_id`` (empty if absent)."""
    match = re.search(rf'<section[^>]*aria-labelledby="{heading_id}".*?</section>', page, re.S)
    return match.group(0) if match else ""


def rows(page: str, heading_id: str) -> dict[str, str]:
    """Body rows of the table in a section: first cell's text → the rest's text."""
    result = {}
    body = re.search(r"<tbody>(.*?)</tbody>", section(page, heading_id), re.S)
    for row in re.findall(r"<tr>(.*?)</tr>", body.group(1) if body else "", re.S):
        cells = [text(c) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        result[cells[0]] = " | ".join(cells[1:])
    return result


def csv_rows(body: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body)))


#: The moment the stored test answers are dated from.
NOW = datetime.now(UTC).replace(microsecond=0)


def stored_response(survey: Survey, score: int, days_ago: int, comment: bool, sentiment: str,
                    segment: dict[str, Any], suspected: bool = False) -> Response:
    """A response row as the respondent's path stores it, ``days_ago`` before ``NOW``."""
    return Response(
        survey_id=survey.id, token_digest=secrets.token_hex(32),
        is_anonymous=survey.is_anonymous, score=score, category=categorise(survey.kind, score),
        comment="A comment" if comment else None, locale="en", sentiment_label=sentiment,
        segment=segment, channel="link", is_suspected_automated=suspected,
        submitted_dt=NOW - timedelta(days=days_ago, hours=days_ago % 5))
