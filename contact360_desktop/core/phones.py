"""Phone numbers to E.164 with a default region, fast for North American numbers.

``phonenumbers.parse`` costs ~15 µs, and phone numbers are mostly unique, so a cache
alone does not help. For regions of the North American Numbering Plan (country code
1: US, CA...) the common shapes -- 10 digits with a valid area code and exchange,
optionally prefixed by 1 or +1, with the usual separators -- are converted by a
regular expression; the result is the one phonenumbers gives (a property test holds
them together). Anything
else is parsed by phonenumbers, cached by the raw string.
"""

from __future__ import annotations

import re
from typing import Final

import phonenumbers

__all__ = ["PhoneNormalizer"]

# A North American number: optional 1 or +1, area code and exchange starting 2-9,
# common separators. Anything fancier (extensions, letters, dots in odd places) goes
# to phonenumbers.
_NANP_NUMBER: Final = re.compile(
    r"\s*(?:\+?1[ .-]?)?(?:\(([2-9]\d\d)\)|([2-9]\d\d))[ .-]?([2-9]\d\d)[ .-]?(\d{4})\s*", re.ASCII
)
_CACHE_LIMIT: Final = 100_000


class PhoneNormalizer:
    """Callable: raw phone text -> E.164 string, or None when it is not a phone number."""

    def __init__(self, region: str = "US") -> None:
        self.region = region.upper()
        if self.region not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError(f"unknown phone region {region!r}")
        self._nanp = phonenumbers.country_code_for_region(self.region) == 1
        self._cache: dict[str, str | None] = {}

    def __call__(self, raw: str) -> str | None:
        if self._nanp:
            match = _NANP_NUMBER.fullmatch(raw)
            if match is not None:
                return "+1" + (match[1] or match[2]) + match[3] + match[4]
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


_MISSING: Final = object()
