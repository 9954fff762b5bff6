"""Reading dashboard pages in tests: table rows and sections as plain text."""

from __future__ import annotations

import csv
import html
import io
import re

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
