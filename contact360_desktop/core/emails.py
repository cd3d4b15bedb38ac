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

__all__ = ["normalize_email"]

_ATEXT = r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[a-z0-9]+(?:-[a-z0-9]+)*"  # no "--": IDNA reserves it ("xn--")
_COMMON_ADDRESS: Final = re.compile(rf"{_ATEXT}(?:\.{_ATEXT})*@(?:{_LABEL}\.)+[a-z](?:[a-z0-9]*[a-z])?")  # TLDs end with a letter
_SPECIAL_USE_TLDS: Final = frozenset(SPECIAL_USE_DOMAIN_NAMES)
_MAX_LOCAL: Final = 64
_MAX_LABEL: Final = 63
_MAX_ADDRESS: Final = 254


def normalize_email(value: str) -> tuple[str | None, str]:
    """``(address, "")`` lower-cased if valid, else ``(None, reason)``. ``value`` is trimmed."""
    address = value.lower()
    if _COMMON_ADDRESS.fullmatch(address) and _common_lengths_ok(address):
        return address, ""
    return _validate_slowly(address)


def _common_lengths_ok(address: str) -> bool:
    local, _, domain = address.partition("@")
    if len(address) > _MAX_ADDRESS or len(local) > _MAX_LOCAL:
        return False
    if domain.rpartition(".")[2] in _SPECIAL_USE_TLDS:
        return False
    return len(domain) <= _MAX_LABEL or all(len(label) <= _MAX_LABEL for label in domain.split("."))


@lru_cache(maxsize=65536)
def _validate_slowly(address: str) -> tuple[str | None, str]:
    try:
        valid = validate_email(address, check_deliverability=False)
    except EmailNotValidError as exc:
        return None, str(exc)
    return valid.normalized.lower(), ""
