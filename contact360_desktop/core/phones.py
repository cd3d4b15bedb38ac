"""Phone numbers to E.164 with a default region, fast for North American numbers.

``phonenumbers.parse`` costs ~15 µs, and phone numbers are mostly unique, so a cache
alone does not help. For regions of the North American Numbering Plan (country code
1: US, CA...) the common shapes -- 10 digits with a valid area code and exchange,
optionally prefixed by 1 or +1, with the usual separators -- are converted by a
regular expression; the result is the one phonenumbers gives (a property test holds
them together).

Numbers written internationally ("+44 20 7946 0958": a plus, digits, spaces, hyphens
or dots) skip ``phonenumbers.parse`` (~35 µs: most of its time goes to finding the
number in free text) and run only the steps of it that apply to such a string: the
country code, the national prefix, the length check against the country's metadata.
A property test holds this path to ``parse`` + ``is_possible_number`` + E.164 too,
over every country code. Anything else is parsed by phonenumbers, cached by the raw
string.
"""

from __future__ import annotations

import re
from typing import Any, Final

import phonenumbers

__all__ = ["NANP_NUMBER", "PhoneNormalizer", "nanp_e164"]

# A North American number: optional 1 or +1, area code and exchange starting 2-9,
# common separators. Anything fancier (extensions, letters, dots in odd places) goes
# to phonenumbers.
#: Groups: the area code in brackets (1) or not (2), the exchange (3), the line (4).
NANP_NUMBER: Final = re.compile(
    r"\s*(?:\+?1[ .-]?)?(?:\(([2-9]\d\d)\)|([2-9]\d\d))[ .-]?([2-9]\d\d)[ .-]?(\d{4})\s*", re.ASCII
)
_CACHE_LIMIT: Final = 100_000
_MISSING: Final = object()


def nanp_e164(match: re.Match[str]) -> str:
    """The E.164 form of a NANP_NUMBER match."""
    return "+1" + (match[1] or match[2]) + match[3] + match[4]


# "+", then digits with single spaces, hyphens or dots between them; nothing else (no
# letters, extensions or brackets, which phonenumbers interprets).
_INTERNATIONAL: Final = re.compile(r"\+[1-9](?:[ .-]?\d)+", re.ASCII)
_SEPARATORS: Final = str.maketrans("", "", " .-")
_MIN_NSN: Final = 2  # phonenumbers' _MIN_LENGTH_FOR_NSN
_MAX_NSN: Final = 17  # and _MAX_LENGTH_FOR_NSN
_MAX_INPUT: Final = 250  # and _MAX_INPUT_STRING_LENGTH

try:  # the two steps of phonenumbers.parse the international path uses
    from phonenumbers.phonenumberutil import (  # type: ignore[attr-defined]
        _maybe_strip_national_prefix_carrier_code,
        _test_number_length,
    )

    _FAST_INTERNATIONAL = True
except ImportError:  # a phonenumbers without them: every number takes the full parse
    _FAST_INTERNATIONAL = False

_NOT_KEPT: Final = frozenset(
    {
        phonenumbers.ValidationResult.TOO_SHORT,
        phonenumbers.ValidationResult.IS_POSSIBLE_LOCAL_ONLY,
        phonenumbers.ValidationResult.INVALID_LENGTH,
    }
)
_POSSIBLE: Final = frozenset(
    {phonenumbers.ValidationResult.IS_POSSIBLE, phonenumbers.ValidationResult.IS_POSSIBLE_LOCAL_ONLY}
)
_metadata_by_code: dict[int, Any] = {}


def _metadata(country_code: int) -> Any:
    """The metadata phonenumbers uses for a country code (None for an unknown code)."""
    if country_code not in _metadata_by_code:
        region = phonenumbers.region_code_for_country_code(country_code)
        _metadata_by_code[country_code] = phonenumbers.PhoneMetadata.metadata_for_region_or_calling_code(
            country_code, region
        )
    return _metadata_by_code[country_code]


def _international(raw: str) -> str | None | object:
    """E.164 for "+<digits and separators>" as phonenumbers gives it; _MISSING if not that shape.

    The steps of ``phonenumbers.parse`` for such a string, in its order: the country
    code is the shortest 1-3 digit prefix that is one; the national prefix is stripped
    unless that leaves a number of an impossible length; then ``is_possible_number``.
    """
    if not _FAST_INTERNATIONAL or len(raw) > _MAX_INPUT or not _INTERNATIONAL.fullmatch(raw):
        return _MISSING
    digits = raw[1:].translate(_SEPARATORS)
    if len(digits) <= _MIN_NSN:
        return _MISSING  # phonenumbers has its own messages for these; let it decide
    for size in (1, 2, 3):
        code = int(digits[:size])
        if code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            break
    else:
        return None  # not a country code: parse raises INVALID_COUNTRY_CODE
    metadata = _metadata(code)
    if metadata is None:
        return _MISSING
    national = digits[size:]
    if len(national) < _MIN_NSN:
        return None
    _, stripped, _ = _maybe_strip_national_prefix_carrier_code(national, metadata)
    if _test_number_length(stripped, metadata) not in _NOT_KEPT:
        national = stripped
    if not _MIN_NSN <= len(national) <= _MAX_NSN:
        return None
    # format E.164 writes the national number back with its leading zeros, as read.
    if _test_number_length(national, metadata) not in _POSSIBLE:
        return None
    return f"+{code}{national}"


class PhoneNormalizer:
    """Callable: raw phone text -> E.164 string, or None when it is not a phone number."""

    def __init__(self, region: str = "US") -> None:
        self.region = region.upper()
        if self.region not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError(f"unknown phone region {region!r}")
        self._nanp = phonenumbers.country_code_for_region(self.region) == 1
        self._cache: dict[str, str | None] = {}

    @property
    def north_american(self) -> bool:
        """True when the default region dials country code 1 (NANP_NUMBER matches become +1...)."""
        return self._nanp

    def __call__(self, raw: str) -> str | None:
        if self._nanp:
            match = NANP_NUMBER.fullmatch(raw)
            if match is not None:
                return nanp_e164(match)
        if raw[:1] == "+":
            e164 = _international(raw)
            if e164 is not _MISSING:
                return e164  # type: ignore[return-value]
        cached = self._cache.get(raw, _MISSING)
        if cached is not _MISSING:
            return cached  # type: ignore[return-value]
        result = self._parse(raw)
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        self._cache[raw] = result
        return result

    def _parse(self, raw: str) -> str | None:
        try:
            number = phonenumbers.parse(raw, self.region)
        except phonenumbers.NumberParseException:
            return None
        if not phonenumbers.is_possible_number(number):
            return None
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
