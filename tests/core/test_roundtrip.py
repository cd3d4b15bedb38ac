"""Hypothesis: rows written by csv.writer in each dialect and encoding read back equal."""

from __future__ import annotations

import codecs
import csv
import io
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contact360_desktop.core.reader import open_csv

HEADER = ["email", "first_name", "last_name", "company_name", "notes"]

# Text a contact export can hold: letters of several scripts, punctuation, the
# delimiters and quotes, embedded CR/LF. No control characters (Cc: NUL is binary)
# and no lone surrogates (not encodable).
_ALPHABET = st.characters(
    codec="utf-8",
    exclude_categories=("Cs", "Cc"),
) | st.sampled_from([",", ";", "\t", "|", '"', "'", "\n", "\r", " ", "é", "ß", "€", "“"])
cell = st.text(_ALPHABET, max_size=12)
row = st.lists(cell, min_size=len(HEADER), max_size=len(HEADER)).filter(
    lambda values: any(v.strip() for v in values)  # an all-blank row is a blank line, not a row
)

ENCODINGS = {
    "utf-8": lambda text: text.encode("utf-8"),
    "utf-8-bom": lambda text: codecs.BOM_UTF8 + text.encode("utf-8"),
    "utf-16-le-bom": lambda text: codecs.BOM_UTF16_LE + text.encode("utf-16-le"),
    "utf-16-be-bom": lambda text: codecs.BOM_UTF16_BE + text.encode("utf-16-be"),
}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(row, max_size=8),
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
    newline=st.sampled_from(["\r\n", "\n", "\r"]),
    encoding=st.sampled_from(sorted(ENCODINGS)),
)
def test_written_rows_read_back_equal(
    rows: list[list[str]], delimiter: str, newline: str, encoding: str
) -> None:
    buffer = io.StringIO(newline="")
    # csv.writer quotes only the line-break characters of its own line terminator; a
    # careful exporter (RFC 4180) quotes any value with a line break, so do that here.
    has_break = any("\r" in v or "\n" in v for r in rows for v in r)
    quoting = csv.QUOTE_ALL if has_break else csv.QUOTE_MINIMAL
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=newline, quoting=quoting)
    writer.writerow(HEADER)
    writer.writerows(rows)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "roundtrip.csv"
        path.write_bytes(ENCODINGS[encoding](buffer.getvalue()))
        # Random text does not always look like one dialect more than another: detection
        # is tested on realistic files in test_reader; here the delimiter is given.
        with open_csv(path, delimiter=delimiter) as f:
            assert f.header == HEADER
            got = [r.values for r in f.records()]
    assert got == rows


# Words as they appear in Western contact lists, accents and all.
WESTERN_WORDS = st.sampled_from(
    [
        "François",
        "Gonçalves",
        "Müller",
        "Zoë",
        "Ærø",
        "Peña",
        "Søren",
        "Björk",
        "Crème",
        "Œuvre",
        "São Paulo",
        "Zürich",
        "Málaga",
        "O'Brien",
        "Smith, Jr.",
        "“Acme”",
        "R&D – EMEA",
        "5 €",
        "Straße",
    ]
)
western_cell = st.lists(WESTERN_WORDS, max_size=3).map(" ".join)


@settings(max_examples=40, deadline=None)
@given(
    rows=st.lists(
        st.lists(western_cell, min_size=5, max_size=5).filter(lambda values: any(v.strip() for v in values)),
        min_size=3,
        max_size=8,
    ),
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
    newline=st.sampled_from(["\r\n", "\n"]),
)
def test_windows_1252_files_round_trip_with_detection(
    rows: list[list[str]], delimiter: str, newline: str
) -> None:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=newline, quoting=csv.QUOTE_ALL)
    writer.writerow(HEADER)
    writer.writerows(rows)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "legacy.csv"
        path.write_bytes(buffer.getvalue().encode("cp1252"))
        # Encoding and delimiter are both detected here.
        with open_csv(path) as f:
            assert f.format.delimiter == delimiter
            assert f.header == HEADER
            got = [r.values for r in f.records()]
    assert got == rows
