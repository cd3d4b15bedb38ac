"""Email syntax check and normalisation: email-validator's rules, fast for common addresses.

email-validator costs ~20 µs a call, too slow for an import of millions of rows. A
plain ASCII address of the common shape (dot-atom local part, LDH domain labels,
alphabetic TLD) is accepted by a regular expression that only accepts addresses
email-validator accepts unchanged (a property test holds the two together);
everything else goes to email-validator, cached.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Final

from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email

__all__ = ["COMMON_ADDRESS", "normalize_email"]

_ATEXT = r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"(?=[a-z0-9-]{1,63}\.)[a-z0-9]+(?:-[a-z0-9]+)*"  # <= 63; no "--": IDNA reserves it ("xn--")
_SPECIAL_USE = "|".join(SPECIAL_USE_DOMAIN_NAMES)  # TLDs email-validator refuses
#: A plain ASCII address of the common shape, within the length limits (254 in all, 64
#: before the @, 63 a label), whose TLD ends with a letter and is not a special-use one.
#: Lower-case input only. One pattern, so that a whole column is checked by ``map``.
COMMON_ADDRESS: Final = re.compile(
    rf"(?=.{{1,254}}\Z)(?=[^@]{{1,64}}@){_ATEXT}(?:\.{_ATEXT})*@(?:{_LABEL}\.)+"
    rf"(?!(?:{_SPECIAL_USE})\Z)(?=[a-z0-9]{{1,63}}\Z)[a-z](?:[a-z0-9]*[a-z])?"
)


def normalize_email(value: str) -> tuple[str | None, str]:
    """``(address, "")`` lower-cased if valid, else ``(None, reason)``. ``value`` is trimmed."""
    address = value.lower()
    if COMMON_ADDRESS.fullmatch(address):
        return address, ""
    return _validate_slowly(address)


# Small: the addresses that take this path are mostly one-off typos; a big cache only grew
# the reader's memory with the file (+15 MB over 5,000,000 rows at 65,536 entries).
@lru_cache(maxsize=4096)
def _validate_slowly(address: str) -> tuple[str | None, str]:
    try:
        valid = validate_email(address, check_deliverability=False)
    except EmailNotValidError as exc:
        return None, str(exc)
    return valid.normalized.lower(), ""
