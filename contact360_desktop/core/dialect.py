"""Guess the delimiter of a CSV sample by scoring how consistently each candidate splits it.

csv.Sniffer guesses from character frequencies and is easily fooled by commas inside
quoted values or by a preamble; instead each candidate delimiter parses the sample
with the stdlib csv module, and the one giving the most records of one consistent
width (at least two fields) wins. A header row naming known fields breaks ties.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Final

__all__ = ["DELIMITERS", "detect_line_terminator", "sniff_delimiter"]

#: Candidates, in the order ties are broken.
DELIMITERS: Final[tuple[str, ...]] = (",", ";", "\t", "|")


def sniff_delimiter(
    text: str,
    *,
    complete: bool,
    quotechar: str = '"',
    known_fields: Callable[[Sequence[str]], int] | None = None,
) -> str:
    """The most plausible delimiter of ``text`` (the whole file when ``complete``)."""
    best, best_key = DELIMITERS[0], (0.0, 0, 0, 0)
    for rank, delimiter in enumerate(DELIMITERS):
        rows = _parse(text, delimiter, quotechar, complete=complete)
        key = (*_score(rows, known_fields), -rank)  # among equal scores, the earlier candidate
        if rank == 0 or key > best_key:
            best, best_key = delimiter, key
    return best


def _parse(text: str, delimiter: str, quotechar: str, *, complete: bool) -> list[list[str]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar=quotechar)
    rows: list[list[str]] = []
    try:
        rows.extend(row for row in reader if any(cell.strip() for cell in row))
    except csv.Error:
        pass  # a sample cut inside a quoted value; what was read still counts
    if not complete and len(rows) > 1:
        rows.pop()  # the last record of a sample may be cut short
    return rows


def _score(
    rows: list[list[str]], known_fields: Callable[[Sequence[str]], int] | None
) -> tuple[float, int, int]:
    """(share of rows with the dominant width, known header fields, that width)."""
    if not rows:
        return (0.0, 0, 0)
    width, count = Counter(len(row) for row in rows).most_common(1)[0]
    if width < 2:
        return (0.0, 0, 0)
    first_full = next(row for row in rows if len(row) == width)
    known = known_fields(first_full) if known_fields is not None else 0
    return (round(count / len(rows), 2), known, width)


def detect_line_terminator(text: str) -> str:
    """The line ending of the first line: ``"\\r\\n"``, ``"\\n"`` or ``"\\r"``."""
    cr, lf = text.find("\r"), text.find("\n")
    if cr == -1:
        return "\n" if lf != -1 else "\r\n"
    if lf == -1:
        return "\r"
    if lf == cr + 1:
        return "\r\n"
    return "\r" if cr < lf else "\n"
