"""Decide how a file's bytes become text: reject non-text files, detect the encoding.

Order: byte-order marks (UTF-8/16/32), then magic numbers of compressed or binary
formats (rejected), then strict UTF-8, then charset-normalizer for legacy code pages,
preferring Windows-1252 when its reading is about as plausible (that is what Excel's
"Save as CSV" writes on Western systems). Known limit: a Central European (cp1250)
file reads as Windows-1252 -- charset-normalizer cannot tell them apart on names
either -- and needs the encoding chosen by hand.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from typing import Final

from contact360_desktop.core.errors import FileRejected

__all__ = [
    "LENIENT_CP1252",
    "DetectedEncoding",
    "check_not_binary",
    "detect_encoding",
    "normalize_encoding",
]

#: Decode error handler that reads an offending byte as Windows-1252 (Latin-1 for the
#: five bytes Windows-1252 leaves undefined). Used for a file whose sample was plain
#: ASCII and which we read as UTF-8 (a legacy export whose first accented letter comes
#: after the sample), and for Windows-1252 itself (a Latin-1 file with a C1 byte):
#: a stray byte should not fail a long import half-way.
LENIENT_CP1252: Final = "contact360-cp1252-fallback"


def _cp1252_fallback(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeDecodeError):
        raise error
    bad = error.object[error.start : error.end]
    return bad.decode("cp1252", errors="strict") if _cp1252_defined(bad) else bad.decode("latin-1"), error.end


def _cp1252_defined(data: bytes) -> bool:
    return not any(b in (0x81, 0x8D, 0x8F, 0x90, 0x9D) for b in data)


codecs.register_error(LENIENT_CP1252, _cp1252_fallback)

_BOMS: Final = (
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16 LE: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

_MAGIC: Final = (
    (b"\x1f\x8b", "a gzip-compressed file. Decompress it and import the .csv inside"),
    (b"PK\x03\x04", "a ZIP archive or an Excel workbook (.xlsx). In Excel use File > Save As > CSV UTF-8"),
    (b"PK\x05\x06", "an empty ZIP archive"),
    (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        "an old Excel workbook (.xls). In Excel use File > Save As > CSV UTF-8",
    ),
    (b"BZh", "a bzip2-compressed file. Decompress it and import the .csv inside"),
    (b"\xfd7zXZ\x00", "an xz-compressed file. Decompress it and import the .csv inside"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive. Extract it and import the .csv inside"),
    (b"\x28\xb5\x2f\xfd", "a zstd-compressed file. Decompress it and import the .csv inside"),
    (b"%PDF", "a PDF document"),
    (b"SQLite format 3\x00", "an SQLite database"),
)

# How much worse (charset-normalizer "chaos", 0..1) the Windows-1252 reading may be than
# the best one and still be preferred.
_WESTERN_TOLERANCE: Final = 0.15


@dataclass(frozen=True, slots=True)
class DetectedEncoding:
    """A Python codec name, and the decode error handler to read the file with."""

    encoding: str
    errors: str = "strict"


def normalize_encoding(name: str) -> str:
    """The codec's canonical name (``"UTF8"`` -> ``"utf-8"``); LookupError if unknown."""
    return codecs.lookup(name).name


def check_not_binary(head: bytes) -> None:
    """Reject compressed archives, workbooks and other binary data by their first bytes."""
    for magic, what in _MAGIC:
        if head.startswith(magic):
            raise FileRejected(f"This is {what}, not a CSV file.")


def detect_encoding(sample: bytes, *, complete: bool) -> DetectedEncoding:
    """The encoding of a file whose first bytes are ``sample`` (``complete``: the whole file).

    Raises FileRejected for NUL bytes in a file without a UTF-16/32 byte-order mark
    (binary data) and for bytes no encoding reads as plausible text.
    """
    for bom, name in _BOMS:
        if sample.startswith(bom):
            return DetectedEncoding(name)
    utf16 = _bomless_utf16(sample)
    if utf16 is not None:
        return DetectedEncoding(utf16)
    if b"\x00" in sample:
        raise FileRejected("This file contains binary data (NUL bytes), not text. Choose a CSV file.")
    if _is_utf8(sample, complete=complete):
        if sample.isascii() and not complete:
            return DetectedEncoding("utf-8", LENIENT_CP1252)
        return DetectedEncoding("utf-8")
    codepage = _legacy_codepage(sample)
    return DetectedEncoding(codepage, LENIENT_CP1252 if codepage == "cp1252" else "strict")


def _is_utf8(sample: bytes, *, complete: bool) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        # final=False: a sample cut inside a multi-byte character is still UTF-8.
        decoder.decode(sample, final=complete)
    except UnicodeDecodeError:
        return False
    return True


def _bomless_utf16(sample: bytes) -> str | None:
    """UTF-16 without a byte-order mark: mostly-ASCII text has a NUL in every other byte."""
    head = sample[:4096]
    if len(head) < 4 or head.count(0) < len(head) // 4:
        return None
    even_nuls, odd_nuls = head[0::2].count(0), head[1::2].count(0)
    if odd_nuls >= 0.9 * (len(head) // 2) and even_nuls == 0:
        name = "utf-16-le"
    elif even_nuls >= 0.9 * (len(head) // 2) and odd_nuls == 0:
        name = "utf-16-be"
    else:
        return None
    try:
        text = head[: len(head) // 2 * 2].decode(name)
    except UnicodeDecodeError:
        return None
    return name if "\x00" not in text else None


def _legacy_codepage(sample: bytes) -> str:
    from charset_normalizer import from_bytes  # here: readers of an already detected file skip it (~3 MB)

    best = from_bytes(sample).best()
    if best is None:
        raise FileRejected(
            "The file's text could not be decoded in any known encoding. "
            "If it is a CSV, choose its encoding (for example UTF-8 or Windows-1252) and retry."
        )
    # Windows-1252 is what Excel writes on Western systems: take it whenever its reading
    # is about as plausible as the best one. A sample with a handful of accented
    # letters is ambiguous between many code pages, and charset-normalizer's pick
    # among near-equals (cp850, cp775...) is then arbitrary. Cyrillic or Greek text
    # read as Windows-1252 is chaotic, so those files keep charset-normalizer's answer.
    western = from_bytes(sample, cp_isolation=["cp1252"]).best()
    if western is not None and western.chaos <= best.chaos + _WESTERN_TOLERANCE:
        return "cp1252"
    return normalize_encoding(best.encoding)
