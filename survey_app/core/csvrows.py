"""The records of a CSV file after its header, each with the line it starts on."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any


def numbered_records(reader: Any) -> Iterator[tuple[int, list[str] | csv.Error]]:
    """``(line, record)`` for each non-blank record of ``reader`` (a ``csv.reader`` past its
    header), or ``(line, error)`` for one that is not valid CSV — so an import can report it
    by its line number and go on."""
    line = reader.line_num
    while True:
        start = line + 1
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            line = reader.line_num
            yield start, error
            continue
        line = reader.line_num
        if any(cell.strip() for cell in record):
            yield start, record
